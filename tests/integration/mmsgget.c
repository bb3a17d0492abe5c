/* mmsgget: GETs targets from an HTTP server on 127.0.0.1 over one
 * keep-alive connection with the message-vector calls only: each request
 * sent by sendmmsg as two messages, each response looked at with
 * recvmmsg(MSG_PEEK) into two messages (both show the same bytes) before
 * it is taken by recvmmsg into two messages; the last one only looked at
 * before the close.
 *
 *   mmsgget PORT TARGET...
 *
 * Prints each response's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_http.h"

static char buf[2][65536];

/* Two messages into buf[0] and buf[1], of n0 and n1 bytes: the messages
 * received, or -1. */
static int recv_two(int fd, size_t n0, size_t n1, int flags, struct mmsghdr v[2])
{
    static struct iovec iov[2];

    iov[0] = (struct iovec){ buf[0], n0 };
    iov[1] = (struct iovec){ buf[1], n1 };
    memset(v, 0, 2 * sizeof *v);
    v[0].msg_hdr = (struct msghdr){ .msg_iov = &iov[0], .msg_iovlen = 1 };
    v[1].msg_hdr = (struct msghdr){ .msg_iov = &iov[1], .msg_iovlen = 1 };
    return recvmmsg(fd, v, 2, flags, NULL);
}

/* The whole response at the head of the socket's queue, peeked (into
 * buf[0], its length), or -1. */
static long peek_response(int fd)
{
    struct mmsghdr v[2];

    for (;;) {
        if (recv_two(fd, sizeof buf[0] - 1, sizeof buf[1] - 1, MSG_PEEK, v) < 1 ||
            v[0].msg_len == 0)
            return -1;
        buf[0][v[0].msg_len] = 0;
        char *end = strstr(buf[0], "\r\n\r\n");
        const char *len = strstr(buf[0], "Content-Length: ");
        if (end && len && end + 4 + atol(len + 16) <= buf[0] + v[0].msg_len)
            return end + 4 + atol(len + 16) - buf[0];
    }
}

/* The request for target, as two messages: its request line, the rest. */
static int send_request(int fd, const char *target)
{
    char line[1024], rest[] = "Host: mmsg\r\n\r\n";
    int n = snprintf(line, sizeof line, "GET %s HTTP/1.1\r\n", target);
    struct iovec iov[2] = { { line, (size_t)n }, { rest, sizeof rest - 1 } };
    struct mmsghdr v[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
                            { .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };

    return sendmmsg(fd, v, 2, 0) == 2 && v[0].msg_len + v[1].msg_len == n + sizeof rest - 1
           ? 0 : -1;
}

int main(int argc, char **argv)
{
    int fd = loopback_connect("mmsgget", argc, argv);

    if (fd < 0)
        return argc < 3 ? 2 : 1;
    for (int i = 2; i < argc; i++) {
        long len;
        if (send_request(fd, argv[i]) < 0 || (len = peek_response(fd)) < 0) {
            fprintf(stderr, "mmsgget: no response to %s\n", argv[i]);
            return 1;
        }
        printf("%.3s\n", buf[0] + 9);
        if (i + 1 == argc)
            break;
        /* taken as two messages, the first a third of it */
        struct mmsghdr v[2];
        size_t part = (size_t)len / 3;
        if (recv_two(fd, part, (size_t)len - part, 0, v) != 2 ||
            v[0].msg_len + v[1].msg_len != (size_t)len) {
            fprintf(stderr, "mmsgget: a short read of %s\n", argv[i]);
            return 1;
        }
    }
    close(fd);
    return 0;
}
