/* rep_log.c: libscope.so's own diagnostics log (see rep_log.h). */
#include "rep_log.h"
#include "rep_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* Written at configure time (attach, under the library's control lock),
 * read by whichever thread logs. */
static int log_level = REP_LOG_NONE;        /* atomic */
static struct rep_config log_cfg;           /* for the default directory */
static char log_path[4096];                 /* "": the default, found on use */
static bool log_to_stderr;
/* The open file, one per descriptor table: [0] in the program's, [1] in
 * the reporter thread's own (rep_fd_table.c), where the program's numbers mean
 * something else. Opened on first use and checked before each line (the
 * program may close our number and reuse it). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd[2] = { -1, -1 };
static dev_t log_dev[2];
static ino_t log_ino[2];
static int *log_published;                  /* for the close wrapper: [0] */
static __thread int log_table;              /* 1 on the reporter thread */

static void log_fd_set(int table, int fd)
{
    log_fd[table] = fd;
    if (table == 0 && log_published)
        __atomic_store_n(log_published, fd, __ATOMIC_RELEASE);
}

/* Is table t's log fd still the file we opened? The program may have
 * closed the number behind us and opened something else on it. */
static bool log_fd_ours(int t)
{
    struct stat st;

    return log_fd[t] >= 0 && fstat(log_fd[t], &st) == 0 && st.st_dev == log_dev[t] &&
           st.st_ino == log_ino[t];
}

/* Under log_lock: the file to write to, or -1. A log nobody needs creates
 * no file nor directory; a failed open is tried again at the next line. */
static int log_fd_get(void)
{
    struct stat st;
    char dir[4000];

    int t = log_table;

    if (log_to_stderr)
        return STDERR_FILENO;
    if (log_fd_ours(t))
        return log_fd[t];
    if (log_fd[t] >= 0)
        log_fd_set(t, -1);              /* taken over by the program: not closed */
    if (!log_path[0]) {
        if (rep_config_user_dir(&log_cfg, NULL, dir, sizeof dir) < 0)
            return -1;              /* no HOME of ours: nothing to say it in */
        snprintf(log_path, sizeof log_path, "%s/libscope.log", dir);
    }
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                  O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0)
        return -1;
    fd = rep_fd_move_high(fd);
    if (fstat(fd, &st) == 0) {
        log_dev[t] = st.st_dev;
        log_ino[t] = st.st_ino;
    }
    log_fd_set(t, fd);
    return fd;
}

/* file:///abs/path or file://stderr (rep_config checked which). */
static void dest_parse(const char *dest)
{
    const char *rest = dest + strlen("file://");

    if (!strcmp(rest, "stderr"))
        log_to_stderr = true;
    else
        snprintf(log_path, sizeof log_path, "%s", rest);
}

void rep_log_configure(const struct rep_config *c)
{
    rep_log_close();
    if (c->log_level == REP_LOG_NONE)
        return;
    log_cfg = *c;
    if (c->log_dest[0])
        dest_parse(c->log_dest);
    __atomic_store_n(&log_level, c->log_level, __ATOMIC_RELEASE);
}

void rep_log_publish(int *slot)
{
    pthread_mutex_lock(&log_lock);
    log_published = slot;
    log_fd_set(0, log_fd[0]);
    pthread_mutex_unlock(&log_lock);
}

void rep_log_own_table(void)
{
    log_table = 1;
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
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ scope[%d] %s: ",
                          now.tv_nsec / 1000000, (int)getpid(), rep_log_level_names[level]);
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + (size_t)m < sizeof line - 1 ? n + (size_t)m : sizeof line - 2;
    line[n++] = '\n';
    pthread_mutex_lock(&log_lock);
    int fd = log_fd_get();
    if (fd >= 0)
        (void)!rep_write_quiet(fd, line, n);    /* stderr may be a pipe */
    pthread_mutex_unlock(&log_lock);
    errno = saved;
}

void rep_log_close(void)
{
    __atomic_store_n(&log_level, REP_LOG_NONE, __ATOMIC_RELEASE);
    pthread_mutex_lock(&log_lock);
    if (log_fd_ours(0))             /* else the program's now: not closed */
        close(log_fd[0]);
    log_fd_set(0, -1);
    log_fd[1] = -1;                 /* went with the reporter thread's table */
    log_path[0] = '\0';
    log_to_stderr = false;
    pthread_mutex_unlock(&log_lock);
}

void rep_log_after_fork_child(void)
{
    pthread_mutex_init(&log_lock, NULL);    /* another thread may have held it */
}
