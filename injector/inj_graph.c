/* inj_graph.c: `scope metrics --graph` (see inj_graph.h). */
#include "inj_graph.h"
#include "inj_grow.h"

#include "inj_metrics.h"
#include "inj_period.h"
#include "inj_session.h"
#include "inj_show.h"
#include "inj_term.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    json_int_t pid;
    double t, value;
};

struct graph {
    const char *name;
    struct inj_periods periods;
    struct point *v;
    size_t n, cap;
    int type;                   /* of the first line */
    char unit[64];
};

static enum inj_line_verdict collect(json_t *root, const char *line, size_t len, void *ctx)
{
    struct graph *g = ctx;
    json_t *body = json_object_get(root, "body");
    json_t *when = json_object_get(body, "_time"), *value = json_object_get(body, "_value");
    json_t *pid = json_object_get(body, "pid");
    const char *name = json_string_value(json_object_get(body, "_metric"));
    const char *unit = json_string_value(json_object_get(body, "unit"));

    (void)line;
    (void)len;
    if (!inj_line_is(root, "metric") || !name || !json_is_number(when) ||
        !json_is_number(value) || inj_metrics_type(body) < 0)
        return INJ_LINE_MALFORMED;
    json_int_t p = json_is_integer(pid) ? json_integer_value(pid) : -1;
    if (inj_periods_see(&g->periods, p, json_number_value(when)) < 0)
        return INJ_LINE_FATAL;
    if (strcmp(name, g->name) != 0)
        return INJ_LINE_OK;
    if (inj_grow(&g->v, &g->cap, g->n, sizeof g->v[0], 256) < 0)
        return INJ_LINE_FATAL;
    if (g->n == 0) {
        g->type = inj_metrics_type(body);
        snprintf(g->unit, sizeof g->unit, "%s", unit ? unit : "");
    }
    g->v[g->n++] = (struct point){ p, json_number_value(when), json_number_value(value) };
    return INJ_LINE_OK;
}

static int by_time(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* The periods' values, one per distinct time, into g->v[0..return). */
static size_t periods_values(struct graph *g)
{
    size_t out = 0;

    if (g->n)
        qsort(g->v, g->n, sizeof *g->v, by_time);
    for (size_t i = 0; i < g->n;) {
        double sum = 0, t = g->v[i].t;
        size_t lines = 0;
        for (; i < g->n && g->v[i].t == t; i++, lines++) {
            double v = g->v[i].value;
            if (g->type == INJ_COUNTER) {
                double len = inj_periods_len(&g->periods, g->v[i].pid, t);
                v = len > 0 ? v / len : 0;
            }
            sum += v;
        }
        bool mean = g->type == INJ_HISTOGRAM || g->type == INJ_TIMER;
        g->v[out++] = (struct point){ 0, t, mean ? sum / (double)lines : sum };
    }
    return out;
}

static void draw(const struct graph *g, size_t n)
{
    size_t cols = n < INJ_GRAPH_WIDTH ? n : INJ_GRAPH_WIDTH;
    double col[INJ_GRAPH_WIDTH] = {0}, top = 0;
    char label[32], from[32], to[32], *name = inj_term_dup(g->name), *unit = inj_term_dup(g->unit);

    for (size_t c = 0; c < cols; c++) {
        size_t a = c * n / cols, b = (c + 1) * n / cols;
        for (size_t i = a; i < b; i++)
            col[c] += g->v[i].value / (double)(b - a);
        if (col[c] > top)
            top = col[c];
    }
    inj_line_time(g->v[0].t, from, sizeof from);
    inj_line_time(g->v[n - 1].t, to, sizeof to);
    printf("%s (%s%s) over %zu period%s, %s to %s\n", name ? name : "?", unit ? unit : "",
           g->type == INJ_COUNTER ? "/s" : "", n, n == 1 ? "" : "s", from, to);
    for (int row = INJ_GRAPH_HEIGHT; row >= 1; row--) {
        label[0] = '\0';
        if (row == INJ_GRAPH_HEIGHT)
            inj_line_number(top, label, sizeof label);
        printf("%12s |", label);
        for (size_t c = 0; c < cols; c++)
            putchar(top > 0 && col[c] / top * INJ_GRAPH_HEIGHT >= row - 0.5 ? '#' : ' ');
        putchar('\n');
    }
    printf("%12s +", "0");
    for (size_t c = 0; c < cols; c++)
        putchar('-');
    putchar('\n');
    free(name);
    free(unit);
}

int inj_graph_show(const struct inj_show_opts *o)
{
    struct graph g = { .name = o->graph };
    char dir[PATH_MAX];
    int rc = 1;

    if (inj_show_session_dir(o, dir, sizeof dir) < 0)
        return 1;
    inj_periods_start(&g.periods, dir);
    if (inj_show_read(o, dir, INJ_METRICS_FILE, collect, &g) == 0) {
        size_t n = periods_values(&g);
        char *shown = inj_term_dup(o->graph);
        if (n == 0) {
            fprintf(stderr, "scope: no metric '%s' in this session; see `scope metrics`\n",
                    shown ? shown : "?");
        } else {
            draw(&g, n);
            rc = 0;
        }
        free(shown);
    }
    free(g.v);
    inj_periods_free(&g.periods);
    return rc;
}
