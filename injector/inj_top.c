/* inj_top.c: `scope top` (see inj_top.h): options, the frame loop, keys.
 *
 * Each frame is collected (inj_top_collect.c), filtered and sorted,
 * laid out (inj_top_view.c) and either drawn (inj_top_draw.c) or, with
 * --once, printed. SIGTERM, SIGINT and SIGHUP only set a flag: the loop
 * gives the terminal back and returns, as `q` does.
 */
#include "inj_top.h"

#include "inj_cli.h"
#include "inj_top_act.h"
#include "inj_top_collect.h"
#include "inj_top_draw.h"
#include "inj_top_view.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ONCE_WIDTH 120          /* --once without $COLUMNS */
#define EDIT_MAX 128
#define MESSAGE_SECONDS 5

const char inj_top_help[] =
"Usage: scope top [--once] [-d SECONDS] [-s KEY] [-f TEXT]\n"
"\n"
"A live view of every process libscope.so is loaded in (`scope run` or\n"
"`scope attach`), refreshed every second: per process CPU, memory, fds,\n"
"threads (from /proc), and from its session's metrics bytes read, written,\n"
"received and sent per second and errors per second; for the selected\n"
"process its top files and peers by bytes per second with the p50 and\n"
"p99 of their reads and writes, receives and sends (scope.fs.duration and\n"
"scope.net.duration by op; from 100 columns also the mean of fs.duration\n"
"and net.duration), and HTTP requests by status and target (http.req,\n"
"http.duration.*) when the library reports HTTP. Rates are\n"
"those of the newest period the library reported (-p: attach from here\n"
"uses one second); `-` is unknown: no session (metrics sent elsewhere),\n"
"no period yet, or none for over two periods (detached).\n"
"\n"
"Options:\n"
"  --once              print one frame as text (every process, each with\n"
"                      its detail) and exit; the frame is taken -d after a\n"
"                      first look, so that CPU is measured over it\n"
"  -d, --delay SECONDS seconds between frames, 0.2 to 3600 (default 1)\n"
"  -s, --sort KEY      cpu (default), mem, io (read + write), net (received\n"
"                      + sent), err, pid or name\n"
"  -f, --filter TEXT   only processes whose pid is TEXT or whose command\n"
"                      name holds it (any case)\n"
"  -h, --help          show this help\n"
"\n"
"Keys:\n"
"  up/down, j/k, PgUp/PgDn, Home/End  select a process\n"
"  s / S               next / previous sort key\n"
"  /                   filter (Enter applies, Esc cancels, empty clears)\n"
"  a                   attach: PID or NAME (the selected process when it is\n"
"                      detached), as `scope attach -p 1 -v 5` would\n"
"  d                   detach the selected process, as `scope detach`\n"
"  q                   quit (SIGTERM, SIGINT and SIGHUP quit too); the\n"
"                      terminal is given back as it was\n"
"\n"
"Columns: ST is run, att(ached), det(ached) or ? (status unreadable);\n"
"RD/s, WR/s bytes read and written per second (files), RX/s, TX/s bytes\n"
"received and sent (sockets), ERR/s failed calls (fs.error, net.error).\n"
"Sizes are in bytes with K, M, G (powers of 1024); durations in us, ms, s.\n"
"Files and peers are named by the library at verbosity 5 and above. A\n"
"file's RD and WR P50 and P99 are of its reads and writes, a peer's RX\n"
"and TX of its receives and sends (sampled calls); MEAN, a file's mean\n"
"of all its timed calls (fs.duration); CONN, a peer's mean connection\n"
"on its port (net.duration); a target's, of its requests\n"
"(http.duration.server or .client).\n"
"\n"
"Exit status: 0; 128+N after signal N; 1 when the terminal or the\n"
"sessions cannot be used; 2 usage error.\n";

struct top_opts {
    bool once;
    double delay;
    enum inj_top_sort sort;
    const char *filter;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { OPT_ONCE = 256 };

static enum inj_cli_result parse(int argc, char **argv, struct top_opts *o)
{
    static const struct option longopts[] = {
        {"once", no_argument, NULL, OPT_ONCE},
        {"delay", required_argument, NULL, 'd'},
        {"sort", required_argument, NULL, 's'},
        {"filter", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int c, by;

    *o = (struct top_opts){.delay = 1, .sort = INJ_TOP_BY_CPU, .filter = ""};
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:d:s:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ONCE: o->once = true; break;
        case 'd':
            o->delay = strtod(optarg, &end);
            if (end == optarg || *end || !(o->delay >= 0.2 && o->delay <= 3600)) {
                inj_usage("top", "--delay '%s': expected seconds from 0.2 to 3600", optarg);
                return INJ_CLI_USAGE;
            }
            break;
        case 's':
            if ((by = inj_top_sort_parse(optarg)) < 0) {
                inj_usage("top", "--sort '%s': expected cpu, mem, io, net, err, pid or name",
                          optarg);
                return INJ_CLI_USAGE;
            }
            o->sort = (enum inj_top_sort)by;
            break;
        case 'f': o->filter = optarg; break;
        case 'h': return INJ_CLI_HELP;
        case ':':
            inj_usage("top", "option '%s' needs a value", argv[optind - 1]);
            return INJ_CLI_USAGE;
        default:
            inj_usage("top", "unknown option '%s'", argv[optind - 1]);
            return INJ_CLI_USAGE;
        }
    }
    if (optind < argc) {
        inj_usage("top", "unexpected argument '%s'", argv[optind]);
        return INJ_CLI_USAGE;
    }
    return INJ_CLI_OK;
}

/* The state of the view between frames. */
struct top {
    struct top_opts o;
    struct inj_top_collector *c;
    struct inj_top_frame f;
    const struct inj_top_proc **shown;
    size_t nshown, capshown;
    pid_t selected_pid;
    size_t selected;
    char filter[EDIT_MAX];
    char edit[EDIT_MAX];
    char prompting;             /* 0, '/' (filter) or 'a' (attach) */
    char message[512];
    double message_until;
};

/* Filter and sort the frame into t->shown; keep the selection on its pid. */
static int select_rows(struct top *t)
{
    if (t->f.n > t->capshown) {
        const struct inj_top_proc **nv = realloc(t->shown, t->f.n * sizeof *nv);
        if (!nv)
            return -1;
        t->shown = nv;
        t->capshown = t->f.n;
    }
    inj_top_sort(t->f.v, t->f.n, t->o.sort);
    t->nshown = 0;
    for (size_t i = 0; i < t->f.n; i++)
        if (inj_top_match(&t->f.v[i], t->filter))
            t->shown[t->nshown++] = &t->f.v[i];
    for (size_t i = 0; i < t->nshown; i++)
        if (t->shown[i]->pid == t->selected_pid)
            t->selected = i;
    if (t->selected >= t->nshown)
        t->selected = t->nshown ? t->nshown - 1 : 0;
    t->selected_pid = t->nshown ? t->shown[t->selected]->pid : 0;
    return 0;
}

static int layout(struct top *t, struct inj_top_screen *s, int width, int height,
                  const char *status)
{
    struct inj_top_view v = {
        .rows = t->shown, .n = t->nshown, .total = t->f.n, .selected = t->selected,
        .sort = t->o.sort, .filter = t->filter, .status = status, .note = t->f.note,
        .now = t->f.now, .width = width, .height = height,
    };

    return inj_top_layout(&v, s);
}

static int collect(struct top *t)
{
    if (inj_top_collect(t->c, &t->f) < 0 || select_rows(t) < 0) {
        fputs("scope: out of memory\n", stderr);
        return -1;
    }
    return 0;
}

/* --once: a first look, the delay, the frame, printed without the
 * padding at the ends of its lines. */
static int once(struct top *t)
{
    struct inj_top_screen s = {0};
    const char *columns = getenv("COLUMNS");
    int width = columns && atoi(columns) >= INJ_TOP_MIN_WIDTH ? atoi(columns) : ONCE_WIDTH;
    int rc = 0;

    if (collect(t) < 0)
        return 1;
    usleep((useconds_t)(t->o.delay * 1e6));
    if (collect(t) < 0 || layout(t, &s, width, 0, NULL) < 0) {
        inj_top_screen_free(&s);
        return 1;
    }
    for (size_t i = 0; i < s.n; i++) {
        size_t len = strlen(s.v[i].text);
        while (len > 0 && s.v[i].text[len - 1] == ' ')
            len--;
        if (printf("%.*s\n", (int)len, s.v[i].text) < 0)
            rc = 1;
    }
    inj_top_screen_free(&s);
    return rc;
}

static void say(struct top *t, const char *msg)
{
    snprintf(t->message, sizeof t->message, "%s", msg);
    t->message_until = mono_now() + MESSAGE_SECONDS;
}

/* The status line: the prompt being typed, a recent message, or the keys. */
static const char *status_of(struct top *t, char *buf, size_t cap)
{
    if (t->prompting) {
        snprintf(buf, cap, "%s: %s_", t->prompting == '/' ? "filter" : "attach PID|NAME",
                 t->edit);
        return buf;
    }
    if (t->message[0] && mono_now() < t->message_until)
        return t->message;
    return "q quit  s sort  / filter  a attach  d detach  up/down select  (scope top --help)";
}

static void act(struct top *t, bool attach, const char *target)
{
    char out[400], msg[512];
    int rc;

    rc = attach ? inj_top_act_attach(target, out, sizeof out)
                : inj_top_act_detach(target, out, sizeof out);
    snprintf(msg, sizeof msg, "%s %s: %s%s", attach ? "attach" : "detach", target,
             rc == 0 ? "done. " : "failed. ", out);
    say(t, msg);
}

/* A key typed into the prompt. */
static void prompt_key(struct top *t, int key, bool *acted)
{
    size_t len = strlen(t->edit);

    if (key == INJ_TOP_KEY_ESC) {
        t->prompting = 0;
    } else if (key == INJ_TOP_KEY_ENTER) {
        if (t->prompting == '/')
            snprintf(t->filter, sizeof t->filter, "%s", t->edit);
        else if (t->edit[0])
            *acted = true;
        if (!*acted)
            t->prompting = 0;
    } else if (key == INJ_TOP_KEY_BACKSPACE) {
        if (len)
            t->edit[len - 1] = '\0';
    } else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof t->edit) {
        t->edit[len] = (char)key;
        t->edit[len + 1] = '\0';
    }
}

static void start_prompt(struct top *t, char which, const char *text)
{
    t->prompting = which;
    snprintf(t->edit, sizeof t->edit, "%s", text);
}

/* A key of the view; returns false to quit. *acted: an attach or detach
 * to run (its target in t->edit). */
static bool view_key(struct top *t, int key, int page, bool *acted, bool *detach)
{
    const struct inj_top_proc *sel = t->nshown ? t->shown[t->selected] : NULL;
    char pid[16] = "";
    size_t last = t->nshown ? t->nshown - 1 : 0;

    if (sel)
        snprintf(pid, sizeof pid, "%d", (int)sel->pid);
    switch (key) {
    case 'q': case 'Q': return false;
    case INJ_TOP_KEY_UP: case 'k': t->selected -= t->selected > 0; break;
    case INJ_TOP_KEY_DOWN: case 'j': t->selected += t->selected < last; break;
    case INJ_TOP_KEY_PGUP: t->selected = t->selected > (size_t)page ? t->selected - (size_t)page : 0; break;
    case INJ_TOP_KEY_PGDN: t->selected = t->selected + (size_t)page < last ? t->selected + (size_t)page : last; break;
    case INJ_TOP_KEY_HOME: t->selected = 0; break;
    case INJ_TOP_KEY_END: t->selected = last; break;
    case 's': t->o.sort = (enum inj_top_sort)((t->o.sort + 1) % INJ_TOP_SORTS); break;
    case 'S': t->o.sort = (enum inj_top_sort)((t->o.sort + INJ_TOP_SORTS - 1) % INJ_TOP_SORTS); break;
    case '/': start_prompt(t, '/', t->filter); break;
    case 'a':
        start_prompt(t, 'a', sel && strcmp(sel->state, "detached") == 0 ? pid : "");
        break;
    case 'd':
        if (!sel) {
            say(t, "detach: no process selected");
            break;
        }
        snprintf(t->edit, sizeof t->edit, "%s", pid);
        *acted = *detach = true;
        break;
    default: break;
    }
    if (t->nshown)
        t->selected_pid = t->shown[t->selected]->pid;
    return true;
}

/* The interactive loop; returns the exit status. */
static int live(struct top *t)
{
    struct inj_top_screen s = {0};
    double next = 0;
    char status[256];
    int rc = 0;

    for (;;) {
        int width, height, key;
        bool acted = false, detach = false;
        double now = mono_now();

        if (stop_signal)
            break;
        if (now >= next) {
            if (collect(t) < 0) {
                rc = 1;
                break;
            }
            next = now + t->o.delay;
        }
        if (inj_top_stderr_last(status, sizeof status))
            say(t, status);
        inj_top_draw_size(&width, &height);
        if (layout(t, &s, width, height, status_of(t, status, sizeof status)) < 0) {
            rc = 1;
            break;
        }
        inj_top_draw(&s);
        key = inj_top_draw_key((int)ceil((next - mono_now()) * 1000));
        if (key == INJ_TOP_KEY_NONE || key == INJ_TOP_KEY_RESIZE)
            continue;
        if (t->prompting)
            prompt_key(t, key, &acted);
        else if (!view_key(t, key, height / 2, &acted, &detach))
            break;
        select_rows(t);
        if (acted) {
            /* the child's output goes to a pipe: the screen stays ours */
            t->prompting = 0;
            snprintf(status, sizeof status, "%s %s ...", detach ? "detaching" : "attaching",
                     t->edit);
            if (layout(t, &s, width, height, status) == 0)
                inj_top_draw(&s);
            act(t, !detach, t->edit);
            next = 0;           /* show what it changed now */
        }
    }
    inj_top_screen_free(&s);
    return rc;
}

int inj_top_main(int argc, char **argv)
{
    struct top t = {0};
    struct sigaction sa = {0};
    int rc;

    switch (parse(argc, argv, &t.o)) {
    case INJ_CLI_HELP:
        fputs(inj_top_help, stdout);
        return 0;
    case INJ_CLI_USAGE:
        return 2;
    case INJ_CLI_OK:
        break;
    }
    snprintf(t.filter, sizeof t.filter, "%s", t.o.filter);
    if (!(t.c = inj_top_collector_new()))
        return 1;
    if (t.o.once) {
        rc = once(&t);
    } else if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fputs("scope: top: stdin and stdout must be a terminal (--once prints one frame as "
              "text)\n", stderr);
        rc = 1;
    } else if (inj_top_draw_start() < 0) {
        rc = 1;
    } else {
        /* after ncurses, whose own handlers would leave from inside one */
        sa.sa_handler = on_stop;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        inj_top_stderr_start();
        rc = live(&t);
        inj_top_draw_end();
        inj_top_stderr_stop();
        if (rc == 0 && stop_signal)
            rc = 128 + stop_signal;
    }
    inj_top_collector_free(t.c);
    free(t.shown);
    return rc;
}
