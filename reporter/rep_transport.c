/* rep_transport.c: file and network destinations for metrics and events:
 * opening, the descriptors we own, sending whole lines. */
#include "rep_transport.h"
#include "rep_clock.h"
#include "rep_connect.h"
#include "rep_fd.h"
#include "rep_log.h"
#include "rep_pending.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* What the URL names, into t (stdout and stderr are t->fd already); no
 * file opened yet. */
static int url_parse(struct rep_transport *t, const char *url, struct rep_url *u, char *err,
                     size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->connect_ok = 1;
    t->maxlen = REP_TRANSPORT_MAXLEN_DEFAULT;
    if (rep_url_parse(url, u, err, errlen) < 0)
        return -1;
    snprintf(t->url, sizeof t->url, "%s", url);
    t->kind = u->kind;
    t->fd = u->std_fd;
    memcpy(t->host, u->host, sizeof t->host);
    memcpy(t->port, u->port, sizeof t->port);
    return 0;
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

/* A descriptor scope handed the process (scheme://fd/N): a copy of our
 * own, high; N stays the caller's, who closes it. Never reopened: it
 * names a file (or a socket connected from the host) the process cannot
 * reach by any path or address. */
static int handed_fd_copy(int n, char *err, size_t errlen)
{
    int fd = rep_fd_copy_high(n);

    if (fd < 0)
        snprintf(err, errlen, "cannot use descriptor %d: %s", n, strerror(errno));
    return fd;
}

int rep_transport_open(struct rep_transport *t, const char *url,
                       char *err, size_t errlen)
{
    struct rep_url u;

    if (url_parse(t, url, &u, err, errlen) < 0)
        return -1;
    if (u.handed_fd >= 0) {
        int fd = handed_fd_copy(u.handed_fd, err, errlen);
        if (fd < 0) {
            t->kind = REP_TRANSPORT_OFF;
            return -1;
        }
        fd_own(t, fd);
        t->handed = 1;
        return 0;
    }
    if (t->kind == REP_TRANSPORT_FILE && t->fd < 0) {      /* a path */
        int fd = u.handed_fd >= 0 ? handed_fd_copy(u.handed_fd, err, errlen)
                                  : file_path_open(t, err, errlen);
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

int rep_transport_is_gone(const struct rep_transport *t)
{
    return t->handed && t->fd < 0;
}

void rep_transport_publish(struct rep_transport *t, int *slot)
{
    t->published = slot;
    fd_publish(t);
}

/* Connect now, whatever the backoff says; true when connected. */
static bool link_connect(struct rep_transport *t)
{
    const char *unresolved = NULL;
    int fd = -1;

    if (t->handed)
        return false;               /* nothing to reach it by (handed_lost) */
    switch (t->kind) {
    case REP_TRANSPORT_UDP: fd = rep_connect_inet(t, SOCK_DGRAM, &unresolved); break;
    case REP_TRANSPORT_TCP: fd = rep_connect_inet(t, SOCK_STREAM, &unresolved); break;
    case REP_TRANSPORT_UNIX: fd = rep_connect_unix(t); break;
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
        if (unresolved)
            rep_log(rep_connect_trouble_level(t), "cannot resolve %s (%s) for %s; %zu bytes "
                    "kept meanwhile", t->host, unresolved, t->url, t->pending_len);
        else
            rep_log(rep_connect_trouble_level(t), "cannot reach %s (%s); %zu bytes kept "
                    "meanwhile", t->url, strerror(err), t->pending_len);
        rep_connect_retry_later(t);
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
static void handed_lost(struct rep_transport *t, const char *why);

/* logrotate (or an operator) renamed or deleted our file: the path names
 * another file, or none, and what we write would go to the old one until
 * exit. Checked once a second, on the reporter thread; copytruncate keeps
 * the file (and O_APPEND follows the truncation), so it is no change. */
#define PATH_CHECK_EVERY_MS 1000

static bool file_path_moved(struct rep_transport *t)
{
    struct stat st;
    int64_t now;

    if (t->kind != REP_TRANSPORT_FILE || !t->owned || t->url[strlen("file://")] != '/')
        return false;
    now = rep_monotonic_ms();
    if (now - t->path_checked_ms < PATH_CHECK_EVERY_MS)
        return false;
    t->path_checked_ms = now;
    return stat(t->url + strlen("file://"), &st) < 0 || st.st_dev != t->dev ||
           st.st_ino != t->ino;
}

/* Let go of a descriptor that is no longer a way to the destination: the
 * program took it over (a file is reopened), the file was moved away
 * (reopened at its path), or the reader closed its end. */
static void link_check(struct rep_transport *t)
{
    if (t->fd >= 0 && !fd_still_ours(t) && t->handed) {
        fd_forget(t, false);
        t->mid_line = 0;
        handed_lost(t, "the program took over its descriptor");
    } else if (t->fd >= 0 && !fd_still_ours(t)) {
        rep_log(REP_LOG_WARNING, "the program took over descriptor %d of %s; "
                "reopening", t->fd, t->url);
        fd_forget(t, false);
        t->mid_line = 0;
        t->retry_ms = 0;
    } else if (t->fd >= 0 && file_path_moved(t)) {
        rep_log(REP_LOG_WARNING, "%s was moved or deleted; reopening",
                t->url + strlen("file://"));
        fd_forget(t, true);
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

/* ---- sending ------------------------------------------------------------- */

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
/* A handed descriptor gone (the reader went away, the program took the
 * number): there is no way back to its destination from here; what was
 * kept and all that follows is counted lost. Said once, as a warning. */
static void handed_lost(struct rep_transport *t, const char *why)
{
    rep_log(REP_LOG_WARNING, "lost %s (%s): scope handed it to the process, which cannot "
            "reach it again; its lines are counted lost until scope detach and attach "
            "hand it a new one", t->url, why);
    rep_pending_lose(t, t->pending, t->pending_len);
    t->pending_len = 0;
}

static void link_lost(struct rep_transport *t, int err)
{
    if (t->handed) {
        fd_forget(t, err != EBADF && err != ENOTSOCK);
        t->mid_line = 0;
        handed_lost(t, strerror(err));
        return;
    }
    rep_log(rep_connect_trouble_level(t), "lost %s (%s)", t->url, strerror(err));
    fd_forget(t, err != EBADF && err != ENOTSOCK);
    if (t->mid_line && t->pending_len)
        rep_pending_drop_first_line(t);
    t->mid_line = 0;
    rep_connect_retry_later(t);
}

/* A file took only part of what was written (a full disk, a size
 * limit): the rest is lost, and a line it cut is owed its end. */
static void file_tail_lost(struct rep_transport *t, const char *buf, size_t len)
{
    rep_pending_lose(t, buf, len);
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
    rep_pending_add(t, buf, len);
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
            rep_pending_lose(t, buf + start, len - start);
            link_lost(t, errno);    /* not ours any more: a new socket later */
            return;
        }
        if (n < 0)
            rep_pending_lose(t, buf + start, end - start);
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
    rep_pending_consume(t, done);
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
    if (t->handed && t->fd < 0) {
        rep_pending_lose(t, buf, len);      /* handed_lost said why */
        return;
    }
    /* Whole lines only: behind a tail still waiting, or a destination not
     * there yet, new lines wait too. */
    if (!link_ready(t) || (t->pending_len && !pending_flush(t))) {
        rep_pending_add(t, buf, len);
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
        rep_pending_add(t, buf + done, len - done);
}

void rep_transport_program_copy_close(struct rep_transport *t)
{
    /* a handed descriptor's copy stays: the program's children inherit
     * it, having no other way to the destination */
    if (!t->owned || t->fd < 0 || t->fd_in_own_table || t->handed)
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

void rep_transport_child_url(const struct rep_transport *t, char *url, size_t cap)
{
    const char *scheme_end = strstr(t->url, "://");

    if (!t->handed) {
        snprintf(url, cap, "%s", t->url);
    } else if (t->fd >= 0 && t->owned && !t->fd_in_own_table && scheme_end) {
        snprintf(url, cap, "%.*s://fd/%d", (int)(scheme_end - t->url), t->url, t->fd);
    } else {
        rep_log(REP_LOG_WARNING, "this child of the process has no copy of %s (its "
                "parent had lost it): its lines go nowhere", t->url);
        url[0] = '\0';
    }
}

/* A reader still taking lines when the end's wait ran out may hold the
 * head of one: it gets that line's tail, within this much more. */
#define LINE_TAIL_MS 200

static void line_tail_send(struct rep_transport *t)
{
    char *nl = memchr(t->pending, '\n', t->pending_len);
    size_t n = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;

    for (int waited = 0; n && t->fd >= 0 && waited < LINE_TAIL_MS; waited += 10) {
        int stuck, broken;
        size_t done = write_some(t, t->pending, n, &stuck, &broken);
        rep_pending_consume(t, done);
        n -= done;
        if (broken)
            return;
        struct pollfd p = { .fd = t->fd, .events = POLLOUT };
        if (n && poll(&p, 1, 10) < 0 && errno != EINTR)
            return;
    }
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
    if (t->mid_line && t->pending_len)
        line_tail_send(t);
    rep_pending_lose(t, t->pending, t->pending_len);
    t->pending_len = 0;
    if (t->mid_line && t->kind == REP_TRANSPORT_FILE) {
        /* a FIFO's reader has half a line: the next line (the loss
         * notice) ends it first */
        t->line_cut = 1;
    } else if (t->mid_line) {
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
