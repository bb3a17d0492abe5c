/* rep_connect.h: connecting a transport to its network destination, and
 * the backoff between tries (rep_transport.h says the rules). Reporter
 * thread only: a try resolves the name and waits for the connect, at most
 * REP_CONNECT_WAIT_MS.
 */
#ifndef REP_CONNECT_H
#define REP_CONNECT_H

#include "rep_config.h"
#include "rep_transport.h"

#define REP_CONNECT_WAIT_MS 200

struct addrinfo;

/* udp or tcp (type: SOCK_DGRAM or SOCK_STREAM): resolve t->host and
 * connect within one connect wait. The connected non-blocking socket, or
 * -1 with errno; when the name did not resolve, *unresolved says why (the
 * resolver's words), else it is left alone. */
int rep_connect_inet(struct rep_transport *t, int type, const char **unresolved);

/* unix: the connected non-blocking socket, or -1 with errno. */
int rep_connect_unix(const struct rep_transport *t);

/* Connect t (udp or tcp) to one of the resolved addresses in `list`,
 * within one connect wait; the connected non-blocking socket, or -1 with
 * errno. Tries start at t->addr_first: an address that never answers (a
 * route that drops packets) takes the whole wait once, and the next try
 * goes on from the address after it. */
int rep_connect_list(struct rep_transport *t, const struct addrinfo *list, int type);

/* After a failed try or a lost link: the next try waits twice as long as
 * the last (250 ms doubling to 30 s), plus up to 25% jitter so that many
 * processes whose collector went away do not come back at once. */
void rep_connect_retry_later(struct rep_transport *t);

/* The level to log a destination's trouble at: a warning once a minute at
 * most, else debug. */
enum rep_log_level rep_connect_trouble_level(struct rep_transport *t);

#endif
