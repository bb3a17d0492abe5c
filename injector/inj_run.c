/* inj_run.c: `scope run` (see inj_run.h).
 *
 * The child creates the session directory with its own pid (which stays
 * CMD's pid across execvp), sets the environment and execs CMD. It reports
 * to the parent through a close-on-exec pipe: once when ready (naming the
 * session directory), and once more if exec fails. End of file after the
 * first report means CMD is running.
 */
#include "inj_run.h"

#include "inj_config.h"
#include "inj_interp.h"
#include "inj_session.h"
#include "inj_target.h"
#include "inj_term.h"
#include "scope_ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum stage { STAGE_READY = 1, STAGE_SETUP_FAILED, STAGE_EXEC_FAILED };

struct report {
    int stage;
    int err;                /* errno of the failed exec */
    char dir[PATH_MAX];     /* the session directory; "" when none */
};

/* Signal dispositions and mask before scope changed them. */
struct signals {
    sigset_t mask;
    struct sigaction intr, quit;
};

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    int saved = errno;

    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
    errno = saved;
}

/* Before fork: SIGTERM/SIGHUP blocked until the parent knows whom to
 * forward them to; SIGINT/SIGQUIT ignored (the terminal sends them to CMD
 * too, and scope must outlive CMD to report). */
static void prepare_signals(struct signals *saved)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t block;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &saved->mask);
    sigaction(SIGINT, &ign, &saved->intr);
    sigaction(SIGQUIT, &ign, &saved->quit);
}

/* In the child: CMD gets the dispositions and mask scope was started with. */
static void restore_signals(const struct signals *saved)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};

    sigaction(SIGINT, &saved->intr, NULL);
    sigaction(SIGQUIT, &saved->quit, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGHUP, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

/* In the parent: SIGTERM/SIGHUP go on to CMD. */
static void forward_signals(const struct signals *saved, pid_t pid)
{
    struct sigaction fwd = {.sa_handler = forward, .sa_flags = SA_RESTART};

    child_pid = pid;
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

static int write_full(int fd, const void *buf, size_t len)
{
    for (const char *p = buf; len > 0;) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Bytes read; fewer than len at end of file. */
static size_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static const char *proc_name(const char *cmd)
{
    const char *slash = strrchr(cmd, '/');
    const char *base = slash ? slash + 1 : cmd;

    return base[0] ? base : "cmd";
}

static json_t *start_info(const struct inj_run_opts *o, const char *lib,
                          const struct inj_dests *d, unsigned long n, long long start)
{
    json_t *cmd = json_array();
    json_t *info;

    for (char **a = o->argv; *a; a++)
        json_array_append_new(cmd, json_string(*a));
    info = json_pack("{s:o, s:s, s:I, s:I, s:I, s:s, s:s, s:s}",
                     "cmd", cmd, "proc", proc_name(o->argv[0]),
                     "pid", (json_int_t)getpid(), "n", (json_int_t)n,
                     "start", (json_int_t)start, "library", lib,
                     "metric_dest", d->metric, "event_dest", d->event);
    if (info && d->metric_format)
        json_object_set_new(info, "metric_format", json_string(d->metric_format));
    return info;
}

/* Create the session directory (unless both destinations are given), its
 * empty output files and info.json. dir receives its path or "". */
static int make_session(const struct inj_run_opts *o, const char *lib, struct inj_dests *d,
                        char *dir, size_t len)
{
    char hist[PATH_MAX];
    long long start = (long long)time(NULL);
    unsigned long n;
    json_t *info;
    int rc;

    dir[0] = '\0';
    if (o->metric_dest && o->event_dest) {
        inj_dests_choose(o->metric_dest, o->event_dest, o->metric_format, dir, d);
        return 0;
    }
    if (inj_history_dir(hist, sizeof hist) < 0 ||
        inj_session_create(hist, proc_name(o->argv[0]), getpid(), start, dir, len, &n) < 0)
        return -1;
    inj_dests_choose(o->metric_dest, o->event_dest, o->metric_format, dir, d);
    info = start_info(o, lib, d, n, start);
    rc = info ? 0 : -1;
    if (!info)
        fprintf(stderr, "scope: out of memory\n");
    if (rc == 0 && !o->metric_dest)
        rc = inj_session_touch(dir, INJ_METRICS_FILE);
    if (rc == 0 && !o->event_dest)
        rc = inj_session_touch(dir, INJ_EVENTS_FILE);
    if (rc == 0)
        rc = inj_info_write(dir, info);
    json_decref(info);
    if (rc < 0) {
        inj_session_remove(dir);
        dir[0] = '\0';
    }
    return rc;
}

/* LD_PRELOAD gets lib in front of what it had; flags override SCOPE_*.
 * The session directory (may be "") is where crash backtraces go; conf
 * (may be "") is the configuration file the library is to read. */
static int set_env(const struct inj_run_opts *o, const char *lib, const struct inj_dests *d,
                   const char *dir, const char *conf)
{
    const char *old = getenv("LD_PRELOAD");
    struct inj_config_set set[INJ_CONFIG_NSET];
    char *preload;
    int rc;

    if (old && old[0]) {
        if (asprintf(&preload, "%s:%s", lib, old) < 0)
            return -1;
    } else if (!(preload = strdup(lib))) {
        return -1;
    }
    rc = setenv("LD_PRELOAD", preload, 1) | (conf[0] ? setenv("SCOPE_CONF_PATH", conf, 1) : 0);
    inj_config_sets(o, d, dir, set);
    for (size_t i = 0; i < INJ_CONFIG_NSET; i++)
        if (set[i].value)
            rc |= setenv(set[i].key, set[i].value, 1);
    free(preload);
    if (rc != 0)
        fprintf(stderr, "scope: cannot set the environment: %s\n", strerror(errno));
    return rc;
}

static void __attribute__((noreturn))
run_child(const struct inj_run_opts *o, const char *lib, const char *conf, int fd,
          const struct signals *saved)
{
    struct report r = {.stage = STAGE_READY};
    struct inj_dests d;

    restore_signals(saved);
    if (make_session(o, lib, &d, r.dir, sizeof r.dir) < 0 ||
        set_env(o, lib, &d, r.dir, conf) < 0) {
        if (r.dir[0])
            inj_session_remove(r.dir);
        r.stage = STAGE_SETUP_FAILED;
        write_full(fd, &r, sizeof r);
        _exit(2);
    }
    write_full(fd, &r, sizeof r);
    execvp(o->argv[0], o->argv);
    r.stage = STAGE_EXEC_FAILED;
    r.err = errno;
    write_full(fd, &r, sizeof r);
    _exit(r.err == ENOENT ? 127 : 126);
}

static int wait_child(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "scope: waitpid: %s\n", strerror(errno));
            return -1;
        }
    }
    return status;
}

/* "SEGV" style name of a signal, or its number. */
static void signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
}

/* Add how CMD ended to info.json. */
static void finish_info(const char *dir, int code, int sig)
{
    json_t *info = inj_info_read(dir);
    char name[32];

    if (!info)
        info = json_object();
    json_object_set_new(info, "exit_status", json_integer(code));
    json_object_set_new(info, "end", json_integer((json_int_t)time(NULL)));
    if (sig) {
        signal_name(sig, name, sizeof name);
        json_object_set_new(info, "signal", json_string(name));
    }
    inj_info_write(dir, info);
    json_decref(info);
}

/* The exit status scope forwards for a wait() status. */
static int exit_code(const char *cmd, int status, int *sig)
{
    char name[32];

    *sig = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    *sig = WTERMSIG(status);
    signal_name(*sig, name, sizeof name);
    fprintf(stderr, "scope: %s killed by signal %d (%s)\n", cmd, *sig, name);
    return 128 + *sig;
}

/* After a crash: where libscope wrote the backtrace, if it did (the
 * session directory, else the per-user crash directory). */
static void backtrace_report(const char *session_dir, pid_t pid)
{
    char dir[PATH_MAX], prefix[64];
    const char *home = getenv("HOME");
    struct dirent *e;
    DIR *d;

    if (session_dir[0])
        snprintf(dir, sizeof dir, "%s", session_dir);
    else
        snprintf(dir, sizeof dir, "%s/.scope/crash", home ? home : "/tmp");
    snprintf(prefix, sizeof prefix, "backtrace_%d_", (int)pid);
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            fprintf(stderr, "scope: backtrace in %s/%s\n", dir, e->d_name);
    closedir(d);
}

/* The build of libscope.so for cmd's C library (the glibc one when cmd is
 * not found: exec reports that), with both builds named in the
 * environment for the library (scope_ctl.h). 0, or -1 printed. */
static int run_library(const char *cmd, char *lib, size_t cap)
{
    char ours[PATH_MAX], path[PATH_MAX], why[PATH_MAX * 2 + 256];

    if (inj_find_library(ours, sizeof ours) < 0)
        return -1;
    if (inj_program_lookup(cmd, path, sizeof path) < 0)
        snprintf(path, sizeof path, "%s", cmd);
    if (inj_interp_library(path, ours, lib, cap, why, sizeof why) == 0) {
        char musl[PATH_MAX];
        int rc = setenv(SCOPE_CTL_LIB_GLIBC_ENV, ours, 1);
        if (inj_interp_musl_library(ours, musl, sizeof musl) == 0)
            rc |= setenv(SCOPE_CTL_LIB_MUSL_ENV, musl, 1);
        else
            rc |= unsetenv(SCOPE_CTL_LIB_MUSL_ENV);
        if (rc != 0)
            fprintf(stderr, "scope: cannot set the environment: %s\n", strerror(errno));
        return rc;
    }
    if (why[0]) {
        char *text = inj_term_dup(why);
        fprintf(stderr, "scope: cannot run %s: %s\n", inj_term(cmd, path, sizeof path),
                text ? text : "out of memory");
        free(text);
    }
    return -1;
}

/* CMD under observation, once the configuration is known. */
static int run_observed(const struct inj_run_opts *o, const struct inj_config *cfg)
{
    char lib[PATH_MAX];
    struct signals saved;
    struct report r = {0}, failed = {0};
    int fds[2], status, code, sig;
    pid_t pid;

    if (run_library(o->argv[0], lib, sizeof lib) < 0 || inj_check_program(o->argv[0]) < 0)
        return 2;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "scope: pipe: %s\n", strerror(errno));
        return 2;
    }
    prepare_signals(&saved);
    pid = fork();
    if (pid == 0)
        run_child(o, lib, cfg->path, fds[1], &saved);
    close(fds[1]);
    if (pid < 0) {
        fprintf(stderr, "scope: fork: %s\n", strerror(errno));
        close(fds[0]);
        return 2;
    }
    forward_signals(&saved, pid);
    if (read_full(fds[0], &r, sizeof r) == sizeof r && r.stage == STAGE_READY)
        read_full(fds[0], &failed, sizeof failed);
    close(fds[0]);
    if ((status = wait_child(pid)) < 0)
        return 2;
    if (r.stage == STAGE_SETUP_FAILED)
        return 2;
    if (failed.stage == STAGE_EXEC_FAILED) {
        fprintf(stderr, "scope: cannot run '%s': %s\n", o->argv[0], strerror(failed.err));
        if (r.dir[0])
            inj_session_remove(r.dir);
        return failed.err == ENOENT ? 127 : 126;
    }
    code = exit_code(o->argv[0], status, &sig);
    if (sig && o->backtrace)
        backtrace_report(r.dir, pid);
    if (r.dir[0]) {
        finish_info(r.dir, code, sig);
        fprintf(stderr, "scope: session %s\n", r.dir);
    }
    return code;
}

static int run_go(void *o, const struct inj_config *cfg)
{
    return run_observed(o, cfg);
}

int inj_run(const struct inj_run_opts *opts)
{
    struct inj_run_opts o = *opts;

    return inj_config_run("run", &o, run_go, &o);
}
