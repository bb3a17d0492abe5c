/* rep_sock.h: a socket, as net.* metrics and events describe it. */
#ifndef REP_SOCK_H
#define REP_SOCK_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr_storage;

struct rep_sock {
    uint8_t family;             /* AF_INET, AF_INET6, AF_UNIX, other */
    uint8_t type;               /* SOCK_STREAM, SOCK_DGRAM, ... */
    uint8_t server;             /* accepted: its port is the local one */
    uint16_t lport, rport;
    char lip[46], rip[46];      /* numeric addresses; "" until known */
};

/* class tag of net.rx/net.tx: inet_tcp, inet_udp, unix_tcp, unix_udp, other */
const char *rep_sock_class(const struct rep_sock *s);
/* proto tag: TCP, UDP (inet only), RAW, RDM, SEQPACKET (inet, unix,
 * packet), OTHER (netlink and the rest, unix stream and datagram) */
const char *rep_sock_proto(const struct rep_sock *s);
/* Which gauge counts a socket open now: net.tcp and net.udp are inet's. */
enum rep_sock_gauge { REP_SOCK_GAUGE_TCP, REP_SOCK_GAUGE_UDP, REP_SOCK_GAUGE_OTHER };
enum rep_sock_gauge rep_sock_gauge(const struct rep_sock *s);
/* net_transport of events: IP.TCP, Unix.UDP, ...; NULL for other families */
const char *rep_sock_transport(const struct rep_sock *s);
/* The port a connection is known by: the local one when accepted, else the
 * remote one. */
unsigned rep_sock_port(const struct rep_sock *s);
/* Numeric address and port of an inet address; "" and 0 otherwise. */
void rep_sock_address_text(const struct sockaddr_storage *ss, char *ip, size_t cap,
                           uint16_t *port);

#endif
