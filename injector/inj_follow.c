/* inj_follow.c: following session files (see inj_follow.h). */
#include "inj_follow.h"

#include "inj_metrics.h"
#include "inj_period.h"
#include "inj_session.h"
#include "inj_term.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100
#define INFO_EVERY 10               /* polls between looks at info.json */

volatile sig_atomic_t inj_follow_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    inj_follow_interrupted = 1;
}

void inj_follow_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

/* ---- the file ------------------------------------------------------------- */

static FILE *open_at(struct inj_tail *t, const char *dir, const char *name)
{
    off_t size;
    struct stat st;
    FILE *f = inj_session_file_open(dir, name, &size);

    if (!f || fstat(fileno(f), &st) != 0) {
        if (f)
            fclose(f);
        return NULL;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->off = 0;
    return f;
}

int inj_tail_open(struct inj_tail *t, const char *dir, const char *name)
{
    memset(t, 0, sizeof *t);
    if (inj_path_join(t->path, sizeof t->path, dir, name) < 0)
        return -1;
    if (!(t->f = open_at(t, dir, name))) {
        if (errno)
            fprintf(stderr, "scope: cannot read %s: %s\n", t->path, strerror(errno));
        return -1;
    }
    return 0;
}

void inj_tail_close(struct inj_tail *t)
{
    if (t->f)
        fclose(t->f);
    if (t->old)
        fclose(t->old);
    free(t->buf);
    t->f = t->old = NULL;
    t->buf = NULL;
}

/* The partial line is lost (its file ended without its end). */
static void partial_drop(struct inj_tail *t)
{
    if (t->len || t->skipping)
        t->cut++;
    t->len = 0;
    t->skipping = false;
}

/* Whole lines of buf[0..n) on, the rest kept for the next read. */
static long lines_feed(struct inj_tail *t, const char *p, size_t n, inj_line_fn *each,
                       void *ctx, bool *fatal)
{
    long lines = 0;

    while (n > 0 && !*fatal) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) + 1 : n;

        if (!t->skipping && t->len + take > INJ_TAIL_LINE_MAX) {
            t->skipping = true;         /* no line we write is this long */
            t->len = 0;
        }
        if (!t->skipping) {
            if (t->len + take + 1 > t->cap) {
                size_t cap = t->len + take + 1 < 65536 ? 65536 : 2 * (t->len + take + 1);
                char *nb = realloc(t->buf, cap);
                if (!nb) {
                    *fatal = true;
                    return lines;
                }
                t->buf = nb;
                t->cap = cap;
            }
            memcpy(t->buf + t->len, p, take);
            t->len += take;
        }
        if (nl) {
            if (t->skipping) {
                t->cut++;
                t->skipping = false;
            } else {
                json_t *root;
                t->buf[t->len] = '\0';
                root = json_loadb(t->buf, t->len, 0, NULL);
                *fatal = each(root, t->buf, t->len, ctx) == INJ_LINE_FATAL;
                json_decref(root);
                lines++;
            }
            t->len = 0;
        }
        p += take;
        n -= take;
    }
    return lines;
}

/* What f holds past t->off, at most INJ_TAIL_READ_MAX. */
static long read_new(struct inj_tail *t, FILE *f, inj_line_fn *each, void *ctx, bool *fatal)
{
    char chunk[65536];
    long lines = 0;
    size_t total = 0;
    ssize_t n;

    while (!*fatal && total < INJ_TAIL_READ_MAX &&
           (n = pread(fileno(f), chunk, sizeof chunk, t->off)) > 0) {
        t->off += n;
        total += (size_t)n;
        lines += lines_feed(t, chunk, (size_t)n, each, ctx, fatal);
    }
    return lines;
}

/* Has the path been reopened (another file there), or the file cut? */
static void reopen_check(struct inj_tail *t)
{
    struct stat st, now;
    char *slash = strrchr(t->path, '/');

    if (fstat(fileno(t->f), &now) == 0 && now.st_size < t->off) {
        t->off = 0;                     /* cut short: what is there is new */
        partial_drop(t);
        return;
    }
    if (lstat(t->path, &st) != 0 || (st.st_dev == t->dev && st.st_ino == t->ino) ||
        !S_ISREG(st.st_mode) || st.st_size == 0 || !slash)
        return;                         /* the library writes here until it has moved */
    /* the old file is read to its end first, then the new one */
    *slash = '\0';
    FILE *f = open_at(&(struct inj_tail){0}, t->path, slash + 1);
    *slash = '/';
    if (!f)
        return;
    t->old = t->f;
    t->f = f;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
}

long inj_tail_poll(struct inj_tail *t, inj_line_fn *each, void *ctx)
{
    bool fatal = false;
    long lines;

    if (t->old) {
        /* the library writes to the new file now: what the old one has
         * left (from where we were in it) comes first */
        lines = read_new(t, t->old, each, ctx, &fatal);
        fclose(t->old);
        t->old = NULL;
        partial_drop(t);
        t->off = 0;
        if (fatal)
            return -1;
    } else {
        lines = 0;
    }
    lines += read_new(t, t->f, each, ctx, &fatal);
    if (fatal)
        return -1;
    reopen_check(t);
    if (t->old)
        lines += inj_tail_poll(t, each, ctx);
    return lines;
}

/* ---- printing -------------------------------------------------------------- */

/* "TIME  PID  NAME  VALUE UNIT [RATE/s]  TAGS" of a metric line. */
static char *metric_text(json_t *root, struct inj_periods *periods)
{
    json_t *body = json_object_get(root, "body");
    json_t *value = json_object_get(body, "_value"), *when = json_object_get(body, "_time");
    json_t *pid = json_object_get(body, "pid");
    const char *name = json_string_value(json_object_get(body, "_metric"));
    const char *unit = json_string_value(json_object_get(body, "unit"));
    char tbuf[32], vbuf[256], rbuf[80] = "", *tags, *out = NULL, *sname, *sunit;
    json_int_t p = json_is_integer(pid) ? json_integer_value(pid) : -1;
    double t;

    if (!inj_line_is(root, "metric") || !name || !json_is_number(value) ||
        !json_is_number(when) || inj_metrics_type(body) < 0)
        return NULL;
    t = json_number_value(when);
    inj_line_time(t, tbuf, sizeof tbuf);
    if (p >= 0)
        inj_periods_see(periods, p, t);
    if (inj_line_is_dist(name)) {
        inj_line_dist(body, vbuf, sizeof vbuf);
    } else {
        inj_line_number(json_number_value(value), vbuf, sizeof vbuf);
        double period = p >= 0 ? inj_periods_len(periods, p, t) : 0;
        if (inj_metrics_type(body) == INJ_COUNTER && period > 0) {
            char r[64];
            inj_line_number(json_number_value(value) / period, r, sizeof r);
            snprintf(rbuf, sizeof rbuf, " (%s/s)", r);
        }
    }
    tags = inj_line_tags(body);
    sname = inj_term_dup(name);
    sunit = inj_term_dup(unit ? unit : "");
    if (tags && sname && sunit &&
        asprintf(&out, "%s  %" JSON_INTEGER_FORMAT "  %s  %s %s%s  %s", tbuf, p, sname, vbuf,
                 sunit, rbuf, tags) < 0)
        out = NULL;
    free(tags);
    free(sname);
    free(sunit);
    return out;
}

enum inj_line_verdict inj_follow_line(json_t *root, const char *line, size_t len, void *ctx)
{
    struct inj_follow_print *fp = ctx;
    bool malformed = false;
    char *text;

    if (!inj_line_filter_pass(&fp->filter, line, len, root))
        return INJ_LINE_OK;
    if (fp->json)
        return inj_show_raw(root, line, len, NULL);
    if (!root || inj_line_is_start(root)) {
        fp->malformed += !root;
        return INJ_LINE_OK;
    }
    text = fp->metrics ? metric_text(root, &fp->periods) : inj_line_event_text(root, &malformed);
    if (!text) {
        fp->malformed++;
        return INJ_LINE_OK;
    }
    int rc = printf("%s\n", text);
    free(text);
    return rc < 0 ? INJ_LINE_FATAL : INJ_LINE_OK;
}

/* ---- following ------------------------------------------------------------- */

static bool session_ended(const char *dir)
{
    json_t *info = inj_info_read(dir);
    bool ended = json_object_get(info, "exit_status") != NULL;

    json_decref(info);
    return ended;
}

static void nap(void)
{
    struct timespec ts = { 0, POLL_MS * 1000000L };
    nanosleep(&ts, NULL);
}

int inj_follow_print_init(struct inj_follow_print *fp, const struct inj_show_opts *o,
                          bool metrics, const char *dir)
{
    memset(fp, 0, sizeof *fp);
    fp->json = o->json;
    fp->metrics = metrics;
    if (metrics)
        inj_periods_start(&fp->periods, dir);
    return inj_line_filter_init(&fp->filter, &o->lines);
}

void inj_follow_print_free(struct inj_follow_print *fp)
{
    inj_show_malformed(fp->malformed);
    inj_line_filter_free(&fp->filter);
    inj_periods_free(&fp->periods);
}

int inj_follow_file(const struct inj_show_opts *o, const char *dir, const char *file,
                    bool (*stop)(void *ctx), void *ctx)
{
    struct inj_follow_print fp;
    struct inj_tail t;
    int rc = 0;

    if (inj_follow_print_init(&fp, o, strcmp(file, INJ_METRICS_FILE) == 0, dir) < 0) {
        inj_follow_print_free(&fp);
        return 1;
    }
    if (inj_tail_open(&t, dir, file) < 0) {
        inj_follow_print_free(&fp);
        return 1;
    }
    for (unsigned n = 0;; n++) {
        /* decided before the last read: what was written until then shows */
        bool last = inj_follow_interrupted ||
                    (stop ? stop(ctx) : n % INFO_EVERY == 0 && session_ended(dir));
        if (inj_tail_poll(&t, inj_follow_line, &fp) < 0 || fflush(stdout) != 0) {
            rc = 1;
            break;
        }
        if (last)
            break;
        nap();
    }
    if (t.cut)
        fprintf(stderr, "scope: %zu line%s cut short or too long, skipped\n", t.cut,
                t.cut == 1 ? "" : "s");
    inj_tail_close(&t);
    inj_follow_print_free(&fp);
    return rc;
}

int inj_follow_show(const struct inj_show_opts *o, const char *dir, const char *file)
{
    inj_follow_signals();
    return inj_follow_file(o, dir, file, NULL, NULL);
}
