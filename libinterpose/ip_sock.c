/* ip_sock.c: what a socket is, asked of the kernel (not on the hot path:
 * at socket creation, connect, accept, and at attach), and the network
 * counts of no socket (ip_sock.h). */
#include "ip.h"
#include "ip_sock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

void ip_sock_describe(int fd, struct rep_sock *s)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int value;
    int saved = errno;

    len = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) == 0)
        s->family = (uint8_t)value;
    len = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) == 0)
        s->type = (uint8_t)value;
    len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        rep_sock_address_text(&ss, s->lip, sizeof s->lip, &s->lport);
    len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        rep_sock_address_text(&ss, s->rip, sizeof s->rip, &s->rport);
    errno = saved;
}

void ip_sock_gauges_add(const struct rep_sock *s, struct rep_net_gauges *n)
{
    switch (rep_sock_gauge(s)) {
    case REP_SOCK_GAUGE_TCP: n->tcp++; break;
    case REP_SOCK_GAUGE_UDP: n->udp++; break;
    case REP_SOCK_GAUGE_OTHER: n->other++; break;
    }
    if ((s->family == AF_INET || s->family == AF_INET6) && s->lport)
        n->ports++;
}

struct rep_io_counts ip_net_orphan;
static struct rep_io_counts net_orphan_reported;   /* reporter only */

void ip_sock_orphan_collect(struct rep *r)
{
    struct rep_io_counts d;
    struct rep_sock no_socket = { .family = AF_UNSPEC };

    if (ip_counts_take(&ip_net_orphan, &net_orphan_reported, &d))
        rep_net_add(r, &no_socket, &d);
}

void ip_sock_after_fork_child(void)
{
    net_orphan_reported = ip_net_orphan;
}
