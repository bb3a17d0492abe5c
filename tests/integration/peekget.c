/* peekget: GETs targets from an HTTP server on 127.0.0.1 over one
 * keep-alive connection, looking at each response with recv(MSG_PEEK)
 * before taking it, the last one only looked at before the close.
 * Built fortified, so that recv is glibc's __recv_chk.
 *
 *   peekget PORT TARGET...
 *
 * Prints each response's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_http.h"

/* Fortified, recv into a buffer of known size for a count the compiler
 * cannot prove fits is __recv_chk: the peeks ask for `room`, volatile. */
static char buf[65536];
static volatile size_t room = sizeof buf - 1;

/* The whole response at the head of the socket's queue, peeked into buf
 * (its length), or -1. */
static long peek_response(int fd)
{
    for (;;) {
        ssize_t n = recv(fd, buf, room, MSG_PEEK);
        if (n <= 0)
            return -1;
        buf[n] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        const char *len = strstr(buf, "Content-Length: ");
        if (end && len && end + 4 + atol(len + 16) <= buf + n)
            return end + 4 + atol(len + 16) - buf;
    }
}

int main(int argc, char **argv)
{
    int fd = loopback_connect("peekget", argc, argv);

    if (fd < 0)
        return argc < 3 ? 2 : 1;
    for (int i = 2; i < argc; i++) {
        int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: peek\r\n\r\n", argv[i]);
        long len;
        if (send(fd, buf, (size_t)n, 0) != n || (len = peek_response(fd)) < 0) {
            fprintf(stderr, "peekget: no response to %s\n", argv[i]);
            return 1;
        }
        printf("%.3s\n", buf + 9);
        /* taken in two parts, the first within what was peeked */
        for (long got = 0, part = len / 3; i + 1 < argc && got < len; part = len - got) {
            ssize_t r = recv(fd, buf, (size_t)part, 0);
            if (r <= 0)
                return 1;
            got += r;
        }
    }
    close(fd);
    return 0;
}
