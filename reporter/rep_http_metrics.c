/* rep_http_metrics.c: the http.* metrics, summed per period by side,
 * target and status (and method from verbosity 5), one row each; and the
 * durations of those requests as distributions (scope.http.duration.*,
 * every request a value: rep_latency.c). */
#include "rep_internal.h"
#include "rep_fmt_out.h"
#include "rep_hist.h"
#include "rep_http.h"

#include <stdio.h>
#include <stdlib.h>

/* Distinct targets a period keeps apart; more are summed as "*" (per
 * side and status: still exact counts). */
#define ENTRIES_MAX 1024
#define SLOTS 4096                  /* power of two, > ENTRIES_MAX + statuses */

struct entry {
    char key[600];
    bool server;
    int status;
    char method[24], target[512];
    uint64_t count, duration_ns;
    uint64_t req_ops, req_bytes, resp_ops, resp_bytes;
    struct rep_hist durations;
};

struct rep_http_agg {
    struct entry *slots[SLOTS];     /* NULL: free */
    size_t used;
};

/* What a row sends of an entry. */
enum value { V_COUNT, V_DURATION, V_REQ_BYTES, V_RESP_BYTES };
enum side { SIDE_ANY, SIDE_SERVER, SIDE_CLIENT };

static const struct {
    const char *name;
    enum rep_metric_type type;
    const char *unit;
    enum value value;
    enum side side;
} rows[] = {
    { "http.req", REP_COUNTER, "request", V_COUNT, SIDE_ANY },
    { "http.duration.server", REP_TIMER, "millisecond", V_DURATION, SIDE_SERVER },
    { "http.duration.client", REP_TIMER, "millisecond", V_DURATION, SIDE_CLIENT },
    { "http.req.content_length", REP_COUNTER, "byte", V_REQ_BYTES, SIDE_ANY },
    { "http.resp.content_length", REP_COUNTER, "byte", V_RESP_BYTES, SIDE_ANY },
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key: its entry, or the free slot it would take. */
static struct entry **slot_of(struct rep_http_agg *a, const char *key)
{
    for (size_t i = hash(key) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1))
        if (!a->slots[i] || !strcmp(a->slots[i]->key, key))
            return &a->slots[i];
}

/* "server|method|status|target": written by hand, as snprintf's cost
 * was most of what counting a request took. */
static void key_make(char *key, size_t cap, bool server, const char *method, int status,
                     const char *target)
{
    struct rep_out o = { .buf = key, .cap = cap - 1 };

    rep_put_char(&o, server ? '1' : '0');
    rep_put_char(&o, '|');
    rep_put_str(&o, method);
    rep_put_char(&o, '|');
    rep_put_i64(&o, status);
    rep_put_char(&o, '|');
    rep_put_str(&o, target);
    key[o.len] = '\0';
}

void rep_http_metrics_add(struct rep *r, const struct rep_http_msg *m)
{
    struct rep_http_state *h = rep_http_state(r);
    const char *method = r->cfg.verbosity >= 5 ? m->method : "";
    const char *target = m->target;
    char key[600];

    if (!h || (!h->agg && !(h->agg = calloc(1, sizeof *h->agg))))
        return;
    struct rep_http_agg *a = h->agg;
    key_make(key, sizeof key, m->server, method, m->status, target);
    struct entry **slot = slot_of(a, key);
    if (!*slot && a->used >= ENTRIES_MAX) {
        target = "*";
        key_make(key, sizeof key, m->server, method, m->status, target);
        slot = slot_of(a, key);
    }
    if (!*slot) {
        struct entry *n = calloc(1, sizeof *n);
        if (!n)
            return;
        snprintf(n->key, sizeof n->key, "%s", key);
        n->server = m->server;
        n->status = m->status;
        snprintf(n->method, sizeof n->method, "%s", method);
        snprintf(n->target, sizeof n->target, "%s", target);
        *slot = n;
        a->used++;
    }
    struct entry *e = *slot;
    uint64_t ns = m->end_ns > m->start_ns ? (uint64_t)(m->end_ns - m->start_ns) : 0;
    e->count++;
    e->duration_ns += ns;
    rep_hist_add(&e->durations, ns, 1);
    if (m->req.content_length >= 0) {
        e->req_ops++;
        e->req_bytes += (uint64_t)m->req.content_length;
    }
    if (m->resp.content_length >= 0) {
        e->resp_ops++;
        e->resp_bytes += (uint64_t)m->resp.content_length;
    }
}

static void entry_emit(struct rep *r, const struct entry *e, double time)
{
    struct rep_field tags[4];
    size_t ntags = 0;

    if (e->method[0])
        tags[ntags++] = (struct rep_field)REP_FIELD_STR("http_method", e->method);
    tags[ntags++] = (struct rep_field)REP_FIELD_STR("http_target", e->target);
    tags[ntags++] = (struct rep_field)REP_FIELD_INT("http_status_code", e->status);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t ops = rows[i].value == V_REQ_BYTES ? e->req_ops
                     : rows[i].value == V_RESP_BYTES ? e->resp_ops : e->count;
        if (!ops || (rows[i].side == SIDE_SERVER && !e->server) ||
            (rows[i].side == SIDE_CLIENT && e->server))
            continue;
        double value = rows[i].value == V_COUNT ? (double)e->count
                     : rows[i].value == V_DURATION ? (double)(e->duration_ns / e->count / 1000000)
                     : rows[i].value == V_REQ_BYTES ? (double)e->req_bytes
                     : (double)e->resp_bytes;
        size_t n = ntags;
        if (rows[i].value != V_COUNT)
            tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)ops);
        struct rep_metric metric = {
            .name = rows[i].name, .type = rows[i].type, .value = value,
            .unit = rows[i].unit, .tags = tags, .ntags = n, .summary = true,
        };
        rep_metric_write(r, &metric, time);
    }
    rep_latency_dist_write(r, e->server ? "scope.http.duration.server"
                                        : "scope.http.duration.client",
                           &e->durations, tags, ntags, true, time);
}

void rep_http_metrics_emit(struct rep *r, double time)
{
    struct rep_http_state *h = r->http;

    rep_http_unparsed_tell(r);
    if (!h || !h->agg)
        return;
    struct rep_http_agg *a = h->agg;
    for (size_t i = 0; i < SLOTS; i++) {
        if (!a->slots[i])
            continue;
        entry_emit(r, a->slots[i], time);
        free(a->slots[i]);
        a->slots[i] = NULL;
    }
    a->used = 0;
}

void rep_http_agg_free(struct rep_http_agg *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < SLOTS; i++)
        free(a->slots[i]);
    free(a);
}
