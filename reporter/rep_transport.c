/* rep_transport.c: file destinations for metrics and events. */
#include "rep_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The size of this process's descriptor table (FDSize in
 * /proc/self/status), or 0 when unknown. */
static int fd_table_size(void)
{
    char buf[2048];
    int size = 0;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *at = strstr(buf, "FDSize:");
    if (at)
        size = atoi(at + strlen("FDSize:"));
    return size;
}

/* Our descriptors live high, so that a program that expects open() to
 * return the lowest free number (3, 4, ...) still gets it; but within the
 * descriptor table the process already has: growing it in a multi-threaded
 * process waits for an RCU grace period (about 10 ms, while `scope attach`
 * holds the process stopped). */
static int fd_move_high(int fd)
{
    int floor = fd_table_size() - 8;
    if (floor <= fd)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
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
    return fd_move_high(fd);
}

int rep_transport_open(struct rep_transport *t, const char *url,
                       char *err, size_t errlen)
{
    static const char file_scheme[] = "file://";

    t->fd = -1;
    t->owned = 0;
    t->lost_bytes = 0;
    t->pending = NULL;
    t->pending_len = 0;
    snprintf(t->url, sizeof t->url, "%s", url);
    if (url[0] == '\0')
        return 0;
    if (strncmp(url, file_scheme, sizeof file_scheme - 1) != 0) {
        snprintf(err, errlen, "unsupported destination \"%s\" (this version "
                 "supports file:///path, file://stdout, file://stderr)", url);
        return -1;
    }
    const char *rest = url + sizeof file_scheme - 1;
    if (!strcmp(rest, "stdout")) {
        t->fd = STDOUT_FILENO;
        return 0;
    }
    if (!strcmp(rest, "stderr")) {
        t->fd = STDERR_FILENO;
        return 0;
    }
    if (rest[0] != '/') {
        snprintf(err, errlen, "destination \"%s\" must name an absolute path "
                 "(file:///abs/path)", url);
        return -1;
    }
    t->fd = file_open_append(rest, err, errlen);
    t->owned = t->fd >= 0;
    return t->fd >= 0 ? 0 : -1;
}

int rep_transport_is_on(const struct rep_transport *t)
{
    return t->fd >= 0;
}

#define PENDING_MAX (1024 * 1024)

/* Write what the fd takes now: the count written; *stuck when it stopped
 * taking (a full pipe), *broken on any other failure. */
static size_t write_some(int fd, const char *buf, size_t len, int *stuck, int *broken)
{
    size_t done = 0;

    *stuck = *broken = 0;
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            *stuck = 1;
        else if (n <= 0)
            *broken = 1;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

/* Keep bytes for later; false when there is no room (they are lost). */
static bool pending_add(struct rep_transport *t, const char *buf, size_t len)
{
    if (t->pending_len + len > PENDING_MAX)
        return false;
    char *grown = realloc(t->pending, t->pending_len + len);
    if (!grown)
        return false;
    memcpy(grown + t->pending_len, buf, len);
    t->pending = grown;
    t->pending_len += len;
    return true;
}

/* Send what was kept; true when nothing is left. */
static bool pending_flush(struct rep_transport *t)
{
    int stuck, broken;
    size_t done = write_some(t->fd, t->pending, t->pending_len, &stuck, &broken);

    if (broken) {
        t->lost_bytes += t->pending_len - done;
        done = t->pending_len;
    }
    memmove(t->pending, t->pending + done, t->pending_len - done);
    t->pending_len -= done;
    return t->pending_len == 0;
}

void rep_transport_write(struct rep_transport *t, const char *buf, size_t len)
{
    int stuck, broken;

    if (t->fd < 0 || len == 0)
        return;
    /* Whole lines only: behind a tail still waiting, new lines wait too. */
    if (t->pending_len && !pending_flush(t)) {
        if (!pending_add(t, buf, len))
            t->lost_bytes += len;
        return;
    }
    size_t done = write_some(t->fd, buf, len, &stuck, &broken);
    if (done == len)
        return;
    if (stuck && pending_add(t, buf + done, len - done))
        return;
    t->lost_bytes += len - done;
}

void rep_transport_abandon(struct rep_transport *t)
{
    free(t->pending);
    t->pending = NULL;
    t->pending_len = 0;
    if (t->owned && t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->owned = 0;
}

/* At the end: wait (bounded) for the reader to take what was kept, so
 * that the last line is not left cut in two. */
static void pending_drain(struct rep_transport *t, int timeout_ms)
{
    struct pollfd p = { .fd = t->fd, .events = POLLOUT };

    while (t->pending_len && !pending_flush(t) && timeout_ms > 0) {
        if (poll(&p, 1, 10) < 0 && errno != EINTR)
            break;
        timeout_ms -= 10;
    }
    t->lost_bytes += t->pending_len;
}

void rep_transport_finish(struct rep_transport *t, int timeout_ms)
{
    if (t->pending_len && t->fd >= 0)
        pending_drain(t, timeout_ms);
}

void rep_transport_close(struct rep_transport *t)
{
    rep_transport_finish(t, 1000);
    rep_transport_abandon(t);
}
