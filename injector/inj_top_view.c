/* inj_top_view.c: a frame of `scope top` as lines of text (see
 * inj_top_view.h). */
#include "inj_top_view.h"
#include "inj_grow.h"

#include "inj_table.h"
#include "inj_term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DETAIL_ITEMS_ONCE 10    /* items of each kind per process, --once */
#define TABLE_MIN_ROWS 3

/* How a cell fits its width: padded on the right or the left, or cut at
 * its start (a path's end says most). */
enum align { LEFT, RIGHT, TAIL };

/* A line being built: `chars` characters so far, at most `width`. */
struct line {
    char *s;
    size_t len;
    int chars, width;
};

static void put_chars(struct line *l, const char *s, size_t bytes, int chars)
{
    memcpy(l->s + l->len, s, bytes);
    l->len += bytes;
    l->chars += chars;
    l->s[l->len] = '\0';
}

static void put_spaces(struct line *l, int n)
{
    while (n-- > 0 && l->chars < l->width)
        put_chars(l, " ", 1, 1);
}

/* safe (already escaped) text in a cell of w characters, then one space;
 * the line's width is never passed. */
static void put(struct line *l, const char *safe, int w, enum align a)
{
    int room = l->width - l->chars, len = (int)inj_table_width(safe);
    const char *s = safe;

    if (w > room)
        w = room;
    if (w <= 0)
        return;
    if (len > w && a == TAIL && w > 3) {
        put_chars(l, "...", 3, 3);
        s += inj_table_prefix_bytes(s, (size_t)(len - (w - 3)));
        len = w - 3;
        w -= 3;
    } else if (len > w) {
        len = w;
    }
    if (a == RIGHT)
        put_spaces(l, w - len);
    put_chars(l, s, inj_table_prefix_bytes(s, (size_t)len), len);
    if (a != RIGHT)
        put_spaces(l, w - len);
    put_spaces(l, 1);
}

/* Text from a process in a cell: escaped first. */
static void put_raw(struct line *l, const char *raw, int w, enum align a)
{
    char *safe = inj_term_dup(raw);

    put(l, safe ? safe : "?", w, a);
    free(safe);
}

static int line_add(struct inj_top_screen *s, struct line *l, enum inj_top_attr attr)
{
    put_spaces(l, l->width);
    if (inj_grow(&s->v, &s->cap, s->n, sizeof s->v[0], 64) < 0)
        return -1;
    s->v[s->n++] = (struct inj_top_line){attr, l->s};
    l->s = NULL;
    return 0;
}

static int line_new(struct line *l, int width)
{
    /* escaped text is at most 4 bytes a character */
    l->s = malloc(4 * (size_t)width + 1);
    l->len = 0;
    l->chars = 0;
    l->width = width;
    if (l->s)
        l->s[0] = '\0';
    return l->s ? 0 : -1;
}

/* A line of one text (ours or escaped) cut to the width. */
static int text_line(struct inj_top_screen *s, int width, enum inj_top_attr attr,
                     const char *safe)
{
    struct line l;

    if (line_new(&l, width) < 0)
        return -1;
    put(&l, safe, width, LEFT);
    return line_add(s, &l, attr);
}

/* ---- figures ------------------------------------------------------------- */

void inj_top_fmt_bytes(double v, char *buf, size_t cap)
{
    static const char units[] = "KMGTP";
    int u = -1;

    if (v < 0) {
        snprintf(buf, cap, "-");
        return;
    }
    while (v >= 999.5 && u < (int)sizeof units - 2) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void inj_top_fmt_ms(double ms, char *buf, size_t cap)
{
    if (ms < 0)
        snprintf(buf, cap, "-");
    else if (ms < 0.00995)
        snprintf(buf, cap, "%.1fus", ms * 1000);
    else if (ms < 1)
        snprintf(buf, cap, "%.0fus", ms * 1000);
    else if (ms < 99.95)
        snprintf(buf, cap, "%.1fms", ms);
    else if (ms < 1000)
        snprintf(buf, cap, "%.0fms", ms);
    else
        snprintf(buf, cap, "%.1fs", ms / 1000);
}

/* A count or a count per second: whole below 10000 (one decimal below 10
 * when it has one), then k and M (powers of 1000). */
static void fmt_count(double v, char *buf, size_t cap)
{
    if (v < 0)
        snprintf(buf, cap, "-");
    else if (v < 9.95 && v != (double)(long)v)
        snprintf(buf, cap, "%.1f", v);
    else if (v < 9999.5)
        snprintf(buf, cap, "%.0f", v);
    else if (v < 999500)
        snprintf(buf, cap, "%.0fk", v / 1e3);
    else
        snprintf(buf, cap, "%.0fM", v / 1e6);
}

/* ---- the table ----------------------------------------------------------- */

/* The columns after COMMAND, one row each: header and width. */
static const struct {
    const char *header;
    int width;
} columns[] = {
    {"ST", 3}, {"CPU%", 5}, {"MEM", 5}, {"FD", 5}, {"THR", 4},
    {"RD/s", 5}, {"WR/s", 5}, {"RX/s", 5}, {"TX/s", 5}, {"ERR/s", 5},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define PID_WIDTH 7
#define COMMAND_MAX 40          /* wider terminals: figures stay near names */

/* COMMAND's width: what the other columns leave. */
static int command_width(int width)
{
    int w = width - PID_WIDTH - 2;

    for (size_t i = 0; i < NCOLUMNS; i++)
        w -= columns[i].width + 1;
    return w < 4 ? 4 : w > COMMAND_MAX ? COMMAND_MAX : w;
}

static const char *state_short(const char *state)
{
    return strcmp(state, "attached") == 0 ? "att" : strcmp(state, "detached") == 0 ? "det"
                                                   : strcmp(state, "run") == 0 ? "run" : "?";
}

static int table_header(struct inj_top_screen *s, int width)
{
    struct line l;

    if (line_new(&l, width) < 0)
        return -1;
    put(&l, "PID", PID_WIDTH, RIGHT);
    put(&l, "COMMAND", command_width(width), LEFT);
    for (size_t i = 0; i < NCOLUMNS; i++)
        put(&l, columns[i].header, columns[i].width, RIGHT);
    return line_add(s, &l, INJ_TOP_HEADER);
}

static int table_row(struct inj_top_screen *s, int width, const struct inj_top_proc *p,
                     enum inj_top_attr attr)
{
    char cells[NCOLUMNS][16], pid[16];
    struct inj_top_rates r;
    struct line l;

    inj_top_rates_of(p, &r);
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    snprintf(cells[0], sizeof cells[0], "%s", state_short(p->state));
    if (p->cpu < 0)
        snprintf(cells[1], sizeof cells[1], "-");
    else
        snprintf(cells[1], sizeof cells[1], "%.1f", p->cpu);
    inj_top_fmt_bytes(p->rss_kib < 0 ? -1 : (double)p->rss_kib * 1024, cells[2], 16);
    fmt_count((double)p->fds, cells[3], 16);
    fmt_count((double)p->threads, cells[4], 16);
    inj_top_fmt_bytes(r.read, cells[5], 16);
    inj_top_fmt_bytes(r.write, cells[6], 16);
    inj_top_fmt_bytes(r.rx, cells[7], 16);
    inj_top_fmt_bytes(r.tx, cells[8], 16);
    fmt_count(r.errors, cells[9], 16);
    if (line_new(&l, width) < 0)
        return -1;
    put(&l, pid, PID_WIDTH, RIGHT);
    put_raw(&l, p->comm, command_width(width), LEFT);
    for (size_t i = 0; i < NCOLUMNS; i++)
        put(&l, cells[i], columns[i].width, RIGHT);
    return line_add(s, &l, attr);
}

/* ---- the detail pane ----------------------------------------------------- */

#define FIG 7                   /* a figure column of the pane */
#define MAX_WIDTH 100           /* from this width the pane shows MAX too */

/* Duration columns at this width: four, and a fifth from MAX_WIDTH. */
static size_t lat_columns(int width)
{
    return width >= MAX_WIDTH ? 5 : 4;
}

/* The width of an item's name: what the figures leave. */
static int name_width(int width)
{
    return width - (int)(2 + lat_columns(width)) * (FIG + 1);
}

/* A section's duration columns, one row per kind of item. Files and
 * peers: the p50 and p99 of their reads and writes (receives and sends)
 * apart, scope's distributions by op, and from MAX_WIDTH the mean first
 * (a file's fs.duration, of all its timed calls; a peer's net.duration on
 * its port, of connections). HTTP targets: mean, p50, p90, p99, and from
 * MAX_WIDTH the max. */
enum lat_fig { MEAN, P50, P90, P99, MAX, IN_P50, IN_P99, OUT_P50, OUT_P99 };
static const struct {
    const char *what, *in, *out;
    const char *heads[5];
    enum lat_fig figs[5];
    bool wide_first;            /* the first column is the one added wide */
} section_of[INJ_TOP_KINDS] = {
    [INJ_TOP_FILE] = {"FILE", "READ/s", "WRITE/s", {"MEAN", "RD P50", "RD P99", "WR P50",
                      "WR P99"}, {MEAN, IN_P50, IN_P99, OUT_P50, OUT_P99}, true},
    [INJ_TOP_PEER] = {"PEER", "RECV/s", "SEND/s", {"CONN", "RX P50", "RX P99", "TX P50",
                      "TX P99"}, {MEAN, IN_P50, IN_P99, OUT_P50, OUT_P99}, true},
    [INJ_TOP_TARGET] = {"HTTP TARGET", "REQ/s", "", {"MEAN", "P50", "P90", "P99", "MAX"},
                        {MEAN, P50, P90, P99, MAX}, false},
};

/* The columns of kind's section at this width: from *first, n of them. */
static size_t lat_shown(enum inj_top_kind kind, int width, size_t *first)
{
    size_t n = lat_columns(width);

    *first = section_of[kind].wide_first && n < 5 ? 1 : 0;
    return n;
}

static double lat_fig(const struct inj_top_item *it, const struct inj_top_lat *lat,
                      enum lat_fig f)
{
    switch (f) {
    case MEAN: return lat ? lat->mean : -1;
    case P50: return lat ? lat->p50 : -1;
    case P90: return lat ? lat->p90 : -1;
    case P99: return lat ? lat->p99 : -1;
    case MAX: return lat ? lat->max : -1;
    case IN_P50: return it->in_lat.p50;
    case IN_P99: return it->in_lat.p99;
    case OUT_P50: return it->out_lat.p50;
    case OUT_P99: return it->out_lat.p99;
    }
    return -1;
}

static void put_lat(struct line *l, enum inj_top_kind kind, const struct inj_top_item *it,
                    const struct inj_top_lat *lat)
{
    size_t first, n = lat_shown(kind, l->width, &first);
    char buf[16];

    for (size_t i = first; i < first + n; i++) {
        inj_top_fmt_ms(lat_fig(it, lat, section_of[kind].figs[i]), buf, sizeof buf);
        put(l, buf, FIG, RIGHT);
    }
}

/* "FILE  READ/s  WRITE/s  RD P50 ..." and the like. */
static int items_header(struct inj_top_screen *s, int width, enum inj_top_kind kind)
{
    size_t first, n = lat_shown(kind, width, &first);
    struct line l;

    if (line_new(&l, width) < 0)
        return -1;
    put(&l, section_of[kind].what, name_width(width), LEFT);
    put(&l, section_of[kind].in, FIG, RIGHT);
    put(&l, section_of[kind].out, FIG, RIGHT);
    for (size_t i = first; i < first + n; i++)
        put(&l, section_of[kind].heads[i], FIG, RIGHT);
    return line_add(s, &l, INJ_TOP_HEADER);
}

static int item_line(struct inj_top_screen *s, int width, const struct inj_top_period *p,
                     enum inj_top_kind kind, const struct inj_top_item *it, double seconds)
{
    char in[16], out[16];
    struct line l;
    const struct inj_top_lat *lat = kind == INJ_TOP_PEER ? inj_top_peer_lat(p, it) : &it->lat;

    if (kind == INJ_TOP_TARGET) {
        fmt_count(it->in / seconds, in, sizeof in);
        snprintf(out, sizeof out, "-");
    } else {
        inj_top_fmt_bytes(it->in / seconds, in, sizeof in);
        inj_top_fmt_bytes(it->out / seconds, out, sizeof out);
    }
    if (line_new(&l, width) < 0)
        return -1;
    put_raw(&l, it->name, name_width(width), TAIL);
    put(&l, in, FIG, RIGHT);
    put(&l, out, FIG, RIGHT);
    put_lat(&l, kind, it, lat);
    return line_add(s, &l, INJ_TOP_PLAIN);
}

/* One section of the pane: a header and at most max items. */
static int items_section(struct inj_top_screen *s, int width, const struct inj_top_period *p,
                         enum inj_top_kind kind, size_t max, double seconds)
{
    const struct inj_top_item *top[64];
    size_t n = inj_top_items_top(p, kind, top, max < 64 ? max : 64);

    if (n == 0)
        return 0;
    if (items_header(s, width, kind) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (item_line(s, width, p, kind, top[i], seconds) < 0)
            return -1;
    return 0;
}

/* "HTTP 200 950/s  404 3.0/s": requests by status on one line. */
static int status_line(struct inj_top_screen *s, int width, const struct inj_top_period *p,
                       double seconds)
{
    const struct inj_top_item *top[16];
    size_t n = inj_top_items_top(p, INJ_TOP_STATUS, top, 16);
    char buf[64], rate[16];
    struct line l;

    if (n == 0)
        return 0;
    if (line_new(&l, width) < 0)
        return -1;
    put(&l, "HTTP requests/s by status:", 26, LEFT);
    for (size_t i = 0; i < n; i++) {
        fmt_count(top[i]->in / seconds, rate, sizeof rate);
        snprintf(buf, sizeof buf, "%.8s %s", top[i]->name, rate);
        put_raw(&l, buf, (int)strlen(buf), LEFT);
    }
    return line_add(s, &l, INJ_TOP_PLAIN);
}

static int detail_title(struct inj_top_screen *s, int width, const struct inj_top_proc *p,
                        double seconds)
{
    char buf[512], *safe_comm = inj_term_dup(p->comm), *safe_src = inj_term_dup(p->source);
    int rc = -1;

    if (safe_comm && safe_src) {
        if (p->io && seconds > 0)
            snprintf(buf, sizeof buf, "-- %d %s (%s) -- %s -- period %.1fs, ended %.1fs ago ",
                     (int)p->pid, safe_comm, p->state, safe_src, seconds, p->io_age);
        else if (p->io)
            snprintf(buf, sizeof buf, "-- %d %s (%s) -- %s -- first period: length unknown ",
                     (int)p->pid, safe_comm, p->state, safe_src);
        else
            snprintf(buf, sizeof buf, "-- %d %s (%s) -- no I/O figures: %s ", (int)p->pid,
                     safe_comm, p->state, safe_src);
        rc = text_line(s, width, INJ_TOP_TITLE, buf);
    }
    free(safe_comm);
    free(safe_src);
    return rc;
}

/* The pane of p in at most `lines` lines (0: no bound). */
static int detail(struct inj_top_screen *s, int width, const struct inj_top_proc *p, int lines)
{
    const struct inj_top_period *io = p->io;
    double seconds = io ? inj_top_period_seconds(io) : 0;
    size_t start = s->n;
    bool any_io = io && (io->read + io->write + io->rx + io->tx) > 0;
    size_t files = io ? io->items[INJ_TOP_FILE].n : 0, peers = io ? io->items[INJ_TOP_PEER].n : 0;
    size_t targets = io ? io->items[INJ_TOP_TARGET].n : 0;
    size_t status = io && io->items[INJ_TOP_STATUS].n ? 1 : 0;
    size_t each = DETAIL_ITEMS_ONCE;

    if (detail_title(s, width, p, seconds) < 0)
        return -1;
    if (!io || seconds <= 0)
        return 0;
    if (lines > 0) {
        /* the title, one header a section, the status line: the rest is
         * shared by the sections */
        int sections = (files > 0) + (peers > 0) + (targets > 0);
        int room = lines - 1 - sections - (int)status;
        each = sections && room > 0 ? (size_t)(room / sections) : 0;
    }
    if (any_io && files + peers == 0 &&
        text_line(s, width, INJ_TOP_PLAIN,
                  "no file or peer named: the library names them at verbosity 5 and "
                  "above (attach with -v 5; `a` does)") < 0)
        return -1;
    if (items_section(s, width, io, INJ_TOP_FILE, each, seconds) < 0 ||
        items_section(s, width, io, INJ_TOP_PEER, each, seconds) < 0 ||
        status_line(s, width, io, seconds) < 0 ||
        items_section(s, width, io, INJ_TOP_TARGET, each, seconds) < 0)
        return -1;
    if (lines > 0)
        while (s->n > start + (size_t)lines)
            free(s->v[--s->n].text);
    return 0;
}

/* ---- the frame ----------------------------------------------------------- */

static int title(struct inj_top_screen *s, const struct inj_top_view *v, int width)
{
    char buf[512], when[16] = "", shown[32] = "", *filter = inj_term_dup(v->filter);
    time_t t = (time_t)v->now;
    struct tm tm;

    if (!filter)
        return -1;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    if (filter[0])
        snprintf(shown, sizeof shown, " (%zu shown)", v->n);
    snprintf(buf, sizeof buf, "scope top  %s  %zu scoped process%s%s  sort: %s%s%s%s%s", when,
             v->total, v->total == 1 ? "" : "es", shown, inj_top_sort_names[v->sort],
             filter[0] ? "  filter: " : "", filter, v->note[0] ? "  " : "", v->note);
    free(filter);
    return text_line(s, width, INJ_TOP_TITLE, buf);
}

static void screen_clear(struct inj_top_screen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].text);
    s->n = 0;
}

/* The first row shown when `room` rows fit: the selected one is shown. */
static size_t first_shown(const struct inj_top_view *v, size_t room)
{
    return v->selected >= room ? v->selected - room + 1 : 0;
}

int inj_top_layout(const struct inj_top_view *v, struct inj_top_screen *s)
{
    int w = v->width < INJ_TOP_MIN_WIDTH ? INJ_TOP_MIN_WIDTH : v->width;
    size_t room = v->n, first = 0;
    int pane = 0;

    screen_clear(s);
    if (title(s, v, w) < 0 || table_header(s, w) < 0)
        return -1;
    if (v->height > 0) {
        /* title, header and status line; the table gets up to half the
         * rest, the detail pane what remains */
        int rest = v->height - 3;
        size_t half = rest > 0 ? (size_t)rest / 2 : 0;
        if (half < TABLE_MIN_ROWS)
            half = TABLE_MIN_ROWS;
        room = v->n < half ? v->n : half;
        pane = rest - (int)(room ? room : 1);
        first = first_shown(v, room);
    }
    if (v->n == 0 && text_line(s, w, INJ_TOP_PLAIN,
                               v->total ? "  no process matches the filter"
                                        : "  no scoped process: `scope run` or `scope attach` "
                                          "one (or `a` here)") < 0)
        return -1;
    for (size_t i = first; i < first + room && i < v->n; i++) {
        enum inj_top_attr a = v->height > 0 && i == v->selected ? INJ_TOP_SELECTED : INJ_TOP_PLAIN;
        if (table_row(s, w, v->rows[i], a) < 0)
            return -1;
    }
    if (v->height == 0) {
        for (size_t i = 0; i < v->n; i++)
            if (detail(s, w, v->rows[i], 0) < 0)
                return -1;
    } else if (v->n > 0 && pane > 0) {
        if (detail(s, w, v->rows[v->selected < v->n ? v->selected : 0], pane) < 0)
            return -1;
    }
    if (v->height > 0) {
        while (s->n < (size_t)v->height - 1)
            if (text_line(s, w, INJ_TOP_PLAIN, "") < 0)
                return -1;
        while (s->n > (size_t)v->height - 1)
            free(s->v[--s->n].text);
    }
    return v->status ? text_line(s, w, INJ_TOP_HEADER, v->status) : 0;
}

void inj_top_screen_free(struct inj_top_screen *s)
{
    screen_clear(s);
    free(s->v);
    s->v = NULL;
    s->cap = 0;
}
