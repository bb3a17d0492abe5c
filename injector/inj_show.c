/* inj_show.c: `scope metrics`, `scope events`, `scope history` (see inj_show.h).
 *
 * metrics: lines are aggregated by name and all their fields but _time and
 * _value: counters summed, gauges last value, histograms and timers
 * averaged. events: one row per line, in file order. Lines that are not
 * the documented shapes are skipped and counted.
 */
#include "inj_show.h"
#include "inj_term.h"

#include "inj_session.h"
#include "inj_table.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_LINE_MAX 100  /* events rows are cut to this many characters */
#define HISTORY_CMD_MAX 40   /* characters of the command line in history */

/* A line's verdict, from the per-line callbacks. */
enum line_result { LINE_OK, LINE_MALFORMED, LINE_FATAL };

/* ---- sessions and files -------------------------------------------------- */

static int load_sessions(char *hist, size_t len, struct inj_session **list, size_t *count)
{
    if (inj_history_dir(hist, len) < 0 || inj_session_list(hist, list, count) < 0)
        return -1;
    if (*count == 0) {
        fprintf(stderr, "scope: no sessions in %s; run `scope run -- CMD` first\n", hist);
        free(*list);
        return -1;
    }
    return 0;
}

/* The directory of the session --id names (or the newest). */
static int session_dir(const char *id, char *dir, size_t len)
{
    char hist[PATH_MAX];
    struct inj_session *list;
    const struct inj_session *s;
    size_t count;
    int rc = -1;

    if (load_sessions(hist, sizeof hist, &list, &count) < 0)
        return -1;
    if (!(s = inj_session_pick(list, count, id)))
        fprintf(stderr, "scope: no session with id '%s' in %s; see `scope history`\n", id, hist);
    else
        rc = inj_path_join(dir, len, hist, s->name);
    free(list);
    return rc;
}

/* Open dir/name (*size: how much to read); when it is missing, say where
 * info.json says the output went. */
static FILE *open_output(const char *dir, const char *name, const char *dest_key, off_t *size)
{
    FILE *f;
    json_t *info;
    const char *dest;

    if ((f = inj_session_file_open(dir, name, size)))
        return f;
    if (errno == 0)
        return NULL;
    fprintf(stderr, "scope: cannot read %s/%s: %s\n", dir, name, strerror(errno));
    info = inj_info_read(dir);
    char *shown = (dest = json_string_value(json_object_get(info, dest_key))) ? inj_term_dup(dest)
                                                                             : NULL;
    if (shown)
        fprintf(stderr, "scope: this session sent its output to %s\n", shown);
    free(shown);
    json_decref(info);
    return NULL;
}

/* At most size bytes of f to stdout. */
static int copy_raw(FILE *f, off_t size)
{
    char buf[65536];
    size_t n;

    while (size > 0 &&
           (n = fread(buf, 1, (size_t)size < sizeof buf ? (size_t)size : sizeof buf, f)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n)
            return -1;
        size -= (off_t)n;
    }
    return ferror(f) ? -1 : 0;
}

/* Call each() with every non-empty line of the first size bytes parsed as
 * JSON; lines that do not parse or that each() rejects are counted in
 * *malformed. */
static int each_line(FILE *f, off_t size, enum line_result (*each)(json_t *, void *), void *ctx,
                     size_t *malformed)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    enum line_result r = LINE_OK;

    *malformed = 0;
    while (r != LINE_FATAL && size > 0 && (len = getline(&line, &cap, f)) >= 0) {
        json_t *root;
        size -= len;
        if (len == 0 || (len == 1 && line[0] == '\n'))
            continue;
        root = json_loadb(line, (size_t)len, 0, NULL);
        r = root ? each(root, ctx) : LINE_MALFORMED;
        *malformed += r == LINE_MALFORMED;
        json_decref(root);
    }
    free(line);
    if (r == LINE_FATAL || ferror(f)) {
        fprintf(stderr, "scope: %s\n", r == LINE_FATAL ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

static void report_malformed(size_t n)
{
    if (n)
        fprintf(stderr, "scope: %zu malformed line%s skipped\n", n, n == 1 ? "" : "s");
}

/* Print session output raw (--json) or as a table built by each(). */
static int show(const struct inj_show_opts *o, const char *file, const char *dest_key,
                enum line_result (*each)(json_t *, void *), void *ctx,
                int (*print)(void *ctx))
{
    char dir[PATH_MAX];
    size_t malformed;
    off_t size;
    FILE *f;
    int rc;

    if (session_dir(o->id, dir, sizeof dir) < 0 ||
        !(f = open_output(dir, file, dest_key, &size)))
        return 1;
    if (o->json) {
        rc = copy_raw(f, size);
        fclose(f);
        return rc < 0 ? 1 : 0;
    }
    rc = each_line(f, size, each, ctx, &malformed);
    fclose(f);
    if (rc == 0)
        rc = print(ctx);
    report_malformed(malformed);
    return rc < 0 ? 1 : 0;
}

/* ---- formatting helpers -------------------------------------------------- */

/* An integer when the value is whole, else up to 3 decimals. */
static void format_number(double v, char *buf, size_t len)
{
    char *end;

    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    snprintf(buf, len, "%.3f", v);
    end = buf + strlen(buf);
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.')
        *--end = '\0';
}

/* A JSON value as a tag or summary shows it: strings bare, others compact. */
static void print_value(FILE *out, json_t *v)
{
    char *s;

    if (json_is_string(v)) {
        fputs(json_string_value(v), out);
    } else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT))) {
        fputs(s, out);
        free(s);
    }
}

/* {"type": type, "body": {...}, ...} */
static int is_line_of_type(json_t *root, const char *type)
{
    const char *t = json_string_value(json_object_get(root, "type"));

    return t && strcmp(t, type) == 0 && json_is_object(json_object_get(root, "body"));
}

/* ---- metrics ------------------------------------------------------------- */

enum metric_type { COUNTER, GAUGE, HISTOGRAM, TIMER };
static const char *const metric_types[] = {"counter", "gauge", "histogram", "timer"};

struct metric {
    char *name, *unit, *tags;
    enum metric_type type;
    json_int_t pid;             /* -1: none */
    double value;               /* sum for histograms and timers */
    size_t count;
};

struct metrics {
    struct metric *v;
    size_t n, cap;
    json_t *index;              /* aggregation key -> index in v */
};

/* Body fields shown in their own column or not at all. */
static int is_column(const char *key)
{
    static const char *const columns[] = {"proc", "pid", "host", "unit", "_time",
                                          "_metric", "_metric_type", "_value"};

    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(key, columns[i]) == 0)
            return 1;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The other fields as "k:v,k:v", by key; "-" when there are none. */
static char *tags_of(json_t *body)
{
    const char *keys[json_object_size(body) + 1];
    size_t n = 0, len;
    const char *key;
    json_t *v;
    char *out = NULL, *line;
    FILE *f = open_memstream(&out, &len);

    if (!f)
        return NULL;
    json_object_foreach(body, key, v)
        if (!is_column(key))
            keys[n++] = key;
    qsort(keys, n, sizeof keys[0], by_key);
    if (n == 0)
        fputc('-', f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%s:", i ? "," : "", keys[i]);
        print_value(f, json_object_get(body, keys[i]));
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    line = inj_term_dup(out);
    free(out);
    return line;
}

static int metric_type_of(const char *s)
{
    for (size_t i = 0; s && i < sizeof metric_types / sizeof metric_types[0]; i++)
        if (strcmp(s, metric_types[i]) == 0)
            return (int)i;
    return -1;
}

static enum line_result new_metric(struct metrics *m, json_t *body, const char *key,
                                   enum metric_type type, double value)
{
    struct metric *e;
    const char *unit = json_string_value(json_object_get(body, "unit"));
    json_t *pid = json_object_get(body, "pid");

    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct metric *nv = realloc(m->v, cap * sizeof(*nv));
        if (!nv)
            return LINE_FATAL;
        m->v = nv;
        m->cap = cap;
    }
    e = &m->v[m->n];
    *e = (struct metric){
        .name = strdup(json_string_value(json_object_get(body, "_metric"))),
        .unit = strdup(unit ? unit : "-"),
        .tags = tags_of(body),
        .type = type,
        .pid = json_is_integer(pid) ? json_integer_value(pid) : -1,
        .value = value,
        .count = 1,
    };
    if (!e->name || !e->unit || !e->tags ||
        json_object_set_new(m->index, key, json_integer((json_int_t)m->n)) != 0) {
        free(e->name);
        free(e->unit);
        free(e->tags);
        return LINE_FATAL;
    }
    m->n++;
    return LINE_OK;
}

static enum line_result add_metric(json_t *root, void *ctx)
{
    struct metrics *m = ctx;
    json_t *body = json_object_get(root, "body");
    json_t *value = json_object_get(body, "_value");
    int type = metric_type_of(json_string_value(json_object_get(body, "_metric_type")));
    json_t *found;
    char *key;
    enum line_result r = LINE_OK;

    double v;

    if (!is_line_of_type(root, "metric") || !json_is_string(json_object_get(body, "_metric")) ||
        !json_is_number(value) || type < 0)
        return LINE_MALFORMED;
    v = json_number_value(value);
    json_object_del(body, "_time");
    json_object_del(body, "_value");
    if (!(key = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)))
        return LINE_FATAL;
    if ((found = json_object_get(m->index, key))) {
        struct metric *e = &m->v[json_integer_value(found)];
        e->value = type == GAUGE ? v : e->value + v;
        e->count++;
    } else {
        r = new_metric(m, body, key, (enum metric_type)type, v);
    }
    free(key);
    return r;
}

static int by_name_tags_pid(const void *a, const void *b)
{
    const struct metric *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c == 0)
        c = strcmp(x->tags, y->tags);
    return c ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

static int print_metrics(void *ctx)
{
    static const char *const headers[] = {"NAME", "VALUE", "TYPE", "UNIT", "PID", "TAGS"};
    struct metrics *m = ctx;
    struct inj_table *t = inj_table_new(6, headers);
    int rc = t ? 0 : -1;

    if (m->n)
        qsort(m->v, m->n, sizeof(*m->v), by_name_tags_pid);
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        const struct metric *e = &m->v[i];
        char value[64], pid[32];
        int average = e->type == HISTOGRAM || e->type == TIMER;
        format_number(average ? e->value / (double)e->count : e->value, value, sizeof value);
        snprintf(pid, sizeof pid, e->pid >= 0 ? "%" JSON_INTEGER_FORMAT : "-", e->pid);
        const char *row[] = {e->name, value, metric_types[e->type], e->unit, pid, e->tags};
        rc = inj_table_add(t, row);
    }
    if (rc < 0)
        fprintf(stderr, "scope: out of memory\n");
    else if (m->n == 0)
        fprintf(stderr, "scope: no metrics recorded in this session\n");
    else
        inj_table_print(t, stdout, 0);
    inj_table_free(t);
    return rc;
}

int inj_show_metrics(const struct inj_show_opts *o)
{
    struct metrics m = {.index = json_object()};
    int rc = m.index ? show(o, INJ_METRICS_FILE, "metric_dest", add_metric, &m, print_metrics) : 1;

    for (size_t i = 0; i < m.n; i++) {
        free(m.v[i].name);
        free(m.v[i].unit);
        free(m.v[i].tags);
    }
    free(m.v);
    json_decref(m.index);
    return rc;
}

/* ---- events -------------------------------------------------------------- */

/* Local HH:MM:SS.mmm of a Unix time. */
static void format_time(double t, char *buf, size_t len)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    char hms[16] = "??:??:??";

    if (localtime_r(&secs, &tm))
        strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03d", hms, (int)((t - floor(t)) * 1000));
}

/* What the DATA column says about an event, before making it one line. */
static char *summary(json_t *body)
{
    json_t *data = json_object_get(body, "data");
    const char *type = json_string_value(json_object_get(body, "sourcetype"));
    const char *source = json_string_value(json_object_get(body, "source"));
    const char *message = json_string_value(json_object_get(data, "message"));
    const char *op = json_string_value(json_object_get(data, "op"));
    json_t *value = json_object_get(data, "_value");
    char *out = NULL;
    size_t len;
    FILE *f;

    if (type && (strcmp(type, "console") == 0 || strcmp(type, "file") == 0) && message)
        return strdup(message);
    if (strncmp(source, "fs.", 3) != 0 || !json_is_string(json_object_get(data, "file")))
        return json_dumps(data, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!(f = open_memstream(&out, &len)))
        return NULL;
    fprintf(f, "%s %s", op ? op : source + 3, json_string_value(json_object_get(data, "file")));
    if (json_is_number(value)) {
        fputc(' ', f);
        print_value(f, value);
        if (json_is_string(json_object_get(data, "unit")))
            fprintf(f, " %s", json_string_value(json_object_get(data, "unit")));
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static enum line_result add_event(json_t *root, void *ctx)
{
    struct inj_table *t = ctx;
    json_t *body = json_object_get(root, "body");
    json_t *when_json = json_object_get(body, "_time");
    json_t *pid = json_object_get(body, "pid");
    const char *source = json_string_value(json_object_get(body, "source"));
    char when[32], pidbuf[32], *raw, *data;
    int rc;

    if (!json_object_get(root, "type") && json_is_object(json_object_get(root, "info")))
        return LINE_OK;             /* the process-start message: no event */
    if (!is_line_of_type(root, "evt") || !json_is_number(when_json) || !source)
        return LINE_MALFORMED;
    format_time(json_number_value(when_json), when, sizeof when);
    snprintf(pidbuf, sizeof pidbuf, json_is_integer(pid) ? "%" JSON_INTEGER_FORMAT : "-",
             json_integer_value(pid));
    if (!(raw = summary(body)))
        return LINE_FATAL;
    data = inj_term_dup(raw);
    free(raw);
    if (!data)
        return LINE_FATAL;
    const char *row[] = {when, pidbuf, source, data};
    rc = inj_table_add(t, row);
    free(data);
    return rc < 0 ? LINE_FATAL : LINE_OK;
}

static int print_events(void *ctx)
{
    struct inj_table *t = ctx;

    if (inj_table_rows(t) == 0)
        fprintf(stderr, "scope: no events recorded in this session\n");
    else
        inj_table_print(t, stdout, EVENTS_LINE_MAX);
    return 0;
}

int inj_show_events(const struct inj_show_opts *o)
{
    static const char *const headers[] = {"TIME", "PID", "SOURCE", "DATA"};
    struct inj_table *t = inj_table_new(4, headers);
    int rc = t ? show(o, INJ_EVENTS_FILE, "event_dest", add_event, t, print_events) : 1;

    inj_table_free(t);
    return rc;
}

/* ---- history ------------------------------------------------------------- */

/* CMD and EXIT of a session, from its info.json ("-" when unknown). */
static void describe(const char *dir, char *cmd, size_t cmdlen, char *ended, size_t endedlen)
{
    json_t *info = inj_info_read(dir);
    json_t *argv = json_object_get(info, "cmd"), *arg;
    json_t *status = json_object_get(info, "exit_status");
    const char *sig = json_string_value(json_object_get(info, "signal"));
    size_t i, used = 0;

    snprintf(cmd, cmdlen, "-");
    json_array_foreach(argv, i, arg) {
        if (json_is_string(arg) && used < cmdlen)
            used += (size_t)snprintf(cmd + used, cmdlen - used, "%s%s", i ? " " : "",
                                     json_string_value(arg));
    }
    inj_table_cut(cmd, HISTORY_CMD_MAX);
    if (!json_is_integer(status))
        snprintf(ended, endedlen, "-");
    else
        snprintf(ended, endedlen, sig ? "%" JSON_INTEGER_FORMAT " (%s)" : "%" JSON_INTEGER_FORMAT,
                 json_integer_value(status), sig);
    json_decref(info);
}

int inj_show_history(void)
{
    static const char *const headers[] = {"ID", "CMD", "PID", "START", "EXIT", "DIR"};
    char hist[PATH_MAX];
    struct inj_session *list;
    size_t count;
    struct inj_table *t;
    int rc = 0;

    if (load_sessions(hist, sizeof hist, &list, &count) < 0)
        return 1;
    if (!(t = inj_table_new(6, headers))) {
        fprintf(stderr, "scope: out of memory\n");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char id[32], pid[32], start[32], dir[PATH_MAX], cmd[256], ended[64];
        time_t secs = (time_t)list[i].start;
        struct tm tm;
        snprintf(id, sizeof id, "%lu", list[i].n);
        snprintf(pid, sizeof pid, "%ld", list[i].pid);
        if (!localtime_r(&secs, &tm) || !strftime(start, sizeof start, "%Y-%m-%d %H:%M:%S", &tm))
            snprintf(start, sizeof start, "%lld", list[i].start);
        if ((rc = inj_path_join(dir, sizeof dir, hist, list[i].name)) < 0)
            break;
        describe(dir, cmd, sizeof cmd, ended, sizeof ended);
        const char *row[] = {id, cmd, pid, start, ended, dir};
        if ((rc = inj_table_add(t, row)) < 0)
            fprintf(stderr, "scope: out of memory\n");
    }
    if (rc == 0)
        inj_table_print(t, stdout, 0);
    inj_table_free(t);
    free(list);
    return rc < 0 ? 1 : 0;
}
