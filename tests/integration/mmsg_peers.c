/* mmsg_peers: one never-connected UDP socket sends one datagram to each
 * loopback port given (10, 20, 30... bytes) in one sendmmsg, then reads
 * every answer with recvmmsg; prints what it moved per peer port, as
 * JSON: {"tx": {"port": bytes, ...}, "rx": {...}}. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PEERS_MAX 16

static void counts_print(const char *name, const int *port, const long *bytes, int n)
{
    printf("\"%s\": {", name);
    for (int i = 0; i < n; i++)
        printf("%s\"%d\": %ld", i ? ", " : "", port[i], bytes[i]);
    printf("}");
}

int main(int argc, char **argv)
{
    int n = argc - 1, port[PEERS_MAX];
    long tx[PEERS_MAX] = { 0 }, rx[PEERS_MAX] = { 0 };
    struct sockaddr_in to[PEERS_MAX], from[PEERS_MAX];
    static char out[PEERS_MAX][256], in[PEERS_MAX][1024];
    struct iovec iov[PEERS_MAX];
    struct mmsghdr v[PEERS_MAX];

    if (n < 1 || n > PEERS_MAX)
        return 2;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return 1;
    memset(v, 0, sizeof v);
    for (int i = 0; i < n; i++) {
        port[i] = atoi(argv[i + 1]);
        to[i] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port[i]),
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        memset(out[i], 'm', sizeof out[i]);
        iov[i] = (struct iovec){ out[i], (size_t)(10 * (i + 1)) };
        v[i].msg_hdr = (struct msghdr){ .msg_name = &to[i], .msg_namelen = sizeof to[i],
                                        .msg_iov = &iov[i], .msg_iovlen = 1 };
    }
    int sent = sendmmsg(s, v, (unsigned)n, 0);
    if (sent != n)
        return 1;
    for (int i = 0; i < n; i++)
        tx[i] = v[i].msg_len;
    for (int got = 0; got < n;) {
        memset(v, 0, sizeof v);
        for (int i = 0; i < n; i++) {
            iov[i] = (struct iovec){ in[i], sizeof in[i] };
            v[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                            .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int r = recvmmsg(s, v, (unsigned)(n - got), MSG_WAITFORONE, NULL);
        if (r < 0)
            return 1;
        for (int k = 0; k < r; k++)
            for (int i = 0; i < n; i++)
                if (ntohs(from[k].sin_port) == port[i])
                    rx[i] += v[k].msg_len;
        got += r;
    }
    printf("{");
    counts_print("tx", port, tx, n);
    printf(", ");
    counts_print("rx", port, rx, n);
    printf("}\n");
    return 0;
}
