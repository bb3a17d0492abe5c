/* rep_url.h: destination URLs, parsed and checked, with no I/O.
 *
 *   file:///abs/path     a file
 *   file://stdout, file://stderr
 *   file://fd/N          a file the process was handed open as descriptor N
 *                        (scope attach into another mount namespace: the
 *                        file is the host's, opened by scope there)
 *   udp://host:port      StatsD's home
 *   tcp://host:port      a stream of lines
 *   unix:///abs/path     a stream to a filesystem socket
 *   unix://@name         a stream to an abstract socket
 *   udp://fd/N, tcp://fd/N, unix://fd/N
 *                        a socket the process was handed connected as
 *                        descriptor N (scope attach with the destination
 *                        reached from the host's network namespace)
 * (host may be a name, an IPv4 address or a bracketed IPv6 [::1].)
 * An empty URL is a destination that is off.
 *
 * The CLI checks what it hands the library with this, and the library
 * parses its destinations with the same code (rep_transport.h).
 */
#ifndef REP_URL_H
#define REP_URL_H

#include <stddef.h>

/* Room for a URL, its NUL included. */
#define REP_URL_MAX 4096

enum rep_transport_kind {
    REP_TRANSPORT_OFF,
    REP_TRANSPORT_FILE,
    REP_TRANSPORT_UDP,
    REP_TRANSPORT_TCP,
    REP_TRANSPORT_UNIX,
};

/* What a URL names. */
struct rep_url {
    enum rep_transport_kind kind;   /* OFF: the empty URL */
    int std_fd;         /* file://stdout or file://stderr: 1 or 2; else -1 */
    int handed_fd;      /* scheme://fd/N: N; else -1 */
    char host[256];     /* udp/tcp host; unix: the path, or @name */
    char port[6];       /* udp/tcp */
};

/* 0 with u filled, or -1 with a reason in err. */
int rep_url_parse(const char *url, struct rep_url *u, char *err, size_t errlen);

/* 0 when url is one of the destinations above, else -1 with a reason in
 * err. */
int rep_transport_url_check(const char *url, char *err, size_t errlen);

#endif
