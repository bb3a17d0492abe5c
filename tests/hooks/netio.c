/* netio.c: loopback socket calls the suite's programs do not make. TCP: a
 * connection taken with accept, FILE's bytes sent on it with sendfile and
 * received with __recv_chk. UDP, unconnected: datagrams of 100, 200 and
 * 300 bytes sent with sendto and 400 and 500 with one sendmmsg, received
 * with recvfrom, __recvfrom_chk and one recvmmsg. Usage: netio FILE.
 * Prints the TCP server's and client's ports, the bytes received over
 * TCP, the UDP receiver's and sender's ports and the UDP bytes received. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

/* fortified programs' calls: exported, declared only behind macros */
extern ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
extern ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                              struct sockaddr *from, socklen_t *fromlen);

static char buf[65536];

static int bound(int type, struct sockaddr_in *a)
{
    socklen_t len = sizeof *a;
    int fd = socket(AF_INET, type, 0);
    *a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) != 0 ||
        getsockname(fd, (struct sockaddr *)a, &len) != 0)
        return -1;
    return fd;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    return getsockname(fd, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.sin_port) : -1;
}

/* FILE over TCP; the file is smaller than the loopback buffers, so one
 * thread can send it all before receiving */
static long tcp(const char *path)
{
    struct sockaddr_in a;
    struct stat st;
    int srv = bound(SOCK_STREAM, &a), cl = socket(AF_INET, SOCK_STREAM, 0);
    int in = open(path, O_RDONLY);
    long got = 0;
    ssize_t n;

    if (srv < 0 || cl < 0 || in < 0 || fstat(in, &st) != 0 || listen(srv, 1) != 0 ||
        connect(cl, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    int conn = accept(srv, NULL, NULL), client_port = port_of(cl);
    for (off_t sent = 0; sent < st.st_size; sent += n)
        if ((n = sendfile(cl, in, NULL, (size_t)(st.st_size - sent))) <= 0)
            return -1;
    close(cl);
    while ((n = __recv_chk(conn, buf, sizeof buf, sizeof buf, 0)) > 0)
        got += n;
    printf("%d %d %ld\n", ntohs(a.sin_port), client_port, got);
    return close(conn) || close(srv) || close(in) ? -1 : got;
}

static long udp(void)
{
    struct sockaddr_in ra, sa, from;
    socklen_t fromlen = sizeof from;
    int rx = bound(SOCK_DGRAM, &ra), tx = bound(SOCK_DGRAM, &sa);
    long got = 0;

    if (rx < 0 || tx < 0)
        return -1;
    for (size_t n = 100; n <= 300; n += 100)
        if (sendto(tx, buf, n, 0, (struct sockaddr *)&ra, sizeof ra) != (ssize_t)n)
            return -1;
    struct iovec iov[3] = { { buf, 400 }, { buf, 500 }, { buf, 0 } };
    struct mmsghdr out[2] = {
        { .msg_hdr = { .msg_name = &ra, .msg_namelen = sizeof ra, .msg_iov = &iov[0], .msg_iovlen = 1 } },
        { .msg_hdr = { .msg_name = &ra, .msg_namelen = sizeof ra, .msg_iov = &iov[1], .msg_iovlen = 1 } },
    };
    if (sendmmsg(tx, out, 2, 0) != 2)
        return -1;
    got += recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
    fromlen = sizeof from;
    got += __recvfrom_chk(rx, buf, sizeof buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
    static char bufs[3][1024];
    struct iovec in_iov[3] = { { bufs[0], 1024 }, { bufs[1], 1024 }, { bufs[2], 1024 } };
    struct mmsghdr in[3];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++)
        in[i].msg_hdr = (struct msghdr){ .msg_iov = &in_iov[i], .msg_iovlen = 1 };
    int k = recvmmsg(rx, in, 3, MSG_WAITFORONE, NULL);
    for (int i = 0; i < k; i++)
        got += in[i].msg_len;
    while (k < 3) {     /* MSG_WAITFORONE: the rest, if they came later */
        int more = recvmmsg(rx, in + k, 3 - (unsigned)k, MSG_WAITFORONE, NULL);
        if (more <= 0)
            return -1;
        for (int i = k; i < k + more; i++)
            got += in[i].msg_len;
        k += more;
    }
    printf("%d %d %ld\n", ntohs(ra.sin_port), ntohs(sa.sin_port), got);
    return close(rx) || close(tx) ? -1 : got;
}

int main(int argc, char **argv)
{
    return argc != 2 || tcp(argv[1]) < 0 || udp() < 0;
}
