/* rep_transport.c: file and network destinations for metrics and events. */
#include "rep_transport.h"
#include "rep_clock.h"
#include "rep_log.h"
#include "rep_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Our descriptors live high, so that a program that expects open() to
 * return the lowest free number (3, 4, ...) still gets it; but within the
 * descriptor table the process already has: growing it in a multi-threaded
 * process waits for an RCU grace period (about 10 ms, while `scope attach`
 * holds the process stopped). */
int rep_fd_move_high(int fd)
{
    int floor = (int)rep_proc_status_field("FDSize") - 8;
    if (floor <= fd)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int rep_close_range_sparing(unsigned int first, unsigned int last, int flags, const int *keep,
                            size_t n, rep_close_range_fn *close_fn)
{
    unsigned int from = first;
    int rc = 0;

    /* the kept descriptors in order, smallest first: the pieces go up */
    for (int done = -1; rc == 0;) {
        int next = -1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] > done && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0 || (unsigned int)next > last)
            break;
        if ((unsigned int)next > from)
            rc = close_fn(from, (unsigned int)next - 1, flags);
        if ((unsigned int)next >= from)
            from = (unsigned int)next + 1;
        done = next;
    }
    return rc == 0 && from <= last ? close_fn(from, last, flags) : rc;
}

/* O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of
 * hanging the program at load, and a reader that stalls costs lost lines,
 * counted, never a blocked reporter. Regular files ignore the flag. */
static int file_open_append(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
                  O_NONBLOCK, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 errno == ENXIO ? "it is a FIFO with no reader" : strerror(errno));
        return -1;
    }
    return rep_fd_move_high(fd);
}

/* Does the regular file fd (opened for appending) end inside a line, its
 * tail lost to a write that failed part-way (ours earlier, before a
 * detach; another process's)? Then the next line written must not
 * continue it. Read through a second descriptor (ours cannot read), if
 * the path still names the same file. */
static bool file_ends_mid_line(int fd, const char *path)
{
    struct stat st, again;
    char last = '\n';

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return false;
    int rd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (rd < 0)
        return false;
    if (fstat(rd, &again) == 0 && again.st_dev == st.st_dev && again.st_ino == st.st_ino &&
        pread(rd, &last, 1, st.st_size - 1) != 1)
        last = '\n';
    close(rd);
    return last != '\n';
}

/* ---- parsing ------------------------------------------------------------ */

/* host:port, or [v6]:port, with a port from 1 to 65535. */
static int inet_parse(struct rep_transport *t, const char *rest,
                      char *err, size_t errlen)
{
    const char *colon = strrchr(rest, ':');
    const char *host = rest, *host_end = colon;
    char *end;

    if (rest[0] == '[') {
        host = rest + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end + 1 != colon)
            colon = NULL;
    }
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || host_end == host || colon[1] < '0' || colon[1] > '9' ||
        *end != '\0' || port < 1 || port > 65535) {
        snprintf(err, errlen, "destination \"%s\" must be host:port with a port "
                 "from 1 to 65535", t->url);
        return -1;
    }
    if ((size_t)(host_end - host) >= sizeof t->host) {
        snprintf(err, errlen, "destination \"%s\": the host name is too long", t->url);
        return -1;
    }
    memcpy(t->host, host, (size_t)(host_end - host));
    t->host[host_end - host] = '\0';
    snprintf(t->port, sizeof t->port, "%ld", port);
    return 0;
}

/* /abs/path or @abstract, short enough for sun_path. */
static int unix_parse(struct rep_transport *t, const char *rest,
                      char *err, size_t errlen)
{
    struct sockaddr_un sun;

    if ((rest[0] != '/' && rest[0] != '@') || rest[1] == '\0') {
        snprintf(err, errlen, "destination \"%s\" must be unix:///abs/path or "
                 "unix://@name", t->url);
        return -1;
    }
    if (strlen(rest) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "destination \"%s\": the socket name is longer "
                 "than %zu bytes", t->url, sizeof sun.sun_path - 1);
        return -1;
    }
    snprintf(t->host, sizeof t->host, "%s", rest);
    return 0;
}

/* file://stdout, file://stderr or file:///abs/path: the fd for the first
 * two, -1 for a path to open, -2 (reason in err) for anything else. */
static int file_parse(const struct rep_transport *t, const char *rest,
                      char *err, size_t errlen)
{
    if (!strcmp(rest, "stdout"))
        return STDOUT_FILENO;
    if (!strcmp(rest, "stderr"))
        return STDERR_FILENO;
    if (rest[0] != '/') {
        snprintf(err, errlen, "destination \"%s\" must name an absolute path "
                 "(file:///abs/path)", t->url);
        return -2;
    }
    return -1;
}

/* ---- descriptors we own ----------------------------------------------- */

/* Only a descriptor of the program's table: a number of the reporter's
 * own table may name one of the program's files there. */
static void fd_publish(struct rep_transport *t)
{
    if (t->published)
        __atomic_store_n(t->published, t->owned && !t->fd_in_own_table ? t->fd : -1,
                         __ATOMIC_RELEASE);
}

/* fd is ours now: remember what it is, and tell the close wrapper. */
static void fd_own(struct rep_transport *t, int fd)
{
    struct stat st;

    t->fd = fd;
    t->owned = 1;
    t->fd_in_own_table = t->table_own;
    if (fstat(fd, &st) < 0)
        memset(&st, 0, sizeof st);
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    fd_publish(t);
}

/* No descriptor any more; closed only when it is still ours. */
static void fd_forget(struct rep_transport *t, bool close_it)
{
    int fd = t->fd;

    t->fd = -1;
    if (t->owned) {
        t->owned = 0;
        fd_publish(t);
        if (close_it)
            close(fd);
    }
}

/* The program may close our number (close_range with CLOSE_RANGE_CLOEXEC,
 * a raw syscall, dup2 onto it) and reuse it: then it is the program's, not
 * to be written to nor closed. Checked before each write. */
static bool fd_still_ours(const struct rep_transport *t)
{
    struct stat st;

    if (!t->owned || t->fd_in_own_table)
        return true;            /* stdout, stderr: the program's anyway; our
                                   own table: out of the program's reach */
    return fstat(t->fd, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino;
}

/* The scheme's kind, and *rest what follows "scheme://". */
static enum rep_transport_kind scheme_kind(const char *url, const char **rest)
{
    static const struct { const char *prefix; enum rep_transport_kind kind; } schemes[] = {
        { "file://", REP_TRANSPORT_FILE },
        { "udp://", REP_TRANSPORT_UDP },
        { "tcp://", REP_TRANSPORT_TCP },
        { "unix://", REP_TRANSPORT_UNIX },
    };

    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (!strncmp(url, schemes[i].prefix, n)) {
            *rest = url + n;
            return schemes[i].kind;
        }
    }
    return REP_TRANSPORT_OFF;
}

/* Everything but opening a file: what the URL names, into t (stdout and
 * stderr are t->fd already). */
static int url_parse(struct rep_transport *t, const char *url, char *err, size_t errlen)
{
    const char *rest = NULL;

    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->connect_ok = 1;
    t->maxlen = REP_TRANSPORT_MAXLEN_DEFAULT;
    if (strlen(url) >= sizeof t->url) {
        snprintf(err, errlen, "destination is longer than %zu bytes", sizeof t->url - 1);
        return -1;
    }
    snprintf(t->url, sizeof t->url, "%s", url);
    if (url[0] == '\0')
        return 0;
    enum rep_transport_kind kind = scheme_kind(url, &rest);
    int rc;
    switch (kind) {
    case REP_TRANSPORT_FILE: {
        int fd = file_parse(t, rest, err, errlen);
        rc = fd == -2 ? -1 : 0;
        if (fd >= 0)
            t->fd = fd;
        break;
    }
    case REP_TRANSPORT_UDP:
    case REP_TRANSPORT_TCP: rc = inet_parse(t, rest, err, errlen); break;
    case REP_TRANSPORT_UNIX: rc = unix_parse(t, rest, err, errlen); break;
    default:
        snprintf(err, errlen, "unsupported destination \"%s\" (expected "
                 "file:///path, file://stdout, file://stderr, udp://host:port, "
                 "tcp://host:port, unix:///path or unix://@name)", url);
        return -1;
    }
    if (rc == 0)
        t->kind = kind;
    return rc;
}

int rep_transport_url_check(const char *url, char *err, size_t errlen)
{
    struct rep_transport scratch;

    return url_parse(&scratch, url, err, errlen);
}

/* A file destination named by a path: opened for appending, with a line
 * end owed if it ends inside a line. */
static int file_path_open(struct rep_transport *t, char *err, size_t errlen)
{
    const char *path = t->url + strlen("file://");
    int fd = file_open_append(path, err, errlen);

    if (fd >= 0)
        t->line_cut = file_ends_mid_line(fd, path);
    return fd;
}

int rep_transport_open(struct rep_transport *t, const char *url,
                       char *err, size_t errlen)
{
    if (url_parse(t, url, err, errlen) < 0)
        return -1;
    if (t->kind == REP_TRANSPORT_FILE && t->fd < 0) {      /* a path */
        int fd = file_path_open(t, err, errlen);
        if (fd < 0) {
            t->kind = REP_TRANSPORT_OFF;
            return -1;
        }
        fd_own(t, fd);
    }
    return 0;
}

void rep_transport_set_maxlen(struct rep_transport *t, size_t maxlen)
{
    t->maxlen = maxlen ? maxlen : REP_TRANSPORT_MAXLEN_DEFAULT;
}

int rep_transport_is_on(const struct rep_transport *t)
{
    return t->kind != REP_TRANSPORT_OFF;
}

int rep_transport_is_caught_up(const struct rep_transport *t)
{
    return t->fd >= 0 && t->pending_len == 0 && !t->mid_line;
}

void rep_transport_publish(struct rep_transport *t, int *slot)
{
    t->published = slot;
    fd_publish(t);
}

/* ---- connecting ---------------------------------------------------------- */

#define CONNECT_WAIT_MS 200
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

int rep_transport_connect_list(struct rep_transport *t, const struct addrinfo *list, int type)
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
    int64_t deadline = rep_monotonic_ms() + CONNECT_WAIT_MS;
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

/* Resolving happens here, on the reporter thread, once per connect try. */
static int inet_connect(struct rep_transport *t, int type)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = type,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res;

    int gai = getaddrinfo(t->host, t->port, &hints, &res);
    if (gai != 0) {
        rep_log(REP_LOG_DEBUG, "%s: cannot resolve %s: %s", t->url, t->host,
                gai_strerror(gai));
        errno = EHOSTUNREACH;       /* what the operator is told below */
        return -1;
    }
    int fd = rep_transport_connect_list(t, res, type);
    int err = errno;
    freeaddrinfo(res);
    errno = err;
    return fd;
}

static int unix_connect(const struct rep_transport *t)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t n = strlen(t->host);

    memcpy(sun.sun_path, t->host, n);
    if (t->host[0] == '@')
        sun.sun_path[0] = '\0';     /* abstract: named by the bytes after it */
    return socket_connect(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&sun,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n),
                          CONNECT_WAIT_MS);
}

/* The next try waits twice as long as the last, capped, plus jitter so
 * that many processes whose collector went away do not come back at once.
 * The jitter comes from the clock, not rand(): that sequence is the
 * program's. */
static void retry_later(struct rep_transport *t)
{
    struct timespec ts;

    t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (t->backoff_ms > BACKOFF_MAX_MS)
        t->backoff_ms = BACKOFF_MAX_MS;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->retry_ms = rep_monotonic_ms() + t->backoff_ms +
                  (unsigned long)ts.tv_nsec % (t->backoff_ms / 4 + 1);
}

/* A destination in trouble is a warning once a minute at most, else a
 * debug line: a collector that accepts and resets at once would fill the
 * log every 250 ms. */
#define TROUBLE_WARN_EVERY_MS 60000

static enum rep_log_level trouble_level(struct rep_transport *t)
{
    int64_t now = rep_monotonic_ms();

    if (t->warned_ms && now - t->warned_ms < TROUBLE_WARN_EVERY_MS)
        return REP_LOG_DEBUG;
    t->warned_ms = now;
    return REP_LOG_WARNING;
}

/* Connect now, whatever the backoff says; true when connected. */
static bool link_connect(struct rep_transport *t)
{
    int fd = -1;

    switch (t->kind) {
    case REP_TRANSPORT_UDP: fd = inet_connect(t, SOCK_DGRAM); break;
    case REP_TRANSPORT_TCP: fd = inet_connect(t, SOCK_STREAM); break;
    case REP_TRANSPORT_UNIX: fd = unix_connect(t); break;
    case REP_TRANSPORT_FILE:
        if (t->url[strlen("file://")] == '/') {
            char err[256];
            fd = file_path_open(t, err, sizeof err);
        }
        break;
    default: break;
    }
    if (fd < 0) {
        int err = errno;
        rep_log(trouble_level(t), "cannot reach %s (%s); %zu bytes kept meanwhile", t->url,
                strerror(err), t->pending_len);
        retry_later(t);
        return false;
    }
    rep_log(REP_LOG_INFO, "connected to %s", t->url);
    fd_own(t, fd);
    t->mid_line = 0;
    return true;
}

/* A stream whose reader has closed its end: a send would still succeed
 * once and its lines vanish with the reset that follows. */
static bool stream_closed_by_peer(const struct rep_transport *t)
{
    char c;

    if (t->kind != REP_TRANSPORT_TCP && t->kind != REP_TRANSPORT_UNIX)
        return false;
    return recv(t->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void link_lost(struct rep_transport *t, int err);

/* Let go of a descriptor that is no longer a way to the destination: the
 * program took it over (a file is reopened), or the reader closed its
 * end. */
static void link_check(struct rep_transport *t)
{
    if (t->fd >= 0 && !fd_still_ours(t)) {
        rep_log(REP_LOG_WARNING, "the program took over descriptor %d of %s; "
                "reopening", t->fd, t->url);
        fd_forget(t, false);
        t->mid_line = 0;
        t->retry_ms = 0;
    } else if (t->fd >= 0 && stream_closed_by_peer(t)) {
        link_lost(t, ECONNRESET);
    }
}

/* True when lines can go out now: a file, or a network destination that
 * is connected or, its retry time come, connects. */
static bool link_ready(struct rep_transport *t)
{
    link_check(t);
    if (t->fd >= 0)
        return true;
    return t->connect_ok && rep_monotonic_ms() >= t->retry_ms && link_connect(t);
}

/* ---- keeping for later --------------------------------------------------- */

/* Lines that will never arrive: counted in bytes and in lines (a line is
 * a metric or an event: what the operator is told was dropped). */
static void lost_add(struct rep_transport *t, const char *buf, size_t len)
{
    const char *end = buf + len;
    uint64_t lines = 0;

    for (const char *p = buf; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
        lines++;
    if (len && buf[len - 1] != '\n')
        lines++;                    /* a line's head without its end */
    t->lost_bytes += len;
    t->lost_lines += lines;
}


/* Bytes sent: drop them from pending. */
static void pending_consume(struct rep_transport *t, size_t n)
{
    memmove(t->pending, t->pending + n, t->pending_len - n);
    t->pending_len -= n;
}

/* Drop whole lines from pending's front until `need` bytes are gone,
 * counting them lost; a first line whose head the reader already has goes
 * out whole (dropping its tail would glue the reader's half to the next
 * line). */
static void pending_drop_oldest(struct rep_transport *t, size_t need)
{
    size_t keep = 0, cut;
    char *nl;

    if (t->mid_line) {
        nl = memchr(t->pending, '\n', t->pending_len);
        keep = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;
    }
    if (keep + need >= t->pending_len) {
        cut = t->pending_len;
    } else {
        nl = memchr(t->pending + keep + need - 1, '\n', t->pending_len - (keep + need - 1));
        cut = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;
    }
    lost_add(t, t->pending + keep, cut - keep);
    memmove(t->pending + keep, t->pending + cut, t->pending_len - cut);
    t->pending_len -= cut - keep;
}

/* Keep whole lines for later; past REP_TRANSPORT_KEEP_MAX the oldest are
 * lost, a quarter of what is kept at a time: dropping just enough for each
 * new line would move the whole buffer per line. */
static void pending_add(struct rep_transport *t, const char *buf, size_t len)
{
    if (t->pending_len + len > t->pending_cap) {
        /* doubling: a realloc per line would copy the buffer per line */
        size_t cap = t->pending_cap ? t->pending_cap : 64 * 1024;
        while (cap < t->pending_len + len)
            cap *= 2;
        char *grown = realloc(t->pending, cap);
        if (!grown) {
            lost_add(t, buf, len);
            return;
        }
        t->pending = grown;
        t->pending_cap = cap;
    }
    memcpy(t->pending + t->pending_len, buf, len);
    t->pending_len += len;
    if (t->pending_len > REP_TRANSPORT_KEEP_MAX)
        pending_drop_oldest(t, t->pending_len - REP_TRANSPORT_KEEP_MAX * 3 / 4);
}

/* ---- sending ------------------------------------------------------------- */

/* Take back sig if our write raised it and it was not pending before
 * (then it is the program's). */
static void signal_take_back(int sig, const sigset_t *pending_before)
{
    sigset_t one;
    struct timespec none = { 0, 0 };

    if (sigismember(pending_before, sig))
        return;
    sigemptyset(&one);
    sigaddset(&one, sig);
    while (sigtimedwait(&one, NULL, &none) < 0 && errno == EINTR)
        ;
}

ssize_t rep_write_quiet(int fd, const void *buf, size_t len)
{
    sigset_t set, old, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGXFSZ);
    sigpending(&pending);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    ssize_t n = write(fd, buf, len);
    int err = errno;
    if (n < 0 && err == EPIPE)
        signal_take_back(SIGPIPE, &pending);
    if (n < 0 && err == EFBIG)
        signal_take_back(SIGXFSZ, &pending);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}

/* End a line a broken file write cut (line_cut), so that the next line
 * does not continue its head. False, with *stuck or *broken, if the file
 * takes nothing yet. */
static bool cut_line_end(struct rep_transport *t, int *stuck, int *broken)
{
    ssize_t n;

    while ((n = rep_write_quiet(t->fd, "\n", 1)) < 0 && errno == EINTR)
        ;
    if (n == 1) {
        t->line_cut = 0;
        t->mid_line = 0;
        return true;
    }
    if (n < 0 && errno == EAGAIN)
        *stuck = 1;
    else
        *broken = n < 0 ? errno : EPIPE;
    return false;
}

/* Write what the fd takes now: the count written; *stuck when it stopped
 * taking (a full pipe or socket buffer), *broken (the errno) on any other
 * failure.
 * Sockets are sent to with MSG_NOSIGNAL: a reader that went away must
 * not SIGPIPE the program. */
static size_t write_some(struct rep_transport *t, const char *buf, size_t len,
                         int *stuck, int *broken)
{
    size_t done = 0;

    *stuck = *broken = 0;
    if (t->line_cut && !cut_line_end(t, stuck, broken))
        return 0;
    while (done < len) {
        ssize_t n = t->kind == REP_TRANSPORT_FILE
                    ? rep_write_quiet(t->fd, buf + done, len - done)
                    : send(t->fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            *stuck = 1;
        else if (n <= 0)
            *broken = n < 0 ? errno : EPIPE;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done) {
        t->mid_line = buf[done - 1] != '\n';
        t->backoff_ms = 0;      /* it takes lines: not one that resets at once */
    }
    return done;
}

/* A stream whose reader went away (EPIPE, ECONNRESET...): what was not
 * sent stays pending for the next connection, but for the tail of a line
 * the old reader had the head of. EBADF or ENOTSOCK: the program closed
 * our descriptor, and its number may be the program's now: not ours to
 * close. */
static void link_lost(struct rep_transport *t, int err)
{
    rep_log(trouble_level(t), "lost %s (%s)", t->url, strerror(err));
    fd_forget(t, err != EBADF && err != ENOTSOCK);
    if (t->mid_line && t->pending_len) {
        char *nl = memchr(t->pending, '\n', t->pending_len);
        size_t n = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;
        lost_add(t, t->pending, n);
        pending_consume(t, n);
    }
    t->mid_line = 0;
    retry_later(t);
}

/* A file took only part of what was written (a full disk, a size
 * limit): the rest is lost, and a line it cut is owed its end. */
static void file_tail_lost(struct rep_transport *t, const char *buf, size_t len)
{
    lost_add(t, buf, len);
    t->line_cut = t->mid_line;
}

/* A failed write: a file's bytes are lost, a stream's wait for the next
 * connection. */
static void write_broken(struct rep_transport *t, const char *buf, size_t len,
                         int err)
{
    if (t->kind == REP_TRANSPORT_FILE) {
        file_tail_lost(t, buf, len);
        return;
    }
    pending_add(t, buf, len);
    link_lost(t, err);
}

/* UDP: whole lines packed into datagrams of at most maxlen bytes. A line
 * longer than maxlen goes alone (shortening it, e.g. by trimming StatsD
 * tags, is not done here). A datagram that fails is lost: UDP keeps
 * nothing once connected. */
static void datagrams_send(struct rep_transport *t, const char *buf, size_t len)
{
    size_t start = 0;

    while (start < len) {
        size_t end = start;
        while (end < len) {
            const char *nl = memchr(buf + end, '\n', len - end);
            size_t next = nl ? (size_t)(nl - buf) + 1 : len;
            if (end > start && next - start > t->maxlen)
                break;
            end = next;
        }
        ssize_t n;
        while ((n = send(t->fd, buf + start, end - start, 0)) < 0 && errno == EINTR)
            ;
        if (n < 0 && (errno == EBADF || errno == ENOTSOCK)) {
            lost_add(t, buf + start, len - start);
            link_lost(t, errno);    /* not ours any more: a new socket later */
            return;
        }
        if (n < 0)
            lost_add(t, buf + start, end - start);
        start = end;
    }
}

/* Send what was kept; true when nothing is left. */
static bool pending_flush(struct rep_transport *t)
{
    int stuck, broken;

    if (t->kind == REP_TRANSPORT_UDP) {
        datagrams_send(t, t->pending, t->pending_len);
        t->pending_len = 0;
        return true;
    }
    size_t done = write_some(t, t->pending, t->pending_len, &stuck, &broken);
    pending_consume(t, done);
    if (broken && t->kind == REP_TRANSPORT_FILE) {
        file_tail_lost(t, t->pending, t->pending_len);
        t->pending_len = 0;
    } else if (broken) {
        link_lost(t, broken);
    }
    return t->pending_len == 0;
}

void rep_transport_write(struct rep_transport *t, const char *buf, size_t len)
{
    int stuck, broken;

    if (t->kind == REP_TRANSPORT_OFF || len == 0)
        return;
    /* Whole lines only: behind a tail still waiting, or a destination not
     * there yet, new lines wait too. */
    if (!link_ready(t) || (t->pending_len && !pending_flush(t))) {
        pending_add(t, buf, len);
        return;
    }
    if (t->kind == REP_TRANSPORT_UDP) {
        datagrams_send(t, buf, len);
        return;
    }
    size_t done = write_some(t, buf, len, &stuck, &broken);
    if (done == len)
        return;
    if (broken)
        write_broken(t, buf + done, len - done, broken);
    else
        pending_add(t, buf + done, len - done);
}

void rep_transport_program_copy_close(struct rep_transport *t)
{
    if (!t->owned || t->fd < 0 || t->fd_in_own_table)
        return;
    close(t->fd);                   /* the program's table: ours still open */
    t->fd_in_own_table = 1;
    fd_publish(t);
}

void rep_transport_own_table(struct rep_transport *t, int on)
{
    if (!on && t->fd_in_own_table && t->fd >= 0) {
        fd_forget(t, true);
        t->mid_line = 0;
    }
    t->fd_in_own_table = 0;
    t->table_own = on;
}

void rep_transport_abandon(struct rep_transport *t)
{
    /* not freed: after fork the parent may have been inside realloc */
    t->pending = NULL;
    t->pending_cap = 0;
    t->pending_len = 0;
    /* In a fork child, a descriptor of the parent reporter's own table
     * is a number that may name one of the program's files here. */
    fd_forget(t, !t->fd_in_own_table);
    t->published = NULL;
    t->kind = REP_TRANSPORT_OFF;
}

/* At the end: wait (bounded) for the reader to take what was kept, so
 * that the last line is not left cut in two. */
static void pending_drain(struct rep_transport *t, int timeout_ms)
{
    while (t->fd >= 0 && !pending_flush(t) && t->fd >= 0 && timeout_ms > 0) {
        struct pollfd p = { .fd = t->fd, .events = POLLOUT };
        if (poll(&p, 1, 10) < 0 && errno != EINTR)
            break;
        timeout_ms -= 10;
    }
    lost_add(t, t->pending, t->pending_len);
    t->pending_len = 0;
    if (t->mid_line && t->kind != REP_TRANSPORT_FILE) {
        /* the reader has half a line: whatever came next would be glued to
         * it; the next connection starts clean */
        fd_forget(t, true);
        t->mid_line = 0;
    }
}

void rep_transport_finish(struct rep_transport *t, int timeout_ms)
{
    if (!t->pending_len || t->kind == REP_TRANSPORT_OFF)
        return;
    link_check(t);
    if (t->fd < 0)
        link_connect(t);            /* one last try, whatever the backoff */
    pending_drain(t, timeout_ms);
}

void rep_transport_close(struct rep_transport *t)
{
    rep_transport_finish(t, 1000);
    free(t->pending);
    rep_transport_abandon(t);
}
