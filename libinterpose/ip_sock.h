/* ip_sock.h: what a socket is, asked of the kernel, and the network
 * counts that belong to no socket record. */
#ifndef IP_SOCK_H
#define IP_SOCK_H

#include "rep.h"

#include <stdbool.h>
#include <stddef.h>

struct ip_rec;

/* Fill in a socket's addresses (and family and type) from the kernel:
 * getsockname, getpeername. At connect and accept, and for sockets found
 * open at attach. errno is kept. */
void ip_sock_describe(int fd, struct rep_sock *s);

/* A socket open now, counted in the gauge of its kind (rep_sock_gauge),
 * and in net.port when it is inet with a local port. */
void ip_sock_gauges_add(const struct rep_sock *s, struct rep_net_gauges *n);

/* A datagram of f, an inet socket with no peer of its own, to or from the
 * peer at addr (a sockaddr of len bytes): an event (REP_EV_NET_TX or
 * _RX) that the reporter counts under the peer. False: not queued (a
 * full queue; counted as a drop), to be counted on f as any call.
 * Wrappers: no lock, no allocation; errno is kept. */
bool ip_event_datagram(uint16_t kind, int fd, const struct ip_rec *f, const void *addr,
                       size_t len, uint64_t bytes);

/* Failed socket and connect calls on no socket record, and sockets that
 * found the record pool full: counted here, reported as net.* with no
 * socket. */
extern struct rep_io_counts ip_net_orphan;
/* Reporter: what is new in ip_net_orphan goes into the period. */
void ip_sock_orphan_collect(struct rep *r);
/* Fork child: what was counted so far is the parent's to report. */
void ip_sock_after_fork_child(void);

#endif
