/* inj_attach.c: `scope attach` and `scope detach` (see inj_attach.h).
 *
 * Everything that can be judged from /proc and the files is judged before
 * the target is touched: its state, whether we may trace it, whether
 * libscope is already there, its executable, the library file. Then one
 * thread is stopped once (inj_ptrace), the calls run on it (inj_inject),
 * and it is given back. Errors print "scope: ..." and exit 1; usage
 * errors exit 2.
 */
#include "inj_attach.h"

#include "elfpatch.h"
#include "inj_cli.h"
#include "inj_config.h"
#include "inj_inject.h"
#include "inj_proc.h"
#include "inj_ptrace.h"
#include "inj_session.h"
#include "inj_target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAP_SYS_PTRACE_BIT 19

const char inj_attach_help[] =
"Usage: scope attach [OPTIONS] PID|NAME\n"
"\n"
"Load libscope.so into a running process and start observing it, without\n"
"restarting it. NAME is a command name (/proc/PID/comm); it must match\n"
"exactly one process.\n"
"\n"
"Options:\n"
"  -m, --metricdest URL     send metrics to URL instead of the session's metrics.json\n"
"  -e, --eventdest URL      send events to URL instead of the session's events.json\n"
"      --metricformat FMT   statsd or ndjson; statsd needs -m\n"
"  -v, --verbosity N        metric verbosity, 0 to 9\n"
"  -p, --period SECONDS     seconds between metric reports, 1 to 86400\n"
"      --backtrace          when the process crashes, write its stack to the\n"
"                           session directory (else ~/.scope/crash) and as an\n"
"                           event; it then dies as it would have\n"
"      --verbose            say how long the process was stopped\n"
"  -u, --userconfig FILE    read the configuration from FILE (scope.yml)\n"
"      --dry-run            print the configuration the process would get,\n"
"                           each value with where it comes from, and touch\n"
"                           no process\n"
"  -h, --help               show this help\n"
"  URL is file:///absolute/path, file://stdout or file://stderr (the\n"
"  process's own stdout and stderr), udp://host:port, tcp://host:port,\n"
"  unix:///absolute/path or unix://@abstract-name.\n"
"\n"
"Configuration: the file (-u FILE, else $SCOPE_CONF_PATH, else\n"
"$SCOPE_HOME/scope.yml, else /etc/scope/scope.yml), checked before the\n"
"process is touched (an error exits 2), then every SCOPE_* variable of\n"
"scope's environment (for example SCOPE_SUMMARY_PERIOD=1 scope attach 1234),\n"
"then the options above: each replaces what the one before set (see\n"
"`scope run --help`). The library gets them as lines, the file's first.\n"
"\n"
"Session: unless both destinations are given (option, variable or file), a\n"
"session directory is made as\n"
"`scope run` makes it, named <proc>_<n>_<pid>_<start> after the process, and\n"
"printed as \"scope: session DIR\". The process opens its files itself, as its\n"
"own user: when scope runs as root and the process as another user, the\n"
"directory is made in /run/scope/ (or /var/tmp/scope/), owned by that user,\n"
"and $SCOPE_HOME/history/ gets a symlink to it.\n"
"\n"
"How: one thread waiting in a system call (read, poll, sleep, accept, futex,\n"
"...), or, when none waits, the main thread stopped right after an I/O\n"
"system call, is stopped with ptrace; it calls dlopen(libscope.so) and\n"
"scope_ctl_attach() and is put back exactly as it was; its system call\n"
"resumes. The other threads keep running. A process where libscope.so is\n"
"loaded but detached is attached again without loading it again.\n"
"\n"
"Refused, with the reason: no such process, zombie or stopped processes,\n"
"processes scope may not trace (another user's without root, Yama\n"
"ptrace_scope, missing CAP_SYS_PTRACE), processes already traced (a\n"
"debugger), statically linked, Go without cgo and 32-bit programs, and a\n"
"library file that another user could replace or that the process cannot\n"
"see at the same path (another mount namespace: install scope there).\n"
"\n"
"Exit status:\n"
"  0  attached, or it already was (scope says so and changes nothing)\n"
"  1  refused, or the attach failed (the process is left as it was)\n"
"  2  usage error or bad configuration file (nothing was touched)\n"
"  With --dry-run: 0 when the configuration was printed.\n";

const char inj_detach_help[] =
"Usage: scope detach [--verbose] PID|NAME|--all\n"
"\n"
"Stop observing a process: scope_ctl_detach() runs in it, which puts back\n"
"every GOT slot libscope.so changed, writes what is pending and stops its\n"
"reporter thread. The library stays loaded (a thread may still be inside\n"
"it); a later `scope attach` reuses it.\n"
"\n"
"Options:\n"
"  --all        detach from every process libscope.so is attached in\n"
"  --verbose    say how long the process was stopped\n"
"  -h, --help   show this help\n"
"\n"
"Exit status:\n"
"  0  detached (--all: from every attached process, or none was attached)\n"
"  1  the process is not attached, is refused (as for attach), or the\n"
"     detach failed\n"
"  2  usage error\n";

/* ---- command lines --------------------------------------------------------- */

/* ---- what /proc says about the target --------------------------------------- */

struct target {
    pid_t pid;
    char comm[64];
    uid_t uid[3];               /* real, effective, saved */
    gid_t gid[3];
    pid_t tracer;               /* TracerPid, 0 when none */
    unsigned long long cap_prm;
    const char *doing;          /* "attach" or "detach", for messages */
};

struct caps {
    unsigned long long prm, eff;
};

/* Name, Uid, Gid, TracerPid and CapPrm of /proc/PID/status. */
static int status_read(pid_t pid, struct target *t)
{
    char path[64], line[256];
    unsigned u[3], g[3];

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    memset(t, 0, sizeof *t);
    t->pid = pid;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "Name:\t%63[^\n]", t->comm) == 1)
            continue;
        if (sscanf(line, "Uid:\t%u\t%u\t%u", &u[0], &u[1], &u[2]) == 3)
            for (int i = 0; i < 3; i++)
                t->uid[i] = u[i];
        else if (sscanf(line, "Gid:\t%u\t%u\t%u", &g[0], &g[1], &g[2]) == 3)
            for (int i = 0; i < 3; i++)
                t->gid[i] = g[i];
        else if (sscanf(line, "TracerPid:\t%d", &t->tracer) == 1 ||
                 sscanf(line, "CapPrm:\t%llx", &t->cap_prm) == 1)
            continue;
    }
    fclose(f);
    return 0;
}

static void our_caps(struct caps *c)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");

    c->prm = c->eff = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapPrm:\t%llx", &c->prm) != 1)
            sscanf(line, "CapEff:\t%llx", &c->eff);
    fclose(f);
}

/* /proc/sys/kernel/yama/ptrace_scope, or 0 without Yama. */
static int yama_scope(void)
{
    int v = 0;
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static const char *user_name(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    return pw ? pw->pw_name : "?";
}

static int process_gone(pid_t pid)
{
    char s = inj_proc_state(pid);
    return s == 0 || s == 'Z' || s == 'X';
}

static int exited(const struct target *t)
{
    fprintf(stderr, "scope: process %d exited during %s\n", (int)t->pid, t->doing);
    return 1;
}

static int refuse(const struct target *t, const char *why)
{
    fprintf(stderr, "scope: %d (%s): %s\n", (int)t->pid, t->comm, why);
    return 1;
}

/* Print an error about t; when the process has gone meanwhile, say that
 * instead (whatever failed, failed because of it). A process that is
 * exiting has lost its memory and /proc/PID/exe before it shows as a
 * zombie: look again a moment later before blaming anything else. */
static int fail(const struct target *t, const char *why)
{
    struct timespec moment = { 0, 50 * 1000 * 1000 };

    if (!process_gone(t->pid))
        nanosleep(&moment, NULL);
    return process_gone(t->pid) ? exited(t) : refuse(t, why);
}

/* ---- may we trace it? (note 26) ------------------------------------------- */

/* The kernel lets us trace a process when our real uid equals its real,
 * effective and saved uids (gids likewise) and its permitted capabilities
 * are a subset of ours, or when we have CAP_SYS_PTRACE; Yama may forbid
 * more. What can be judged from /proc is judged here; an EPERM from
 * PTRACE_SEIZE is explained by explain_refusal(). */
static int trace_permitted(const struct target *t, char *why, size_t len)
{
    struct caps me;
    int yama = yama_scope();
    uid_t uid = getuid();
    gid_t gid = getgid();

    our_caps(&me);
    int cap = (me.eff >> CAP_SYS_PTRACE_BIT) & 1;
    if (yama == 3) {
        snprintf(why, len, "kernel.yama.ptrace_scope is 3: no process may be traced on this "
                 "system (until reboot), so scope cannot attach");
        return -1;
    }
    if (yama == 2 && !cap) {
        snprintf(why, len, "kernel.yama.ptrace_scope is 2: only a process with "
                 "CAP_SYS_PTRACE may trace; run scope as root");
        return -1;
    }
    if (cap)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (t->uid[i] != uid) {
            snprintf(why, len, "the process runs as user %s (uid %u) and scope as uid %u: "
                     "tracing another user's process needs root (CAP_SYS_PTRACE); run "
                     "scope with sudo, or as uid %u", user_name(t->uid[i]),
                     (unsigned)t->uid[i], (unsigned)uid, (unsigned)t->uid[i]);
            return -1;
        }
        if (t->gid[i] != gid) {
            snprintf(why, len, "the process runs with group %u and scope with group %u: "
                     "tracing it needs root (CAP_SYS_PTRACE)", (unsigned)t->gid[i],
                     (unsigned)gid);
            return -1;
        }
    }
    if ((t->cap_prm & ~me.prm) != 0) {
        snprintf(why, len, "the process has capabilities scope lacks (CapPrm %llx, scope's "
                 "%llx): tracing it needs CAP_SYS_PTRACE; run scope as root (in a "
                 "container: --cap-add=SYS_PTRACE)", t->cap_prm, me.prm);
        return -1;
    }
    return 0;
}

/* Why PTRACE_SEIZE said EPERM when trace_permitted() saw no reason. */
static void explain_refusal(const struct target *t, char *why, size_t len)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof path, "/proc/%d", (int)t->pid);
    if (yama_scope() == 1)
        snprintf(why, len, "kernel.yama.ptrace_scope is 1: only a parent may trace its "
                 "children without CAP_SYS_PTRACE; run scope as root, or set "
                 "kernel.yama.ptrace_scope=0");
    else if (stat(path, &st) == 0 && st.st_uid != t->uid[1])
        /* /proc/PID belongs to root when the process is not dumpable. */
        snprintf(why, len, "the process is not dumpable (a setuid program, or it called "
                 "prctl(PR_SET_DUMPABLE, 0)): only root (CAP_SYS_PTRACE) may trace it");
    else
        snprintf(why, len, "ptrace was refused (EPERM), by a security module (AppArmor, "
                 "SELinux) or a seccomp policy, or for lack of CAP_SYS_PTRACE");
}

/* ---- refusals that need no ptrace ----------------------------------------- */

static int state_usable(const struct target *t)
{
    char s = inj_proc_state(t->pid);

    if (s == 0)
        return exited(t);
    if (s == 'Z' || s == 'X')
        return refuse(t, s == 'Z' ? "it is a zombie (it has exited; its parent has not "
                    "reaped it): nothing to attach to" : "it is exiting: nothing to attach to");
    if (s == 'T')
        return fail(t, "it is stopped (SIGSTOP or job control): continue it first "
                    "(kill -CONT)");
    return 0;
}

static int not_traced(const struct target *t)
{
    struct target tracer;
    char why[256];

    if (!t->tracer)
        return 0;
    if (status_read(t->tracer, &tracer) != 0)
        snprintf(tracer.comm, sizeof tracer.comm, "?");
    snprintf(why, sizeof why, "it is already traced by %d (%s), a debugger or tracer; "
             "a process has one tracer at a time: detach it first",
             (int)t->tracer, tracer.comm);
    return fail(t, why);
}

static int program_observable(const struct target *t)
{
    char exe[64], why[PATH_MAX + 256], msg[PATH_MAX + 512];

    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)t->pid);
    switch (ep_elf_classify(exe, why, sizeof why)) {
    case EP_ELF_STATIC:
        snprintf(msg, sizeof msg, "%s; it makes its system calls without a dynamic libc, "
                 "so there is nothing to hook", why);
        return fail(t, msg);
    case EP_ELF_GO:
        snprintf(msg, sizeof msg, "%s; Go programs without cgo do not call libc", why);
        return fail(t, msg);
    case EP_ELF_32BIT:
        snprintf(msg, sizeof msg, "%s; only 64-bit x86-64 processes can be observed", why);
        return fail(t, msg);
    case EP_ELF_UNREADABLE:
        return fail(t, why);
    default:
        return 0;
    }
}

static int same_mount_ns(pid_t pid)
{
    struct stat a, b;
    char path[64];

    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    return stat("/proc/self/ns/mnt", &a) != 0 || stat(path, &b) != 0 ||
           (a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/* The target opens the library itself (note 25): it must see the very file
 * we checked at the same path, and nobody but root or us may replace it. */
static int library_usable(const struct target *t, const char *lib)
{
    char there[PATH_MAX + 64], why[PATH_MAX * 2 + 256];
    struct stat ours, theirs;

    if (stat(lib, &ours) != 0) {
        snprintf(why, sizeof why, "cannot stat %s: %s", lib, strerror(errno));
        return fail(t, why);
    }
    if ((ours.st_uid != 0 && ours.st_uid != geteuid()) || (ours.st_mode & 022)) {
        snprintf(why, sizeof why, "%s is owned by uid %u with mode %04o: another user could "
                 "replace it before the process loads it; make it owned by root (or you) "
                 "and not writable by group or others", lib, (unsigned)ours.st_uid,
                 (unsigned)(ours.st_mode & 07777));
        return fail(t, why);
    }
    inj_proc_file_path(t->pid, lib, there, sizeof there);
    if (stat(there, &theirs) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
        return 0;
    if (!same_mount_ns(t->pid))
        snprintf(why, sizeof why, "the process lives in another mount namespace (a "
                 "container?) where %s is not the same file as scope's; install scope inside "
                 "it at the same path, or run scope there", lib);
    else
        snprintf(why, sizeof why, "the process has another root directory (chroot) where "
                 "%s is not the same file as scope's; install scope there at the same path",
                 lib);
    return fail(t, why);
}

/* ---- session and configuration ------------------------------------------- */

struct dests {
    struct inj_dests to;        /* shared with scope run */
    char dir[PATH_MAX];         /* the session directory, "" for none */
    char link[PATH_MAX];        /* its symlink in history/, "" for none */
};

/* /run/scope (or /var/tmp/scope): root's, 0711, so that each session in it
 * is reachable by its owner only. Made or checked without following a
 * symlink someone may have planted. */
static int shared_parent(char *out, size_t len)
{
    struct stat st;
    int fd;

    snprintf(out, len, "%s/scope", access("/run", W_OK) == 0 ? "/run" : "/var/tmp");
    if (mkdir(out, 0711) != 0 && errno != EEXIST) {
        fprintf(stderr, "scope: cannot create %s: %s\n", out, strerror(errno));
        return -1;
    }
    fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) ||
        fchmod(fd, 0711) != 0) {
        fprintf(stderr, "scope: %s is not a directory owned by root and writable by root "
                "only; remove it\n", out);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* Hand the session to the process's user: files first, the directory last,
 * so nobody else can swap a file in between. */
static int give_session(const struct dests *d, const struct target *t)
{
    static const char *const files[] = {INJ_METRICS_FILE, INJ_EVENTS_FILE};
    char path[PATH_MAX];

    for (size_t i = 0; i < 2; i++) {
        if (inj_path_join(path, sizeof path, d->dir, files[i]) < 0)
            return -1;
        if (fchownat(AT_FDCWD, path, t->uid[1], t->gid[1], AT_SYMLINK_NOFOLLOW) != 0 &&
            errno != ENOENT) {
            fprintf(stderr, "scope: cannot chown %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    if (fchownat(AT_FDCWD, d->dir, t->uid[1], t->gid[1], AT_SYMLINK_NOFOLLOW) != 0) {
        fprintf(stderr, "scope: cannot chown %s: %s\n", d->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* /proc/PID/cmdline as a JSON array. */
static json_t *cmdline_json(pid_t pid)
{
    char path[64], buf[4096];
    json_t *cmd = json_array();
    size_t n = 0;

    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "re");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        json_array_append_new(cmd, json_string(buf + i));
    return cmd;
}

static int write_info(const struct dests *d, const struct target *t, const char *lib,
                      unsigned long n, long long start)
{
    json_t *info = json_pack("{s:o, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:b}",
                             "cmd", cmdline_json(t->pid), "proc", t->comm,
                             "pid", (json_int_t)t->pid, "n", (json_int_t)n,
                             "start", (json_int_t)start, "library", lib,
                             "metric_dest", d->to.metric, "event_dest", d->to.event,
                             "attached", 1);
    if (!info) {
        fprintf(stderr, "scope: out of memory\n");
        return -1;
    }
    if (d->to.metric_format)
        json_object_set_new(info, "metric_format", json_string(d->to.metric_format));
    int rc = inj_info_write(d->dir, info);
    json_decref(info);
    return rc;
}

static void remove_session(struct dests *d)
{
    if (d->dir[0])
        inj_session_remove(d->dir);
    if (d->link[0])
        unlink(d->link);
    d->dir[0] = d->link[0] = '\0';
}

/* The session directory, unless both destinations are given (option,
 * variable or file). A process of another user cannot reach our home: as
 * root, its session is made in shared_parent() and linked from history/. */
static int make_session(const struct inj_attach_opts *o, const struct target *t, const char *lib,
                        struct dests *d)
{
    char hist[PATH_MAX], parent[PATH_MAX];
    long long start = (long long)time(NULL);
    unsigned long n;
    int theirs = geteuid() == 0 && t->uid[1] != 0;
    int rc;

    memset(d, 0, sizeof *d);
    if (o->lib.metric_dest && o->lib.event_dest) {
        inj_dests_choose(o->lib.metric_dest, o->lib.event_dest, o->lib.metric_format, d->dir, &d->to);
        return 0;
    }
    if (inj_history_dir(hist, sizeof hist) < 0)
        return -1;
    if (theirs)
        rc = shared_parent(parent, sizeof parent) < 0 ? -1 :
             inj_session_create_linked(hist, parent, t->comm, t->pid, start, d->dir,
                                       sizeof d->dir, &n);
    else
        rc = inj_session_create(hist, t->comm, t->pid, start, d->dir, sizeof d->dir, &n);
    if (rc < 0)
        return -1;
    if (theirs)
        inj_path_join(d->link, sizeof d->link, hist, strrchr(d->dir, '/') + 1);
    inj_dests_choose(o->lib.metric_dest, o->lib.event_dest, o->lib.metric_format, d->dir, &d->to);
    if ((!o->lib.metric_dest && inj_session_touch(d->dir, INJ_METRICS_FILE) < 0) ||
        (!o->lib.event_dest && inj_session_touch(d->dir, INJ_EVENTS_FILE) < 0) ||
        write_info(d, t, lib, n, start) < 0 || (theirs && give_session(d, t) < 0)) {
        remove_session(d);
        return -1;
    }
    return 0;
}

static int config_add(char **buf, size_t *len, size_t *cap, const char *key, const char *value)
{
    size_t need = strlen(key) + strlen(value) + 2;

    if (*len + need + 1 > *cap) {
        size_t ncap = (*cap + need) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    *len += (size_t)sprintf(*buf + *len, "%s=%s\n", key, value);
    return 0;
}

/* scope_ctl_attach()'s "KEY=VALUE\n" block: the configuration file's
 * lines, then our SCOPE_* variables, then the ones the options and the
 * session set (the library takes the last line of a key). NULL when out
 * of memory. */
static char *config_block(const struct inj_run_opts *o, const struct dests *d,
                          const struct inj_config *cfg)
{
    extern char **environ;
    struct inj_config_set set[INJ_CONFIG_NSET];
    size_t len = strlen(cfg->yaml.lines ? cfg->yaml.lines : ""), cap = len + 256;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -1;

    inj_config_sets(o, &d->to, d->dir, set);
    if (buf)
        memcpy(buf, cfg->yaml.lines ? cfg->yaml.lines : "", len + 1);
    for (char **e = environ; rc == 0 && *e; e++) {
        char key[256];
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "SCOPE_", 6) != 0 || !eq || (size_t)(eq - *e) >= sizeof key ||
            strchr(eq, '\n'))
            continue;
        snprintf(key, sizeof key, "%.*s", (int)(eq - *e), *e);
        if (!inj_config_set_find(set, key))
            rc = config_add(&buf, &len, &cap, key, eq + 1);
    }
    for (size_t i = 0; rc == 0 && i < INJ_CONFIG_NSET; i++)
        if (set[i].value)
            rc = config_add(&buf, &len, &cap, set[i].key, set[i].value);
    if (rc != 0) {
        free(buf);
        fprintf(stderr, "scope: out of memory\n");
        return NULL;
    }
    return buf;
}

/* ---- the stop ------------------------------------------------------------- */

struct timings {
    double dlopen_ms, call_ms;
};

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* libscope's `fn`(arg) on the stopped thread; its int result in *result. */
static int call_scope(struct inj_tracee *t, const char *fn, const uint64_t *arg, int nargs,
                      int *result, double *ms)
{
    uintptr_t addr;
    uint64_t ret;
    struct timespec t0;

    if (inj_scope_symbol(t->pid, fn, &addr, t->why, sizeof t->why) < 0)
        return INJ_FAILED;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = inj_ptrace_call(t, addr, arg, nargs, &ret, fn);
    *ms = ms_since(&t0);
    *result = (int)(uint32_t)ret;
    return rc;
}

/* In a scratch page: the library's path and the configuration; dlopen
 * the library unless it is loaded; scope_ctl_attach(config). The page is
 * unmapped whatever happened (note 27). */
static int inject(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
                  const char *config, int loaded, struct timings *tm, int *result)
{
    size_t lib_len = strlen(lib) + 1, cfg_len = strlen(config) + 1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (lib_len + cfg_len + page - 1) / page * page;
    uintptr_t scratch;
    uint64_t cfg_at;
    char why[sizeof t->why];
    struct timespec t0;

    int rc = inj_scratch_map(t, libc, len, &scratch);
    if (rc != 0)
        return rc;
    cfg_at = scratch + lib_len;
    if ((rc = inj_ptrace_write(t, scratch, lib, lib_len)) == 0)
        rc = inj_ptrace_write(t, cfg_at, config, cfg_len);
    if (rc == 0 && !loaded && (rc = inj_loader_check(t, libc)) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = inj_dlopen(t, libc, scratch);
        tm->dlopen_ms = ms_since(&t0);
    }
    if (rc == 0)
        rc = call_scope(t, "scope_ctl_attach", &cfg_at, 1, result, &tm->call_ms);
    if (rc == INJ_EXITED)
        return rc;
    memcpy(why, t->why, sizeof why);
    int unmapped = inj_scratch_unmap(t, libc, scratch, len);
    if (rc == 0)
        return unmapped;
    memcpy(t->why, why, sizeof why);
    return rc;
}

/* Stop the target, run `work`, give it back. The worst of the two results. */
static int with_stopped(const struct target *tg, struct inj_tracee *t,
                        int (*work)(struct inj_tracee *, void *), void *ctx)
{
    char why[512];
    sigset_t quit, before;

    /* Killed while the thread runs our call, scope would leave it to
     * return to address 0. Ctrl-C and kill wait until it is given back. */
    sigemptyset(&quit);
    sigaddset(&quit, SIGINT);
    sigaddset(&quit, SIGTERM);
    sigaddset(&quit, SIGHUP);
    sigaddset(&quit, SIGQUIT);
    sigprocmask(SIG_BLOCK, &quit, &before);
    int rc = inj_ptrace_stop(t, tg->pid);

    if (rc == INJ_FAILED && t->error == EPERM) {
        explain_refusal(tg, why, sizeof why);
        return fail(tg, why);
    }
    if (rc == 0) {
        rc = work(t, ctx);
        if (rc != INJ_EXITED) {
            memcpy(why, t->why, sizeof why);
            int released = inj_ptrace_release(t);
            if (released != 0)
                rc = released;
            else
                memcpy(t->why, why, sizeof why);
        }
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
    if (rc == INJ_EXITED)
        return exited(tg);
    return rc == 0 ? 0 : fail(tg, t->why);
}

static void print_stop(const struct inj_tracee *t, const char *phases)
{
    fprintf(stderr, "scope: %d stopped for %.1f ms (%s)\n", (int)t->pid, t->stopped_ms, phases);
}

/* ---- attach ---------------------------------------------------------------- */

struct attach_job {
    const struct inj_libc *libc;
    const char *lib, *config;
    int loaded;
    struct timings tm;
    int result;
};

static int attach_work(struct inj_tracee *t, void *ctx)
{
    struct attach_job *j = ctx;
    return inject(t, j->libc, j->lib, j->config, j->loaded, &j->tm, &j->result);
}

/* Judge the target; *loaded: libscope is mapped there but detached. 0 to go
 * on, 1 when refused (printed), 2 when it is attached already (printed). */
/* What attach and detach check first: the process can be traced, and
 * libscope's status in it (*loaded: 1 mapped, 0 not). 0 to go on, else the
 * exit status (the reason printed). */
static int target_look(const struct target *t, struct scope_ctl_status *st, int *loaded)
{
    char why[1024];
    int rc;

    if ((rc = state_usable(t)) != 0)
        return rc;
    if (trace_permitted(t, why, sizeof why) < 0)
        return fail(t, why);
    rc = inj_scope_status(t->pid, st, NULL, 0);
    if (rc < 0) {
        snprintf(why, sizeof why, "cannot read libscope's status: %s", strerror(-rc));
        return fail(t, why);
    }
    *loaded = rc == 0;
    return 0;
}

static int attach_judge(const struct target *t, const char *lib, int *loaded)
{
    struct scope_ctl_status st;
    int rc;

    if ((rc = target_look(t, &st, loaded)) != 0)
        return rc;
    if (*loaded && st.state == SCOPE_CTL_ATTACHED) {
        fprintf(stderr, "scope: %d (%s) is already attached; metrics go to %s\n",
                (int)t->pid, t->comm, st.metric_dest[0] ? st.metric_dest : "nowhere");
        return 2;
    }
    if ((rc = not_traced(t)) != 0 || (rc = program_observable(t)) != 0)
        return rc;
    return library_usable(t, lib);
}

static int resolve_target(const char *arg, const char *doing, struct target *t)
{
    char why[512];
    pid_t pid;

    if (inj_pid_resolve(arg, &pid, why, sizeof why) < 0) {
        fprintf(stderr, "scope: %s\n", why);
        return 1;
    }
    int rc = status_read(pid, t);
    t->pid = pid;
    t->doing = doing;
    return rc == 0 ? 0 : exited(t);
}

static int attach_run(const struct inj_attach_opts *o, const struct target *t, const char *lib,
                      const struct inj_config *cfg, struct attach_job *j, struct dests *d)
{
    struct inj_maps maps;
    struct inj_libc libc;
    struct inj_tracee *tracee;
    char why[1024];
    int rc;

    if ((rc = inj_maps_read(t->pid, &maps)) < 0) {
        snprintf(why, sizeof why, "cannot read its memory map: %s", strerror(-rc));
        return fail(t, why);
    }
    rc = inj_libc_resolve(t->pid, &maps, &libc, why, sizeof why);
    inj_maps_free(&maps);
    if (rc < 0)
        return fail(t, why);
    if (make_session(o, t, lib, d) < 0)
        return 1;
    char *config = config_block(&o->lib, d, cfg);
    if (!config || !(tracee = malloc(sizeof *tracee))) {
        free(config);
        return 1;
    }
    j->libc = &libc;
    j->config = config;
    rc = with_stopped(t, tracee, attach_work, j);
    if (rc == 0 && o->verbose) {
        char phases[96];
        if (j->loaded)
            snprintf(phases, sizeof phases, "attach %.1f ms", j->tm.call_ms);
        else
            snprintf(phases, sizeof phases, "dlopen %.1f ms, attach %.1f ms",
                     j->tm.dlopen_ms, j->tm.call_ms);
        print_stop(tracee, phases);
    }
    free(tracee);
    free(config);
    return rc;
}

/* What scope_ctl_attach() said, told to the user. */
static int attach_report(const struct target *t, const struct attach_job *j, struct dests *d)
{
    struct scope_ctl_status st;
    char why[700];

    if (j->result < 0) {
        int rc = inj_scope_status(t->pid, &st, NULL, 0);
        snprintf(why, sizeof why, "libscope.so is loaded but could not attach: %s",
                 rc == 0 && st.error[0] ? st.error : "no reason given");
        remove_session(d);
        return fail(t, why);
    }
    fprintf(stderr, "scope: attached to %d (%s)", (int)t->pid, t->comm);
    if (d->dir[0])
        fprintf(stderr, "\nscope: session %s\n", d->dir);
    else
        fprintf(stderr, "; metrics go to %s, events to %s\n", d->to.metric, d->to.event);
    return 0;
}

/* Copy src to dst (a new file, 0644): 0, or -1 with the reason printed. */
static int file_copy(const char *src, const char *dst)
{
    char buf[65536];
    ssize_t n = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            n = -1;
    if (out >= 0 && (fchmod(out, 0644) != 0 || close(out) != 0))
        n = -1;
    if (in >= 0)
        close(in);
    if (in < 0 || out < 0 || n < 0) {
        fprintf(stderr, "scope: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
        unlink(dst);
        return -1;
    }
    return 0;
}

/* The library the process will load. Another user's process (we are root)
 * cannot be trusted to reach our build or install directory (a home
 * directory, a private temp dir): it gets a copy in the shared parent
 * (/run/scope/lib, root's, readable by all), named by size and time so that
 * a rebuilt library is a new file and a loaded one is never replaced. */
static int library_for(const struct target *t, const char *lib, char *out, size_t cap)
{
    char parent[PATH_MAX], dir[PATH_MAX + 8], tmp[PATH_MAX + 192];
    struct stat st;

    /* Not root: the process is ours, or tracing it will be refused. */
    if (t->uid[1] == geteuid() || geteuid() != 0) {
        snprintf(out, cap, "%s", lib);
        return 0;
    }
    if (stat(lib, &st) != 0 || shared_parent(parent, sizeof parent) < 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/lib", parent);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "scope: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(out, cap, "%s/libscope.so.%lld.%lld", dir, (long long)st.st_size,
             (long long)st.st_mtime);
    if (access(out, R_OK) == 0)
        return 0;
    snprintf(tmp, sizeof tmp, "%s.%d", out, (int)getpid());
    if (file_copy(lib, tmp) < 0)
        return -1;
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "scope: cannot create %s: %s\n", out, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Attach, once the configuration is known. */
static int attach_configured(const struct inj_attach_opts *o, const struct inj_config *cfg)
{
    struct target t;
    struct dests d = {0};
    struct attach_job j = {0};
    char ours[PATH_MAX], lib[PATH_MAX + 96];
    int rc;

    if ((rc = resolve_target(o->target, "attach", &t)) != 0)
        return rc;
    if (inj_find_library(ours, sizeof ours) < 0 || library_for(&t, ours, lib, sizeof lib) < 0)
        return 1;
    if ((rc = attach_judge(&t, lib, &j.loaded)) != 0)
        return rc == 2 ? 0 : rc;
    j.lib = lib;
    if ((rc = attach_run(o, &t, lib, cfg, &j, &d)) != 0) {
        remove_session(&d);
        return rc;
    }
    return attach_report(&t, &j, &d);
}

static int attach_go(void *o, const struct inj_config *cfg)
{
    return attach_configured(o, cfg);
}

int inj_attach_main(int argc, char **argv)
{
    struct inj_attach_opts o;
    enum inj_cli_result r = inj_cli_attach(argc, argv, &o);

    if (r != INJ_CLI_OK)
        return r == INJ_CLI_HELP ? (fputs(inj_attach_help, stdout), 0) : 2;
    return inj_config_run("attach", &o.lib, attach_go, &o);
}

/* ---- detach ---------------------------------------------------------------- */

struct detach_job {
    int restored;
    double ms;
};

static int detach_work(struct inj_tracee *t, void *ctx)
{
    struct detach_job *j = ctx;
    return call_scope(t, "scope_ctl_detach", NULL, 0, &j->restored, &j->ms);
}

/* Detach one process. */
static int detach_one(const struct target *t, int verbose)
{
    struct scope_ctl_status st;
    struct detach_job j = {0};
    struct inj_tracee *tracee;
    int rc, loaded;

    if ((rc = target_look(t, &st, &loaded)) != 0)
        return rc;
    if (!loaded || st.state != SCOPE_CTL_ATTACHED) {
        char why[128];
        snprintf(why, sizeof why, "it is not attached (libscope.so is %s)",
                 loaded ? "loaded but detached" : "not loaded in it");
        return fail(t, why);
    }
    if ((rc = not_traced(t)) != 0)
        return rc;
    if (!(tracee = malloc(sizeof *tracee)))
        return 1;
    rc = with_stopped(t, tracee, detach_work, &j);
    if (rc == 0 && j.restored < 0)
        rc = fail(t, "scope_ctl_detach() says it was not attached");
    if (rc == 0) {
        fprintf(stderr, "scope: detached from %d (%s): %d GOT slots restored\n",
                (int)t->pid, t->comm, j.restored);
        if (verbose) {
            char phases[64];
            snprintf(phases, sizeof phases, "detach %.1f ms", j.ms);
            print_stop(tracee, phases);
        }
    }
    free(tracee);
    return rc;
}

/* Every process whose libscope status says attached. */
static int detach_all(int verbose)
{
    struct scope_ctl_status st;
    struct target t;
    struct dirent *e;
    int failed = 0, found = 0;
    DIR *d = opendir("/proc");

    if (!d) {
        fprintf(stderr, "scope: cannot read /proc: %s\n", strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid == getpid() || inj_scope_status(pid, &st, NULL, 0) != 0 ||
            st.state != SCOPE_CTL_ATTACHED || status_read(pid, &t) != 0)
            continue;
        t.doing = "detach";
        found++;
        failed |= detach_one(&t, verbose) != 0;
    }
    closedir(d);
    if (!found)
        fprintf(stderr, "scope: no process is attached\n");
    return failed;
}

int inj_detach_main(int argc, char **argv)
{
    struct inj_attach_opts o;
    struct target t;
    enum inj_cli_result r = inj_cli_detach(argc, argv, &o);
    int rc;

    if (r != INJ_CLI_OK)
        return r == INJ_CLI_HELP ? (fputs(inj_detach_help, stdout), 0) : 2;
    if (o.all)
        return detach_all(o.verbose);
    if ((rc = resolve_target(o.target, "detach", &t)) != 0)
        return rc;
    return detach_one(&t, o.verbose);
}
