/* inj_trace.c: `scope trace` (see inj_trace.h).
 *
 * It is `scope attach` (or `scope run`), then the session's events.json
 * and metrics.json followed (inj_follow) until the end, then `scope
 * detach`, each the command's own code. The session is found as the
 * newest one started for the process (attach) or the one that appeared
 * while CMD started (run).
 */
#include "inj_trace.h"

#include "inj_attach.h"
#include "inj_cli.h"
#include "inj_detach.h"
#include "inj_follow.h"
#include "inj_help.h"
#include "inj_judge.h"
#include "inj_proc.h"
#include "inj_run.h"
#include "inj_session.h"
#include "inj_show.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRACE_PERIOD "1"            /* seconds: percentiles while one watches */
#define SESSION_WAIT_S 30           /* for CMD's session to appear */
#define EXIT_GRACE_MS 500           /* after Ctrl-C, for CMD to end by it */

enum { OPT_DURATION = 400, OPT_JSON };

const char inj_trace_help[] =
"Usage: scope trace [OPTIONS] PID|NAME\n"
"       scope trace [OPTIONS] -- CMD [ARGS...]\n"
"\n"
"Attach to the running process PID (or the one process named NAME), or run\n"
"CMD as `scope run` does, and print its events as they come, one line each\n"
"(TIME PID SOURCE DATA, control characters escaped), and each period the\n"
"distributions of durations (scope.fs.duration, scope.net.duration, per\n"
"file or peer and op, the kind of call: p50, p90, p99, max in\n"
"microseconds). It ends and detaches on Ctrl-C (SIGINT,\n"
"SIGTERM, SIGHUP), after --duration, or when the process exits (with CMD:\n"
"when CMD exits; Ctrl-C reaches CMD too, and if CMD ends by it within half\n"
"a second that is its end). The session is kept (see `scope history`).\n"
"\n"
"Options:\n"
"  --duration D       end after D (500ms, 2s, 5m, 2h; a bare number is seconds)\n"
"  -v, --verbosity N  metric verbosity, 0 to 9 (5 and above: per file)\n"
"  -p, --period SECONDS  seconds between metric reports, 1 to 86400\n"
"                     (default 1)\n"
"  -u, --userconfig FILE  the configuration file (scope.yml)\n"
"  --json             print the raw lines (events, and the distributions)\n"
"  --pid P            only the lines of process P (a child, say)\n"
"  --source SOURCE    only events of SOURCE (fs.open, net.rx, stdout, ...)\n"
"  --sourcetype TYPE  only events of TYPE (fs, net, console, ...)\n"
"  --match REGEX      only lines the extended regular expression matches\n"
"  --since D          only lines of the last D\n"
"  -h, --help         show this help\n"
"Metrics and events go to the session's files (that is what is followed).\n"
"\n"
"Exit status:\n"
"  0    the process was detached and libscope's status in it says every GOT\n"
"       slot it patched is back (none patched, detached), or it exited\n"
"  N    with CMD, when CMD ended: CMD's status, as `scope run` returns it\n"
"  1    it could not be attached or run, is attached already (follow it with\n"
"       `scope events --follow --pid P`), or detach did not put it back\n"
"  2    usage error\n";

struct trace_opts {
    struct inj_run_opts lib;        /* -v, -p, -u */
    struct inj_show_opts show;      /* --json and the filters */
    double duration;                /* 0: none */
    const char *target;             /* PID or NAME, or NULL with cmd */
    char **cmd;
};

static enum inj_cli_result trace_parse(int argc, char **argv, struct trace_opts *o)
{
    static const struct option longopts[] = {
        {"verbosity", required_argument, NULL, 'v'},
        {"period", required_argument, NULL, 'p'},
        {"userconfig", required_argument, NULL, 'u'},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"json", no_argument, NULL, OPT_JSON},
        INJ_CLI_LINE_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char shortopts[] = "+:v:p:u:h";
    int c;

    memset(o, 0, sizeof *o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int taken = inj_cli_line_opt("trace", c, optarg, &o->show.lines);
        if (taken < 0)
            return INJ_CLI_USAGE;
        if (taken == 0)
            continue;
        switch (c) {
        case 'v': o->lib.verbosity = optarg; break;
        case 'p': o->lib.period = optarg; break;
        case 'u': o->lib.config = optarg; break;
        case OPT_JSON: o->show.json = 1; break;
        case OPT_DURATION:
            if (inj_cli_duration(optarg, &o->duration) < 0) {
                inj_usage("trace", "--duration needs a duration such as 2s or 5m, not '%s'",
                          optarg);
                return INJ_CLI_USAGE;
            }
            break;
        case 'h': return INJ_CLI_HELP;
        default:
            inj_cli_bad_option("trace", shortopts, c, argv);
            return INJ_CLI_USAGE;
        }
    }
    if (inj_cli_check_opts("trace", &o->lib) < 0)
        return INJ_CLI_USAGE;
    if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
        if (optind >= argc) {
            inj_usage("trace", "missing the command to run after '--'");
            return INJ_CLI_USAGE;
        }
        o->cmd = argv + optind;
        return INJ_CLI_OK;
    }
    if (optind >= argc) {
        inj_usage("trace", "missing the PID or NAME of the process, or -- CMD");
        return INJ_CLI_USAGE;
    }
    if (optind + 1 < argc) {
        inj_usage("trace", "unexpected argument '%s'", argv[optind + 1]);
        return INJ_CLI_USAGE;
    }
    o->target = argv[optind];
    return INJ_CLI_OK;
}

/* ---- the process and its session ---------------------------------------- */

struct traced {
    pid_t pid;                  /* the process traced */
    pid_t runner;               /* CMD: our child running `scope run`, else 0 */
    int runner_status;          /* once it ended */
    bool runner_done;
    struct timespec until;      /* --duration: when to stop; tv_sec 0: never */
    char dir[PATH_MAX];
};

/* Gone, or a zombie (its parent has not waited for it yet). */
static bool process_gone(pid_t pid)
{
    return inj_proc_live_thread(pid) <= 0;
}

static bool runner_ended(struct traced *tr)
{
    if (!tr->runner || tr->runner_done)
        return tr->runner_done;
    if (waitpid(tr->runner, &tr->runner_status, WNOHANG) == tr->runner)
        tr->runner_done = true;
    return tr->runner_done;
}

/* Has the process ended (or, with CMD, `scope run` ended)? */
static bool traced_ended(struct traced *tr)
{
    return tr->runner ? runner_ended(tr) : process_gone(tr->pid);
}

static bool past(const struct timespec *t)
{
    struct timespec now;

    if (t->tv_sec == 0)
        return false;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* `scope CMD ARGS...` run here, by the command's own code. */
static int own_command(int (*main_fn)(int, char **), char **argv)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    optind = 0;                 /* getopt_long starts over */
    return main_fn(argc, argv);
}

static int run_main(int argc, char **argv)
{
    struct inj_run_opts r;

    return inj_cli_run(argc, argv, &r) == INJ_CLI_OK ? inj_run(&r) : 2;
}

static int session_of_pid(pid_t pid, char *dir, size_t len)
{
    struct inj_show_opts o = { .lines.pid = pid };

    return inj_show_session_dir(&o, dir, len);
}

/* The library options as `scope attach` takes them, then tail. */
static char **lib_argv(const struct trace_opts *o, const char *cmd, char **tail, char **buf)
{
    size_t n = 0;

    buf[n++] = (char *)cmd;
    buf[n++] = "-p";
    buf[n++] = (char *)(o->lib.period ? o->lib.period : TRACE_PERIOD);
    if (o->lib.verbosity) {
        buf[n++] = "-v";
        buf[n++] = (char *)o->lib.verbosity;
    }
    if (o->lib.config) {
        buf[n++] = "-u";
        buf[n++] = (char *)o->lib.config;
    }
    for (; *tail; tail++)
        buf[n++] = *tail;
    buf[n] = NULL;
    return buf;
}

static int attach_target(const struct trace_opts *o, struct traced *tr)
{
    struct inj_process t;
    struct scope_ctl_status st;
    char pid[32], *tail[] = { pid, NULL }, *argv[12];
    int rc;

    if ((rc = inj_process_resolve(o->target, "trace", &t)) != 0)
        return rc;
    if (inj_scope_status(t.pid, &st, NULL, 0) == 0 && st.state == SCOPE_CTL_ATTACHED) {
        fprintf(stderr, "scope: %d is attached already; follow its session with "
                "`scope events --follow --pid %d`\n", (int)t.pid, (int)t.pid);
        return 1;
    }
    snprintf(pid, sizeof pid, "%d", (int)t.pid);
    if ((rc = own_command(inj_attach_main, lib_argv(o, "attach", tail, argv))) != 0)
        return rc;
    tr->pid = t.pid;
    return session_of_pid(t.pid, tr->dir, sizeof tr->dir) < 0 ? 1 : 0;
}

static bool is_new(const char *name, const struct inj_session *before, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(before[i].name, name) == 0)
            return false;
    return true;
}

/* The session that is in history now and was not before. */
static int new_session(const char *hist, const struct inj_session *before, size_t nbefore,
                       struct traced *tr)
{
    struct inj_session *now;
    size_t n;
    int rc = 1;

    if (inj_session_list(hist, &now, &n) < 0)
        return -1;
    for (size_t i = n; i-- > 0;)
        if (is_new(now[i].name, before, nbefore)) {
            tr->pid = (pid_t)now[i].pid;
            rc = inj_path_join(tr->dir, sizeof tr->dir, hist, now[i].name);
            break;
        }
    free(now);
    return rc;
}

/* CMD under `scope run` in a child of ours; its session once it shows. */
static int run_cmd(const struct trace_opts *o, struct traced *tr)
{
    char hist[PATH_MAX], *argv[12 + 1024];
    struct inj_session *before;
    size_t nbefore, n = 0;
    int rc = 1;

    while (o->cmd[n] && n < 1024)
        n++;
    if (o->cmd[n]) {
        inj_usage("trace", "more than 1024 arguments to CMD");
        return 2;
    }
    char *tail[n + 2];
    tail[0] = "--";
    memcpy(tail + 1, o->cmd, (n + 1) * sizeof *tail);
    if (inj_history_dir(hist, sizeof hist) < 0 || inj_session_list(hist, &before, &nbefore) < 0)
        return 1;
    fflush(NULL);
    if ((tr->runner = fork()) < 0) {
        fprintf(stderr, "scope: fork: %s\n", strerror(errno));
        free(before);
        return 1;
    }
    if (tr->runner == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);   /* CMD gets the dispositions we got */
        _exit(own_command(run_main, lib_argv(o, "run", tail, argv)));
    }
    for (int tries = 0; tries < SESSION_WAIT_S * 20; tries++) {
        if ((rc = new_session(hist, before, nbefore, tr)) <= 0 || runner_ended(tr))
            break;
        usleep(50000);
    }
    if (rc > 0 && new_session(hist, before, nbefore, tr) != 0)
        fprintf(stderr, "scope: the session of '%s' did not appear\n", o->cmd[0]);
    free(before);
    return tr->dir[0] ? 0 : 1;
}

/* ---- following and the end ------------------------------------------------ */

struct follow_two {
    struct inj_tail events, metrics;
    struct inj_follow_print ev, me;
    bool metrics_ok;
};

/* Of the metrics, the distributions (the rest is `scope metrics`). */
static enum inj_line_verdict dist_line(json_t *root, const char *line, size_t len, void *ctx)
{
    json_t *body = json_object_get(root, "body");

    if (!inj_line_is(root, "metric") ||
        !inj_line_is_dist(json_string_value(json_object_get(body, "_metric"))))
        return INJ_LINE_OK;
    return inj_follow_line(root, line, len, ctx);
}

static int follow_poll(struct follow_two *f)
{
    if (inj_tail_poll(&f->events, inj_follow_line, &f->ev) < 0)
        return -1;
    if (f->metrics_ok && inj_tail_poll(&f->metrics, dist_line, &f->me) < 0)
        return -1;
    return fflush(stdout) == 0 ? 0 : -1;
}

/* Print until the end; true when the process ended (no detach to do). */
static bool follow_until_end(struct traced *tr, struct follow_two *f)
{
    for (;;) {
        bool ended = traced_ended(tr);
        if (follow_poll(f) < 0 || ended || past(&tr->until))
            return ended;
        if (inj_follow_interrupted) {
            /* Ctrl-C reaches CMD too: if it ends by it, that is its end */
            for (int i = 0; tr->runner && i < EXIT_GRACE_MS / 50 && !ended; i++) {
                usleep(50000);
                ended = traced_ended(tr);
            }
            return ended;
        }
        usleep(100000);
    }
}

static int detach_and_check(pid_t pid)
{
    struct scope_ctl_status st;
    char spid[32], *argv[] = { "detach", spid, NULL };
    int rc;

    snprintf(spid, sizeof spid, "%d", (int)pid);
    rc = own_command(inj_detach_main, argv);
    if (process_gone(pid))
        return 0;               /* it ended meanwhile: nothing is left in it */
    if (rc != 0)
        return 1;
    if ((rc = inj_scope_status(pid, &st, NULL, 0)) != 0 || st.state == SCOPE_CTL_ATTACHED ||
        st.patched_slots != 0) {
        fprintf(stderr, "scope: %d is not as it was: %s\n", (int)pid,
                rc ? "its status cannot be read" : st.state == SCOPE_CTL_ATTACHED
                                                      ? "still attached"
                                                      : "GOT slots still patched");
        return 1;
    }
    return 0;
}

static int follow_open(const struct trace_opts *o, const char *dir, struct follow_two *f)
{
    struct inj_show_opts dist_only = o->show;

    dist_only.lines.source = NULL;      /* --source names events */
    dist_only.lines.sourcetype = NULL;
    if (inj_follow_print_init(&f->ev, &o->show, false, dir) < 0 ||
        inj_follow_print_init(&f->me, &dist_only, true, dir) < 0 ||
        inj_tail_open(&f->events, dir, INJ_EVENTS_FILE) < 0)
        return -1;
    f->metrics_ok = inj_tail_open(&f->metrics, dir, INJ_METRICS_FILE) == 0;
    return 0;
}

static void follow_close(struct follow_two *f)
{
    inj_tail_close(&f->events);
    if (f->metrics_ok)
        inj_tail_close(&f->metrics);
    inj_follow_print_free(&f->ev);
    inj_follow_print_free(&f->me);
}

static int trace(const struct trace_opts *o)
{
    struct traced tr = {0};
    struct follow_two f = {0};
    int rc;

    inj_follow_signals();
    signal(SIGPIPE, SIG_IGN);       /* a reader gone ends the trace, with its detach */
    if ((rc = o->cmd ? run_cmd(o, &tr) : attach_target(o, &tr)) != 0)
        return rc;
    if (o->duration > 0) {
        clock_gettime(CLOCK_MONOTONIC, &tr.until);
        double end = (double)tr.until.tv_sec + tr.until.tv_nsec / 1e9 + o->duration;
        tr.until.tv_sec = (time_t)end;
        tr.until.tv_nsec = (long)((end - (double)tr.until.tv_sec) * 1e9);
    }
    if (follow_open(o, tr.dir, &f) < 0) {
        follow_close(&f);
        return tr.runner ? 1 : detach_and_check(tr.pid) | 1;
    }
    bool ended = follow_until_end(&tr, &f);
    rc = ended ? 0 : detach_and_check(tr.pid);
    follow_poll(&f);                /* what the detach or the exit wrote */
    follow_close(&f);
    if (tr.runner) {
        if (!runner_ended(&tr) && ended)
            waitpid(tr.runner, &tr.runner_status, 0);
        if (ended && WIFEXITED(tr.runner_status))
            rc = WEXITSTATUS(tr.runner_status);
    }
    fprintf(stderr, "scope: session %s\n", tr.dir);
    return rc;
}

int inj_trace_main(int argc, char **argv)
{
    struct trace_opts o;
    enum inj_cli_result r = trace_parse(argc, argv, &o);

    if (r != INJ_CLI_OK)
        return r == INJ_CLI_HELP ? (inj_help_print("trace", stdout), 0) : 2;
    return trace(&o);
}
