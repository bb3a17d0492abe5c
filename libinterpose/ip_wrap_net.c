/* ip_wrap_net.c: wrappers of the socket functions.
 *
 * A socket gets a record like a file (socket, accept, socketpair), and its
 * addresses once it has them (connect, accept). Bytes it moves count as
 * net.rx and net.tx whichever function moves them: recv and send here,
 * read and write in ip_wrap_fd.c. Return values and errno are the real
 * function's, untouched.
 */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_tap.h"
#include "ip_sock.h"

#include <netinet/in.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

/* ---- sockets come and go -------------------------------------------------- */

static void socket_opened(const struct ip_call *c, const char *op, int fd)
{
    int saved = errno;
    struct rep_sock s = { 0 };

    ip_sock_describe(fd, &s);
    struct ip_rec *f = ip_rec_socket_opened(fd, &s);
    if (f && (s.rip[0] || s.lip[0]))
        ip_event_open(op, fd, f);
    errno = saved;
}

int ip_wrap_socket(int domain, int type, int protocol)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int fd = ip_real_socket(domain, type, protocol);
    if (c.observed && fd >= 0) {
        int saved = errno;
        struct rep_sock s = { .family = (uint8_t)domain,
                              .type = (uint8_t)(type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) };
        ip_rec_socket_opened(fd, &s);
        errno = saved;
    } else if (c.observed) {
        int saved = errno;
        ip_add(&ip_net_orphan.err_open_close, 1);
        ip_event_error(REP_EV_NET_ERROR, "socket", NULL);
        errno = saved;
    }
    return fd;
}

int ip_wrap_socketpair(int domain, int type, int protocol, int sv[2])
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_socketpair(domain, type, protocol, sv);
    if (c.observed && rc == 0) {
        socket_opened(&c, "socketpair", sv[0]);
        socket_opened(&c, "socketpair", sv[1]);
    }
    return rc;
}

/* A listening socket learns its local address (bind may have been told
 * port 0). */
int ip_wrap_listen(int fd, int backlog)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    int rc = ip_real_listen(fd, backlog);
    if (c.observed && rc == 0 && ip_rec_ref_valid(c.ref) && c.ref.file->kind == IP_KIND_SOCKET) {
        c.ref.file->sock.server = 1;
        ip_sock_describe(fd, &c.ref.file->sock);
    }
    return rc;
}

/* The accepted socket: a server connection (its port is the local one). */
static void accepted(const struct ip_call *c, const char *op, int fd)
{
    if (!c->observed)
        return;
    int saved = errno;
    if (fd < 0) {
        if (saved != EAGAIN && saved != EINTR) {
            ip_add(&ip_net_orphan.err_open_close, 1);
            ip_event_error(REP_EV_NET_ERROR, op, NULL);
        }
        errno = saved;
        return;
    }
    struct rep_sock s = { .server = 1 };
    ip_sock_describe(fd, &s);
    struct ip_rec *f = ip_rec_socket_opened(fd, &s);
    if (f)
        ip_event_open("accept", fd, f);
    errno = saved;
}

int ip_wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    int rc = ip_real_accept(fd, addr, len);
    accepted(&c, "accept", rc);
    return rc;
}

int ip_wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    int rc = ip_real_accept4(fd, addr, len, flags);
    accepted(&c, "accept4", rc);
    return rc;
}

/* A connected socket (or one connecting: EINPROGRESS) learns its
 * addresses; a failure is a connection error. */
int ip_wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    int rc = ip_real_connect(fd, addr, len);
    if (!c.observed)
        return rc;
    int saved = errno;
    struct ip_rec *f = ip_rec_ref_valid(c.ref) && c.ref.file->kind == IP_KIND_SOCKET
                        ? c.ref.file : NULL;
    if (rc == 0 || saved == EINPROGRESS) {
        if (f) {
            ip_sock_describe(fd, &f->sock);
            ip_event_open("connect", fd, f);
        }
    } else if (saved != EINTR && saved != EALREADY && saved != EISCONN) {
        ip_add(f ? &f->live.err_open_close : &ip_net_orphan.err_open_close, 1);
        ip_event_error(REP_EV_NET_ERROR, "connect", NULL);
    }
    errno = saved;
    return rc;
}

/* ---- datagrams of sockets with no peer of their own -------------------------- */

/* Does the operator want datagrams by peer: per-connection metrics
 * (verbosity 5 and above) or net events? */
static inline bool peers_wanted(void)
{
    return (ip_proc.cfg.metric_enable && ip_proc.cfg.verbosity >= 5) ||
           (ip_proc.events && ip_proc.cfg.ev_net);
}

/* A datagram that moved rc bytes on c's socket, to or from the inet
 * address addr (len bytes; NULL: none given): on an inet datagram socket
 * never connected, it goes to the reporter with its peer (an event) and
 * is counted there. False: count it on the socket as any call. */
static inline bool peer_noted(const struct ip_call *c, int fd, uint16_t kind, const void *addr,
                              size_t len, ssize_t rc)
{
    const struct ip_rec *f = c->ref.file;

    if (rc < 0 || !addr || !c->observed || !f || f->kind != IP_KIND_SOCKET ||
        f->sock.type != SOCK_DGRAM || f->sock.rip[0] || !peers_wanted())
        return false;
    sa_family_t family = ((const struct sockaddr *)addr)->sa_family;
    size_t need = family == AF_INET ? sizeof(struct sockaddr_in)
                  : family == AF_INET6 ? sizeof(struct sockaddr_in6) : SIZE_MAX;
    return len >= need && ip_rec_ref_valid(c->ref) &&
           ip_event_datagram(kind, fd, f, addr, need, (uint64_t)rc);
}

/* recvfrom's and recvmsg's address: what the kernel wrote of it, within
 * the room the caller gave (cap). */
static inline size_t peer_len(socklen_t cap, socklen_t got)
{
    return got < cap ? got : cap;
}

/* ---- bytes moved ------------------------------------------------------------ */

ssize_t ip_wrap_send(int fd, const void *buf, size_t n, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_send(fd, buf, n, flags);
    ip_call_write_end(&c, fd, NULL, rc);
    ip_tap_buf(&c, IP_TAP_TX, buf, rc);
    return rc;
}

ssize_t ip_wrap_sendto(int fd, const void *buf, size_t n, int flags,
                       const struct sockaddr *to, socklen_t tolen)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_sendto(fd, buf, n, flags, to, tolen);
    if (!peer_noted(&c, fd, REP_EV_NET_TX, to, tolen, rc))
        ip_call_write_end(&c, fd, NULL, rc);
    ip_tap_buf(&c, IP_TAP_TX, buf, rc);
    return rc;
}

ssize_t ip_wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_sendmsg(fd, msg, flags);
    if (!peer_noted(&c, fd, REP_EV_NET_TX, msg->msg_name, msg->msg_namelen, rc))
        ip_call_write_end(&c, fd, NULL, rc);
    ip_tap_iov(&c, IP_TAP_TX, msg->msg_iov, msg->msg_iovlen, rc);
    return rc;
}

ssize_t ip_wrap_recv(int fd, void *buf, size_t n, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_recv(fd, buf, n, flags);
    ip_call_read_end(&c, rc);
    ip_tap_recv(&c, buf, NULL, 0, rc, flags);
    return rc;
}

ssize_t ip_wrap___recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real___recv_chk(fd, buf, n, buflen, flags);
    ip_call_read_end(&c, rc);
    ip_tap_recv(&c, buf, NULL, 0, rc, flags);
    return rc;
}

ssize_t ip_wrap_recvfrom(int fd, void *buf, size_t n, int flags,
                         struct sockaddr *from, socklen_t *fromlen)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    socklen_t cap = from && fromlen ? *fromlen : 0;
    ssize_t rc = ip_real_recvfrom(fd, buf, n, flags, from, fromlen);
    if ((flags & MSG_PEEK) ||
        !peer_noted(&c, fd, REP_EV_NET_RX, cap ? from : NULL, cap ? peer_len(cap, *fromlen) : 0, rc))
        ip_call_read_end(&c, rc);
    ip_tap_recv(&c, buf, NULL, 0, rc, flags);
    return rc;
}

ssize_t ip_wrap___recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                               struct sockaddr *from, socklen_t *fromlen)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    socklen_t cap = from && fromlen ? *fromlen : 0;
    ssize_t rc = ip_real___recvfrom_chk(fd, buf, n, buflen, flags, from, fromlen);
    if ((flags & MSG_PEEK) ||
        !peer_noted(&c, fd, REP_EV_NET_RX, cap ? from : NULL, cap ? peer_len(cap, *fromlen) : 0, rc))
        ip_call_read_end(&c, rc);
    ip_tap_recv(&c, buf, NULL, 0, rc, flags);
    return rc;
}

ssize_t ip_wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    socklen_t cap = msg->msg_name ? msg->msg_namelen : 0;
    ssize_t rc = ip_real_recvmsg(fd, msg, flags);
    if ((flags & MSG_PEEK) ||
        !peer_noted(&c, fd, REP_EV_NET_RX, msg->msg_name, peer_len(cap, msg->msg_namelen), rc))
        ip_call_read_end(&c, rc);
    ip_tap_recv(&c, NULL, msg->msg_iov, msg->msg_iovlen, rc, flags);
    return rc;
}

/* sendmmsg and recvmmsg return messages; what moved is their msg_len.
 * Each of the n messages that has a peer is noted (peer_noted); *bytes:
 * what the others moved, to count as one call. False: all were noted. */
static bool mmsg_unnoted(const struct ip_call *c, int fd, uint16_t kind, const struct mmsghdr *v,
                         int n, bool note, ssize_t *bytes)
{
    bool any = n == 0;

    *bytes = 0;
    for (int i = 0; i < n; i++) {
        const struct msghdr *h = &v[i].msg_hdr;
        if (note && peer_noted(c, fd, kind, h->msg_name, h->msg_name ? h->msg_namelen : 0,
                               v[i].msg_len))
            continue;
        *bytes += v[i].msg_len;
        any = true;
    }
    return any;
}

/* The n messages' bytes to the tap, in order (on a stream they follow
 * one another), as sendmsg's and recvmsg's are: a peek's messages each
 * show the same bytes, handed over once. */
static void mmsg_tap(const struct ip_call *c, unsigned dir, const struct mmsghdr *v, int n,
                     int flags)
{
    if (n <= 0 || !ip_tap_wanted(c, IP_TAP_WIRE))
        return;
    for (int i = 0; i < n; i++) {
        const struct msghdr *h = &v[i].msg_hdr;
        if (dir == IP_TAP_RX)
            ip_tap_recv(c, NULL, h->msg_iov, h->msg_iovlen, v[i].msg_len, flags);
        else
            ip_tap_iov(c, IP_TAP_TX, h->msg_iov, h->msg_iovlen, v[i].msg_len);
    }
}

int ip_wrap_sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    struct ip_call c;
    ssize_t bytes = -1;
    ip_call_begin(&c, fd);
    int rc = ip_real_sendmmsg(fd, v, n, flags);
    if (rc < 0 || mmsg_unnoted(&c, fd, REP_EV_NET_TX, v, rc, true, &bytes))
        ip_call_write_end(&c, fd, NULL, bytes);
    mmsg_tap(&c, IP_TAP_TX, v, rc, flags);
    return rc;
}

/* The kernel writes each message's msg_namelen; a caller gives room for
 * the address its socket's family has. */
int ip_wrap_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
                     struct timespec *timeout)
{
    struct ip_call c;
    ssize_t bytes = -1;
    ip_call_begin(&c, fd);
    int rc = ip_real_recvmmsg(fd, v, n, flags, timeout);
    if (rc < 0 || mmsg_unnoted(&c, fd, REP_EV_NET_RX, v, rc, !(flags & MSG_PEEK), &bytes))
        ip_call_read_end(&c, bytes);
    mmsg_tap(&c, IP_TAP_RX, v, rc, flags);
    return rc;
}

/* sendfile moves bytes out of in_fd into out_fd: a read of the one and a
 * write of the other (nginx serves files so). */
#define WRAP_SENDFILE(name, off_type)                                          \
    ssize_t ip_wrap_##name(int out_fd, int in_fd, off_type *offset, size_t count) \
    {                                                                         \
        struct ip_call out, in;                                               \
        ip_call_begin(&out, out_fd);                                          \
        ip_call_begin(&in, in_fd);                                            \
        ssize_t rc = ip_real_##name(out_fd, in_fd, offset, count);            \
        ip_call_read_end(&in, rc);                                            \
        ip_call_write_end(&out, out_fd, NULL, rc);                            \
        ip_tap_unseen(&out, IP_TAP_TX, rc);                                   \
        return rc;                                                            \
    }

WRAP_SENDFILE(sendfile, off_t)
WRAP_SENDFILE(sendfile64, off64_t)
