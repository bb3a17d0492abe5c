/* rep_log.c: libscope.so's own diagnostics log (see rep_log.h). */
#include "rep_log.h"
#include "rep_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = { "none", "error", "warning", "info", "debug" };

static int log_level = REP_LOG_NONE;        /* atomic */
static int log_fd = -1;                     /* atomic: -1 not open yet */
static char log_path[4096];                 /* "" with log_fd set: stderr */

/* The file, opened on first use: a log nobody needs creates no file. Two
 * threads may race to open it; the loser closes its copy. */
static int log_fd_get(void)
{
    int fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);

    if (fd >= 0 || !log_path[0])
        return fd;
    fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
              O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0) {
        __atomic_store_n(&log_level, REP_LOG_NONE, __ATOMIC_RELAXED);
        return -1;                  /* nowhere to say it: say nothing */
    }
    fd = rep_fd_move_high(fd);
    int expected = -1;
    if (!__atomic_compare_exchange_n(&log_fd, &expected, fd, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        close(fd);
        fd = expected;
    }
    return fd;
}

/* file:///abs/path or file://stderr: where SCOPE_LOG_DEST may point. */
static int dest_parse(const char *dest, char *err, size_t errlen)
{
    const char *rest = dest + strlen("file://");

    if (strncmp(dest, "file://", strlen("file://")) != 0 ||
        (rest[0] != '/' && strcmp(rest, "stderr") != 0)) {
        snprintf(err, errlen, "SCOPE_LOG_DEST=\"%s\" is not file:///abs/path or "
                 "file://stderr; the log is off", dest);
        return -1;
    }
    if (!strcmp(rest, "stderr")) {
        log_path[0] = '\0';
        __atomic_store_n(&log_fd, STDERR_FILENO, __ATOMIC_RELEASE);
        return 0;
    }
    snprintf(log_path, sizeof log_path, "%s", rest);
    return 0;
}

int rep_log_configure(const struct rep_config *c, char *err, size_t errlen)
{
    char dir[4000];

    rep_log_close();
    if (c->log_level == REP_LOG_NONE)
        return 0;
    if (c->log_dest[0]) {
        if (dest_parse(c->log_dest, err, errlen) < 0)
            return -1;
    } else if (rep_config_user_dir(c, NULL, dir, sizeof dir) == 0) {
        snprintf(log_path, sizeof log_path, "%s/libscope.log", dir);
    } else {
        snprintf(err, errlen, "no directory for the log (HOME unset, or "
                 "$HOME/.scope not a directory of ours); set SCOPE_LOG_DEST");
        return -1;
    }
    __atomic_store_n(&log_level, c->log_level, __ATOMIC_RELEASE);
    return 0;
}

int rep_log_wants(enum rep_log_level level)
{
    return level != REP_LOG_NONE &&
           (int)level <= __atomic_load_n(&log_level, __ATOMIC_ACQUIRE);
}

void rep_log(enum rep_log_level level, const char *fmt, ...)
{
    char line[2048];
    struct timespec now;
    struct tm tm;
    va_list ap;
    int saved = errno;              /* callers may be about to read it */

    if (!rep_log_wants(level))
        return;
    int fd = log_fd_get();
    if (fd < 0) {
        errno = saved;
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ scope[%d] %s: ",
                          now.tv_nsec / 1000000, (int)getpid(), level_names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + (size_t)m < sizeof line - 1 ? n + (size_t)m : sizeof line - 2;
    line[n++] = '\n';
    (void)!write(fd, line, n);
    errno = saved;
}

void rep_log_close(void)
{
    __atomic_store_n(&log_level, REP_LOG_NONE, __ATOMIC_RELEASE);
    int fd = __atomic_exchange_n(&log_fd, -1, __ATOMIC_ACQ_REL);
    if (fd > STDERR_FILENO)
        close(fd);
    log_path[0] = '\0';
}
