/* rep_transport.c: file destinations for metrics and events. */
#include "rep_transport.h"

#include <errno.h>
#include <fcntl.h>
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
