/* rep_sock.c: the names AppScope gives to kinds of sockets. TCP and UDP
 * name inet transports only: a unix, netlink or packet socket of type
 * SOCK_STREAM or SOCK_DGRAM carries neither protocol, and is not counted
 * as one. */
#include "rep_sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

static int is_inet(const struct rep_sock *s)
{
    return s->family == AF_INET || s->family == AF_INET6;
}

/* Families whose raw, reliable-datagram and sequenced-packet sockets are
 * what those names say (netlink's SOCK_RAW and SOCK_DGRAM are the same
 * message socket, neither). */
static int has_type_names(const struct rep_sock *s)
{
    return is_inet(s) || s->family == AF_UNIX || s->family == AF_PACKET;
}

const char *rep_sock_proto(const struct rep_sock *s)
{
    if (is_inet(s) && s->type == SOCK_STREAM)
        return "TCP";
    if (is_inet(s) && s->type == SOCK_DGRAM)
        return "UDP";
    if (!has_type_names(s))
        return "OTHER";
    switch (s->type) {
    case SOCK_RAW: return "RAW";
    case SOCK_RDM: return "RDM";
    case SOCK_SEQPACKET: return "SEQPACKET";
    }
    return "OTHER";
}

enum rep_sock_gauge rep_sock_gauge(const struct rep_sock *s)
{
    if (is_inet(s) && s->type == SOCK_STREAM)
        return REP_SOCK_GAUGE_TCP;
    if (is_inet(s) && s->type == SOCK_DGRAM)
        return REP_SOCK_GAUGE_UDP;
    return REP_SOCK_GAUGE_OTHER;
}

const char *rep_sock_class(const struct rep_sock *s)
{
    int stream = s->type == SOCK_STREAM, dgram = s->type == SOCK_DGRAM;

    if (is_inet(s) && (stream || dgram))
        return stream ? "inet_tcp" : "inet_udp";
    if (s->family == AF_UNIX && (stream || dgram))
        return stream ? "unix_tcp" : "unix_udp";
    return "other";
}

const char *rep_sock_transport(const struct rep_sock *s)
{
    static const char *const ip[] = { "IP.TCP", "IP.UDP", "IP.RAW", "IP.RDM", "IP.SEQPACKET" };
    static const char *const unix_[] = { "Unix.TCP", "Unix.UDP", "Unix.RAW", "Unix.RDM",
                                         "Unix.SEQPACKET" };
    int i;

    switch (s->type) {
    case SOCK_STREAM: i = 0; break;
    case SOCK_DGRAM: i = 1; break;
    case SOCK_RAW: i = 2; break;
    case SOCK_RDM: i = 3; break;
    case SOCK_SEQPACKET: i = 4; break;
    default: return NULL;
    }
    if (is_inet(s))
        return ip[i];
    return s->family == AF_UNIX ? unix_[i] : NULL;
}

unsigned rep_sock_port(const struct rep_sock *s)
{
    return s->server ? s->lport : s->rport;
}

void rep_sock_address_text(const struct sockaddr_storage *ss, char *ip, size_t cap,
                           uint16_t *port)
{
    ip[0] = '\0';
    *port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)cap);
        *port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)cap);
        *port = ntohs(in6->sin6_port);
    }
}
