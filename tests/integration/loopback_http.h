/* loopback_http.h: the start of the C HTTP clients of the tests (peekget,
 * mmsgget): a TCP connection to 127.0.0.1 on the port of argv[1], with
 * targets after it. */
#ifndef LOOPBACK_HTTP_H
#define LOOPBACK_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* The connected socket, or -1 (said on stderr: usage names `name`). */
static inline int loopback_connect(const char *name, int argc, char **argv)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 0) };
    int fd = argc < 3 ? -1 : socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        fprintf(stderr, "usage: %s PORT TARGET...\n", name);
        return -1;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        return -1;
    }
    return fd;
}

#endif
