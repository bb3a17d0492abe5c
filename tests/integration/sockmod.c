/* sockmod: a python3 extension module that does socket I/O at import,
 * as C extensions that open connections in their init function do. Built
 * without Python's headers (they are not a dependency): PyInit_sockmod
 * sends SOCKMOD_BYTES bytes to 127.0.0.1:$SOCKMOD_PORT and then fails the
 * import (NULL without an exception: python raises SystemError, which
 * the importing script expects). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SOCKMOD_BYTES 5000

void *PyInit_sockmod(void);

void *PyInit_sockmod(void)
{
    char chunk[1000];
    const char *port = getenv("SOCKMOD_PORT");
    struct sockaddr_in to = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || !port)
        return NULL;
    to.sin_port = htons((uint16_t)atoi(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(chunk, 's', sizeof chunk);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
        for (int sent = 0; sent < SOCKMOD_BYTES; sent += sizeof chunk)
            if (send(fd, chunk, sizeof chunk, 0) != (ssize_t)sizeof chunk)
                break;
    close(fd);
    return NULL;
}
