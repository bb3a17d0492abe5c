/* inj_top_model.c: the frame model of `scope top` (see inj_top_model.h). */
#include "inj_top_model.h"
#include "inj_grow.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- metric lines -------------------------------------------------------- */

/* What a metric line adds to its period. */
enum field { F_READ, F_WRITE, F_RX, F_TX, F_ERR, F_REQ, F_FS_LAT, F_FS_DIST, F_NET_LAT,
             F_NET_DIST, F_HTTP_LAT, F_HTTP_DIST, F_CPU, F_CPU_PERC };

/* The metrics read, one row each (AppScope's names); others are ignored. */
static const struct {
    const char *metric;
    enum field field;
} metric_rows[] = {
    {"fs.read", F_READ},
    {"fs.write", F_WRITE},
    {"net.rx", F_RX},
    {"net.tx", F_TX},
    {"fs.error", F_ERR},
    {"net.error", F_ERR},
    {"http.req", F_REQ},
    {"fs.duration", F_FS_LAT},
    {"net.duration", F_NET_LAT},
    {"scope.fs.duration", F_FS_DIST},       /* scope's distributions */
    {"scope.net.duration", F_NET_DIST},
    {"http.duration.server", F_HTTP_LAT},
    {"http.duration.client", F_HTTP_LAT},
    {"scope.http.duration.server", F_HTTP_DIST},
    {"scope.http.duration.client", F_HTTP_DIST},
    {"proc.cpu", F_CPU},
    {"proc.cpu_perc", F_CPU_PERC},
};

/* Milliseconds per unit of a duration line, one row each; 0: unknown. */
static double unit_ms(const char *unit)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {
        {"nanosecond", 1e-6}, {"microsecond", 1e-3}, {"millisecond", 1}, {"second", 1e3},
    };

    for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0)
            return units[i].ms;
    return 0;
}

static void items_clear(struct inj_top_items *items)
{
    for (size_t i = 0; i < items->n; i++)
        free(items->v[i].name);
    items->n = 0;
}

static void period_reset(struct inj_top_period *p, double time)
{
    struct inj_top_items keep[INJ_TOP_KINDS];
    double prev = p->time;

    for (int k = 0; k < INJ_TOP_KINDS; k++) {
        items_clear(&p->items[k]);
        keep[k] = p->items[k];
    }
    memset(p, 0, sizeof *p);
    memcpy(p->items, keep, sizeof keep);
    p->time = time;
    p->prev_time = prev;
    p->cpu_us = p->cpu_perc = -1;
}

static const struct inj_top_lat no_lat = {-1, -1, -1, -1, -1};

/* The item of kind named name, added when missing; NULL when out of memory. */
static struct inj_top_item *item_get(struct inj_top_period *p, enum inj_top_kind kind,
                                     const char *name)
{
    struct inj_top_items *items = &p->items[kind];
    struct inj_top_item *it;

    for (size_t i = 0; i < items->n; i++)
        if (strcmp(items->v[i].name, name) == 0)
            return &items->v[i];
    if (inj_grow(&items->v, &items->cap, items->n, sizeof items->v[0], 16) < 0)
        return NULL;
    it = &items->v[items->n];
    *it = (struct inj_top_item){ .name = strdup(name), .lat = no_lat, .in_lat = no_lat,
                                 .out_lat = no_lat };
    if (!it->name)
        return NULL;
    items->n++;
    return it;
}

/* A non-negative whole number field (ports, status codes), or -1. */
static long whole_field(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    const char *s = json_string_value(v);
    char *end;
    long n;

    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? (long)json_integer_value(v) : -1;
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    n = strtol(s, &end, 10);
    return *end == '\0' ? n : -1;
}

/* Set the quantiles a duration line carries (ms per unit: ms). */
static void quantiles_set(struct inj_top_lat *lat, json_t *body, double ms)
{
    static const char *const quantiles[] = {"p50", "p90", "p99", "max"};
    double *out[] = {&lat->p50, &lat->p90, &lat->p99, &lat->max};

    for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++) {
        json_t *q = json_object_get(body, quantiles[i]);
        if (json_is_number(q) && json_number_value(q) >= 0)
            *out[i] = json_number_value(q) * ms;
    }
}

static double line_unit_ms(json_t *body)
{
    return unit_ms(json_string_value(json_object_get(body, "unit")));
}

/* Fold a mean line (AppScope's fs.duration, net.duration,
 * http.duration.*: _value is the mean of numops calls, 1 when not said)
 * into an item's durations (ms), averaged with the lines before it by
 * their calls, with the quantiles it carries. A line in an unknown unit
 * is left out. */
static void lat_add(struct inj_top_item *it, json_t *body, double value)
{
    double ms = line_unit_ms(body);
    long n = whole_field(body, "numops");
    double calls = n > 0 ? (double)n : 1;

    if (ms == 0)
        return;
    double before = it->lat.mean < 0 ? 0 : it->lat.mean * it->timed;
    it->timed += calls;
    it->lat.mean = (before + value * ms * calls) / it->timed;
    quantiles_set(&it->lat, body, ms);
}

/* A distribution line (scope.fs.duration, scope.net.duration: _value is
 * the p50) of a file or a peer sets the quantiles of its reads (receives)
 * or writes (sends) by its op, else (op other, connection, or none: an
 * older library's) the item's, and leaves the mean alone. */
static void dist_add(struct inj_top_item *it, json_t *body)
{
    static const struct {
        const char *op;
        bool out;
    } ops[] = { {"read", false}, {"recv", false}, {"write", true}, {"send", true} };
    const char *op = json_string_value(json_object_get(body, "op"));
    struct inj_top_lat *lat = &it->lat;
    double ms = line_unit_ms(body);

    for (size_t i = 0; op && i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i].op) == 0)
            lat = ops[i].out ? &it->out_lat : &it->in_lat;
    if (ms != 0)
        quantiles_set(lat, body, ms);
}

/* "ip:port" ("[ip]:port" for IPv6) of a net.rx or net.tx line, or "". */
static void peer_name(json_t *body, char *buf, size_t cap)
{
    const char *ip = json_string_value(json_object_get(body, "remoteip"));
    long port = whole_field(body, "remotep");

    buf[0] = '\0';
    if (ip && port >= 0)
        snprintf(buf, cap, strchr(ip, ':') ? "[%s]:%ld" : "%s:%ld", ip, port);
}

/* The item named by the whole number body[key] (*n); NULL with *n -1
 * when the line has none, -2 when out of memory. */
static struct inj_top_item *numbered_item(struct inj_top_period *p, enum inj_top_kind kind,
                                          json_t *body, const char *key, long *n)
{
    struct inj_top_item *it;
    char name[32];

    if ((*n = whole_field(body, key)) < 0)
        return NULL;
    snprintf(name, sizeof name, "%ld", *n);
    if (!(it = item_get(p, kind, name)))
        *n = -2;
    return it;
}

/* Add the line to an item: a file's, peer's, port's, status's or target's. */
static int item_add(struct inj_top_period *p, enum field f, json_t *body, double v)
{
    const char *file = json_string_value(json_object_get(body, "file"));
    const char *target = json_string_value(json_object_get(body, "http_target"));
    struct inj_top_item *it;
    char name[128];
    long n;

    switch (f) {
    case F_READ: case F_WRITE: case F_FS_LAT: case F_FS_DIST:
        if (!file)
            return 0;
        if (!(it = item_get(p, INJ_TOP_FILE, file)))
            return -1;
        if (f == F_FS_LAT)
            lat_add(it, body, v);
        else if (f == F_FS_DIST)
            dist_add(it, body);
        else
            *(f == F_READ ? &it->in : &it->out) += v;
        return 0;
    case F_RX: case F_TX:
        peer_name(body, name, sizeof name);
        if (!name[0])
            return 0;
        if (!(it = item_get(p, INJ_TOP_PEER, name)))
            return -1;
        *(f == F_RX ? &it->in : &it->out) += v;
        it->remotep = (unsigned)whole_field(body, "remotep");
        n = whole_field(body, "localp");
        it->localp = n > 0 ? (unsigned)n : 0;
        return 0;
    case F_NET_DIST:
        /* scope's distributions name the peer, as net.rx does */
        peer_name(body, name, sizeof name);
        if (!name[0])
            return 0;
        if (!(it = item_get(p, INJ_TOP_PEER, name)))
            return -1;
        dist_add(it, body);
        return 0;
    case F_NET_LAT:
        if (!(it = numbered_item(p, INJ_TOP_PORT, body, "port", &n)))
            return n == -2 ? -1 : 0;
        it->localp = it->remotep = (unsigned)n;
        lat_add(it, body, v);
        return 0;
    case F_REQ:
        if (!(it = numbered_item(p, INJ_TOP_STATUS, body, "http_status_code", &n)))
            return n == -2 ? -1 : 0;
        it->in += v;
        return 0;
    case F_HTTP_LAT:
        if (!target)
            return 0;
        if (!(it = item_get(p, INJ_TOP_TARGET, target)))
            return -1;
        n = whole_field(body, "numops");
        it->in += n > 0 ? (double)n : 1;
        lat_add(it, body, v);
        if (it->dist_total > 0)         /* the distributions' mean is exact */
            it->lat.mean = it->dist_ms / it->dist_total;
        return 0;
    case F_HTTP_DIST:
        /* one line per status: the most frequent status's quantiles, the
         * mean of all (exact, where http.duration.*'s is whole ms) */
        n = whole_field(body, "calls");
        if (!target || n <= 0)
            return 0;
        if (!(it = item_get(p, INJ_TOP_TARGET, target)))
            return -1;
        if ((double)n > it->dist_calls) {
            it->dist_calls = (double)n;
            dist_add(it, body);
        }
        json_t *mean = json_object_get(body, "mean");
        if (json_is_number(mean) && json_number_value(mean) >= 0 && line_unit_ms(body) > 0) {
            it->dist_total += (double)n;
            it->dist_ms += json_number_value(mean) * line_unit_ms(body) * (double)n;
            it->lat.mean = it->dist_ms / it->dist_total;
        }
        return 0;
    default:
        return 0;
    }
}

static int line_add(struct inj_top_period *p, enum field f, json_t *body, double v)
{
    double *sum[] = {
        [F_READ] = &p->read, [F_WRITE] = &p->write, [F_RX] = &p->rx, [F_TX] = &p->tx,
        [F_ERR] = &p->errors, [F_REQ] = &p->requests,
    };

    if (f == F_CPU)
        p->cpu_us = v;
    else if (f == F_CPU_PERC)
        p->cpu_perc = v;
    else if ((size_t)f < sizeof sum / sizeof sum[0] && sum[f])
        *sum[f] += v;
    return item_add(p, f, body, v);
}

/* The period of pid, added when missing; NULL when out of memory. */
static struct inj_top_period *series_get(struct inj_top_metrics *m, long pid)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].pid == pid)
            return &m->v[i].p;
    if (inj_grow(&m->v, &m->cap, m->n, sizeof m->v[0], 8) < 0)
        return NULL;
    memset(&m->v[m->n], 0, sizeof m->v[0]);
    m->v[m->n].pid = pid;
    m->v[m->n].p.cpu_us = m->v[m->n].p.cpu_perc = -1;
    return &m->v[m->n++].p;
}

static int metric_line(struct inj_top_metrics *m, json_t *root)
{
    json_t *body = json_object_get(root, "body");
    const char *type = json_string_value(json_object_get(root, "type"));
    const char *name = json_string_value(json_object_get(body, "_metric"));
    json_t *value = json_object_get(body, "_value"), *time = json_object_get(body, "_time");
    json_t *pid = json_object_get(body, "pid");
    struct inj_top_period *p;

    if (!type || strcmp(type, "metric") != 0 || !name || !json_is_number(value) ||
        !json_is_number(time) || !json_is_integer(pid)) {
        m->skipped++;
        return 0;
    }
    for (size_t i = 0; i < sizeof metric_rows / sizeof metric_rows[0]; i++) {
        if (strcmp(name, metric_rows[i].metric) != 0)
            continue;
        if (!(p = series_get(m, (long)json_integer_value(pid))))
            return -1;
        double t = json_number_value(time);
        /* Lines of one period share _time to the microsecond. */
        if (t > p->time + 1e-6)
            period_reset(p, t);
        else if (t < p->time - 1e-6) {
            m->skipped++;
            return 0;
        }
        return line_add(p, metric_rows[i].field, body, json_number_value(value));
    }
    return 0;
}

int inj_top_metrics_line(struct inj_top_metrics *m, const char *line, size_t len)
{
    json_t *root = json_loadb(line, len, 0, NULL);
    int rc;

    if (!root) {
        m->skipped++;
        return 0;
    }
    rc = metric_line(m, root);
    json_decref(root);
    return rc;
}

int inj_top_tail_read(struct inj_top_tail *t, FILE *fp, off_t size, off_t max,
                      struct inj_top_metrics *m)
{
    static char buf[INJ_TOP_LINE_MAX];
    off_t end = size - t->offset > max ? t->offset + max : size;
    size_t have = 0, got;

    for (;;) {
        off_t left = end - t->offset - (off_t)have;
        size_t want = sizeof buf - have;
        char *start = buf, *nl;

        if (left <= 0)
            break;
        if ((off_t)want > left)
            want = (size_t)left;
        if ((got = fread(buf + have, 1, want, fp)) == 0)
            break;
        have += got;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
            if (!t->skip_line && nl > start &&
                inj_top_metrics_line(m, start, (size_t)(nl - start)) < 0)
                return -1;
            t->skip_line = false;
            start = nl + 1;
        }
        if (start == buf && have == sizeof buf) {
            m->skipped += !t->skip_line;    /* longer than any metric line */
            t->skip_line = true;
            start = buf + have;
        }
        size_t used = (size_t)(start - buf);
        memmove(buf, start, have - used);
        have -= used;
        t->offset += (off_t)used;
    }
    return 0;
}

const struct inj_top_period *inj_top_metrics_of(const struct inj_top_metrics *m, long pid)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].pid == pid)
            return &m->v[i].p;
    return NULL;
}

static void period_free(struct inj_top_period *p)
{
    for (int k = 0; k < INJ_TOP_KINDS; k++) {
        items_clear(&p->items[k]);
        free(p->items[k].v);
    }
}

void inj_top_metrics_prune(struct inj_top_metrics *m, double now)
{
    size_t kept = 0;

    for (size_t i = 0; i < m->n; i++) {
        double stale = INJ_TOP_STALE_PERIODS * inj_top_period_seconds(&m->v[i].p) + 1;
        if (now - m->v[i].p.time <= stale + INJ_TOP_FORGET)
            m->v[kept++] = m->v[i];
        else
            period_free(&m->v[i].p);
    }
    m->n = kept;
}

void inj_top_metrics_free(struct inj_top_metrics *m)
{
    for (size_t i = 0; i < m->n; i++)
        period_free(&m->v[i].p);
    free(m->v);
    memset(m, 0, sizeof *m);
}

double inj_top_period_seconds(const struct inj_top_period *p)
{
    if (p->time > 0 && p->prev_time > 0 && p->time > p->prev_time)
        return p->time - p->prev_time;
    /* proc.cpu_perc = proc.cpu * 100 / the period's wall time in µs */
    if (p->cpu_us > 0 && p->cpu_perc > 0)
        return p->cpu_us * 100.0 / p->cpu_perc / 1e6;
    return 0;
}

const struct inj_top_lat *inj_top_peer_lat(const struct inj_top_period *p,
                                           const struct inj_top_item *peer)
{
    const struct inj_top_items *ports = &p->items[INJ_TOP_PORT];

    for (size_t i = 0; i < ports->n; i++)
        if (ports->v[i].localp == peer->localp || ports->v[i].localp == peer->remotep)
            return &ports->v[i].lat;
    return NULL;
}

/* ---- processes ----------------------------------------------------------- */

int inj_top_stat_parse(const char *text, struct inj_top_stat *s)
{
    /* The command (field 2) may hold anything, ')' and spaces included. */
    const char *p = strrchr(text, ')');
    unsigned long long utime, stime;
    long threads, rss;

    /* fields 3 to 24; the ones not read are skipped as words */
    if (!p || sscanf(p + 1, " %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu "
                     "%*s %*s %*s %*s %ld %*s %*s %*s %ld", &utime, &stime, &threads,
                     &rss) != 4)
        return -1;
    s->ticks = utime + stime;
    s->threads = threads;
    s->rss_pages = rss;
    return 0;
}

double inj_top_cpu_percent(unsigned long long before, unsigned long long after,
                           double seconds, long ticks_per_second)
{
    if (seconds <= 0 || ticks_per_second <= 0 || after < before)
        return -1;
    return (double)(after - before) * 100.0 / (double)ticks_per_second / seconds;
}

void inj_top_rates_of(const struct inj_top_proc *p, struct inj_top_rates *r)
{
    const struct inj_top_period *io = p->io;
    double s = io ? inj_top_period_seconds(io) : 0;

    if (s <= 0 || p->io_age > INJ_TOP_STALE_PERIODS * s + 1) {
        *r = (struct inj_top_rates){-1, -1, -1, -1, -1, -1};
        return;
    }
    *r = (struct inj_top_rates){io->read / s, io->write / s, io->rx / s, io->tx / s,
                                io->errors / s, io->requests / s};
}

const char *const inj_top_sort_names[INJ_TOP_SORTS] = {
    [INJ_TOP_BY_CPU] = "cpu", [INJ_TOP_BY_MEM] = "mem", [INJ_TOP_BY_IO] = "io",
    [INJ_TOP_BY_NET] = "net", [INJ_TOP_BY_ERR] = "err", [INJ_TOP_BY_PID] = "pid",
    [INJ_TOP_BY_NAME] = "name",
};

int inj_top_sort_parse(const char *name)
{
    for (int i = 0; i < INJ_TOP_SORTS; i++)
        if (strcmp(name, inj_top_sort_names[i]) == 0)
            return i;
    return -1;
}

/* The figure a row sorts by, larger first. */
static double sort_value(const struct inj_top_proc *p, enum inj_top_sort by)
{
    struct inj_top_rates r;

    inj_top_rates_of(p, &r);
    switch (by) {
    case INJ_TOP_BY_CPU: return p->cpu;
    case INJ_TOP_BY_MEM: return (double)p->rss_kib;
    case INJ_TOP_BY_IO: return r.read < 0 ? -1 : r.read + r.write;
    case INJ_TOP_BY_NET: return r.rx < 0 ? -1 : r.rx + r.tx;
    case INJ_TOP_BY_ERR: return r.errors;
    default: return 0;
    }
}

static enum inj_top_sort sorting_by;

static int by_sort(const void *a, const void *b)
{
    const struct inj_top_proc *x = a, *y = b;
    double vx, vy;
    int c;

    if (sorting_by == INJ_TOP_BY_NAME && (c = strcmp(x->comm, y->comm)) != 0)
        return c;
    if (sorting_by != INJ_TOP_BY_NAME && sorting_by != INJ_TOP_BY_PID) {
        vx = sort_value(x, sorting_by);
        vy = sort_value(y, sorting_by);
        if (vx != vy)
            return vx > vy ? -1 : 1;
    }
    return (x->pid > y->pid) - (x->pid < y->pid);
}

void inj_top_sort(struct inj_top_proc *v, size_t n, enum inj_top_sort by)
{
    sorting_by = by;
    if (n)
        qsort(v, n, sizeof v[0], by_sort);
}

bool inj_top_match(const struct inj_top_proc *p, const char *filter)
{
    size_t flen = strlen(filter);
    char *end;
    long pid;

    if (flen == 0)
        return true;
    pid = strtol(filter, &end, 10);
    if (*end == '\0' && pid == p->pid)
        return true;
    for (const char *c = p->comm; *c; c++)
        if (strncasecmp(c, filter, flen) == 0)
            return true;
    return false;
}

static enum inj_top_kind ranking_kind;

static int by_traffic(const void *a, const void *b)
{
    const struct inj_top_item *x = *(const struct inj_top_item *const *)a;
    const struct inj_top_item *y = *(const struct inj_top_item *const *)b;
    double vx = ranking_kind == INJ_TOP_PORT ? x->lat.mean : x->in + x->out;
    double vy = ranking_kind == INJ_TOP_PORT ? y->lat.mean : y->in + y->out;

    if (vx != vy)
        return vx > vy ? -1 : 1;
    return strcmp(x->name, y->name);
}

size_t inj_top_items_top(const struct inj_top_period *p, enum inj_top_kind kind,
                         const struct inj_top_item **out, size_t max)
{
    const struct inj_top_items *items = &p->items[kind];
    const struct inj_top_item **all;
    size_t n = items->n < max ? items->n : max;

    if (items->n == 0 || max == 0)
        return 0;
    if (!(all = malloc(items->n * sizeof *all)))
        return 0;
    for (size_t i = 0; i < items->n; i++)
        all[i] = &items->v[i];
    ranking_kind = kind;
    qsort(all, items->n, sizeof *all, by_traffic);
    memcpy(out, all, n * sizeof *out);
    free(all);
    return n;
}
