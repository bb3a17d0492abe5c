/* rep_connect.c: connecting to network destinations, and the backoff
 * between tries. */
#include "rep_connect.h"
#include "rep_clock.h"
#include "rep_fd.h"
#include "rep_log.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 30000

/* A connect in progress on a non-blocking socket: wait for it, bounded.
 * 0, or -1 with errno saying why (ETIMEDOUT when the wait ran out). */
static int connect_wait(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    int64_t deadline = rep_monotonic_ms() + timeout_ms;
    int n;

    while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
        timeout_ms = (int)(deadline - rep_monotonic_ms());
        if (timeout_ms < 0)
            timeout_ms = 0;         /* poll(-1) would wait for ever */
    }
    if (n == 0)
        errno = ETIMEDOUT;
    if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        return -1;
    errno = soerr;
    return soerr ? -1 : 0;
}

/* A connected non-blocking socket to addr, or -1 with errno set. Datagram
 * sockets are connected too, so that a refusal (ICMP port unreachable) is
 * seen. */
static int socket_connect(int family, int type, const struct sockaddr *addr,
                          socklen_t addrlen, int timeout_ms)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    fd = rep_fd_move_high(fd);
    if (connect(fd, addr, addrlen) == 0 ||
        (errno == EINPROGRESS && connect_wait(fd, timeout_ms) == 0))
        return fd;
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

static const struct addrinfo *addr_at(const struct addrinfo *list, unsigned i)
{
    while (i--)
        list = list->ai_next;
    return list;
}

int rep_connect_list(struct rep_transport *t, const struct addrinfo *list, int type)
{
    unsigned n = 0;
    int fd = -1;

    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
        n++;
    if (n == 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    unsigned start = t->addr_first % n;
    /* the wait starts after the lookup: a slow resolver must not leave no
     * time for the connect itself */
    int64_t deadline = rep_monotonic_ms() + REP_CONNECT_WAIT_MS;
    errno = ETIMEDOUT;
    for (unsigned i = 0; i < n && fd < 0; i++) {
        int left = (int)(deadline - rep_monotonic_ms());
        if (left <= 0)
            break;
        const struct addrinfo *ai = addr_at(list, (start + i) % n);
        fd = socket_connect(ai->ai_family, type, ai->ai_addr, ai->ai_addrlen, left);
        /* past an address only when it had the whole wait: one that got
         * what another left is first next time */
        if (fd >= 0 || (errno == ETIMEDOUT && i > 0))
            t->addr_first = (start + i) % n;
        else if (errno == ETIMEDOUT)
            t->addr_first = (start + 1) % n;
    }
    return fd;
}

int rep_connect_inet(struct rep_transport *t, int type, const char **unresolved)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res;

    int gai = getaddrinfo(t->host, t->port, &hints, &res);
    if (gai != 0) {
        *unresolved = gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai);
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = rep_connect_list(t, res, type);
    int err = errno;
    freeaddrinfo(res);
    errno = err;
    return fd;
}

int rep_connect_unix(const struct rep_transport *t)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t n = strlen(t->host);

    memcpy(sun.sun_path, t->host, n);
    if (t->host[0] == '@')
        sun.sun_path[0] = '\0';     /* abstract: named by the bytes after it */
    return socket_connect(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&sun,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n),
                          REP_CONNECT_WAIT_MS);
}

/* The jitter comes from the clock, not rand(): that sequence is the
 * program's. */
void rep_connect_retry_later(struct rep_transport *t)
{
    struct timespec ts;

    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (t->backoff_ms > BACKOFF_MAX_MS)
        t->backoff_ms = BACKOFF_MAX_MS;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->retry_ms = rep_monotonic_ms() + t->backoff_ms +
                  (unsigned long)ts.tv_nsec % (t->backoff_ms / 4 + 1);
}

/* A collector that accepts and resets at once would fill the log every
 * 250 ms. */
#define TROUBLE_WARN_EVERY_MS 60000

enum rep_log_level rep_connect_trouble_level(struct rep_transport *t)
{
    int64_t now = rep_monotonic_ms();

    if (t->warned_ms && now - t->warned_ms < TROUBLE_WARN_EVERY_MS)
        return REP_LOG_DEBUG;
    t->warned_ms = now;
    return REP_LOG_WARNING;
}
