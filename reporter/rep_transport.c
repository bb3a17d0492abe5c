/* rep_transport.c: file destinations for metrics and events. */
#include "rep_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Our descriptors live high so that a program that expects open() to return
 * the lowest free number (3, 4, ...) still gets it. */
#define REP_FD_FLOOR 900

static int fd_move_high(int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, REP_FD_FLOOR);
    if (high < 0)
        return fd;      /* RLIMIT_NOFILE below the floor: keep the low one */
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

void rep_transport_write(struct rep_transport *t, const char *buf, size_t len)
{
    if (t->fd < 0)
        return;
    while (len > 0) {
        ssize_t n = write(t->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            t->lost_bytes += len;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void rep_transport_close(struct rep_transport *t)
{
    if (t->owned && t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->owned = 0;
}
