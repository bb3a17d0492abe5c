/* inj_metrics.c: the `scope metrics` table (see inj_metrics.h). */
#include "inj_metrics.h"
#include "inj_grow.h"

#include "inj_period.h"
#include "inj_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_types[] = {"counter", "gauge", "histogram", "timer"};

struct metric {
    char *name, *unit, *tags;
    int type;
    json_int_t pid;             /* -1: none */
    double value;               /* sum for histograms and timers */
    size_t count;
    double last_value, last_time;
    char dist[192];             /* distributions: the last period's figures */
    double dist_max;
};

struct inj_metrics {
    struct metric *v;
    size_t n, cap;
    json_t *index;              /* aggregation key -> index in v */
    struct inj_periods periods;
};

struct inj_metrics *inj_metrics_new(void)
{
    struct inj_metrics *m = calloc(1, sizeof *m);

    if (m && !(m->index = json_object())) {
        free(m);
        return NULL;
    }
    return m;
}

void inj_metrics_free(struct inj_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].unit);
        free(m->v[i].tags);
    }
    free(m->v);
    json_decref(m->index);
    inj_periods_free(&m->periods);
    free(m);
}

int inj_metrics_type(json_t *body)
{
    const char *s = json_string_value(json_object_get(body, "_metric_type"));

    for (size_t i = 0; s && i < sizeof metric_types / sizeof metric_types[0]; i++)
        if (strcmp(s, metric_types[i]) == 0)
            return (int)i;
    return -1;
}

static struct metric *new_metric(struct inj_metrics *m, json_t *body, const char *key, int type)
{
    struct metric *e;
    const char *unit = json_string_value(json_object_get(body, "unit"));
    json_t *pid = json_object_get(body, "pid");

    if (inj_grow(&m->v, &m->cap, m->n, sizeof m->v[0], 64) < 0)
        return NULL;
    e = &m->v[m->n];
    *e = (struct metric){
        .name = strdup(json_string_value(json_object_get(body, "_metric"))),
        .unit = strdup(unit ? unit : "-"),
        .tags = inj_line_tags(body),
        .type = type,
        .pid = json_is_integer(pid) ? json_integer_value(pid) : -1,
    };
    if (!e->name || !e->unit || !e->tags ||
        json_object_set_new(m->index, key, json_integer((json_int_t)m->n)) != 0) {
        free(e->name);
        free(e->unit);
        free(e->tags);
        return NULL;
    }
    m->n++;
    return e;
}

/* A distribution's figures are its value, not part of what it is. */
static void dist_fields_del(json_t *body)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(body, tmp, key, v)
        if (inj_line_is_dist_field(key))
            json_object_del(body, key);
}

enum inj_line_verdict inj_metrics_add(json_t *root, const char *line, size_t len, void *ctx)
{
    struct inj_metrics *m = ctx;
    json_t *body = json_object_get(root, "body");
    json_t *value = json_object_get(body, "_value"), *when = json_object_get(body, "_time");
    json_t *pid = json_object_get(body, "pid"), *found;
    int type = inj_metrics_type(body);
    bool dist = inj_line_is_dist(json_string_value(json_object_get(body, "_metric")));
    char dist_text[sizeof ((struct metric *)0)->dist] = "";
    double dist_max = 0, v, t;
    struct metric *e;
    char *key;

    (void)line;
    (void)len;
    if (!inj_line_is(root, "metric") || !json_is_string(json_object_get(body, "_metric")) ||
        !json_is_number(value) || type < 0)
        return INJ_LINE_MALFORMED;
    v = json_number_value(value);
    t = json_is_number(when) ? json_number_value(when) : 0;
    if (json_is_integer(pid) && t > 0 &&
        inj_periods_see(&m->periods, json_integer_value(pid), t) < 0)
        return INJ_LINE_FATAL;
    if (dist) {
        json_t *max = json_object_get(body, "max");
        inj_line_dist(body, dist_text, sizeof dist_text);
        dist_max = json_is_number(max) ? json_number_value(max) : 0;
        dist_fields_del(body);
    }
    json_object_del(body, "_time");
    json_object_del(body, "_value");
    if (!(key = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)))
        return INJ_LINE_FATAL;
    found = json_object_get(m->index, key);
    e = found ? &m->v[json_integer_value(found)] : new_metric(m, body, key, type);
    free(key);
    if (!e)
        return INJ_LINE_FATAL;
    e->value = type == INJ_GAUGE ? v : e->value + v;
    e->count++;
    e->last_value = v;
    e->last_time = t;
    if (dist) {
        memcpy(e->dist, dist_text, sizeof e->dist);
        if (dist_max > e->dist_max)
            e->dist_max = dist_max;
    }
    return INJ_LINE_OK;
}

static int by_name_tags_pid(const void *a, const void *b)
{
    const struct metric *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c == 0)
        c = strcmp(x->tags, y->tags);
    return c ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

/* VALUE and RATE of a row. */
static void row_figures(const struct inj_metrics *m, const struct metric *e, char *value,
                        size_t vlen, char *rate, size_t rlen)
{
    int average = e->type == INJ_HISTOGRAM || e->type == INJ_TIMER;
    double period = e->pid >= 0 ? inj_periods_len(&m->periods, e->pid, e->last_time) : 0;

    snprintf(rate, rlen, "-");
    if (e->dist[0]) {
        char max[64];
        inj_line_number(e->dist_max, max, sizeof max);
        char *cut = strstr(e->dist, " max ");
        snprintf(value, vlen, "%.*s max %s", cut ? (int)(cut - e->dist) : (int)strlen(e->dist),
                 e->dist, max);
        return;
    }
    inj_line_number(average ? e->value / (double)e->count : e->value, value, vlen);
    if (e->type == INJ_COUNTER && period > 0) {
        inj_line_number(e->last_value / period, rate, rlen - 2);
        strcat(rate, "/s");
    }
}

int inj_metrics_print(struct inj_metrics *m, const char *dir)
{
    static const char *const headers[] = {"NAME", "VALUE", "RATE", "TYPE", "UNIT", "PID",
                                          "TAGS"};
    struct inj_table *t = inj_table_new(7, headers);
    int rc = t ? 0 : -1;

    inj_periods_start(&m->periods, dir);
    if (m->n)
        qsort(m->v, m->n, sizeof(*m->v), by_name_tags_pid);
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        const struct metric *e = &m->v[i];
        char value[256], rate[64], pid[32];
        row_figures(m, e, value, sizeof value, rate, sizeof rate);
        snprintf(pid, sizeof pid, e->pid >= 0 ? "%" JSON_INTEGER_FORMAT : "-", e->pid);
        const char *row[] = {e->name, value, rate, metric_types[e->type], e->unit, pid, e->tags};
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
