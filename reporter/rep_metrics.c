/* rep_metrics.c: counters in from the source, metric lines out, once a
 * period: per file and socket (rep_agg), process-wide gauges, proc.*. */
#include "rep_internal.h"
#include "rep_clock.h"
#include "rep_http.h"
#include "rep_proc.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

struct metric_emit {
    struct rep *r;
    double time;
};

void rep_metric_write(struct rep *r, const struct rep_metric *m, double time)
{
    char line[REP_LINE_MAX];
    struct rep_field tags[16];
    struct rep_metric tagged = *m;
    size_t n;

    /* The operator's SCOPE_TAG_* go on every metric, after its own tags. */
    if (r->cfg.ntags && m->ntags + r->cfg.ntags <= 16) {
        memcpy(tags, m->tags, m->ntags * sizeof tags[0]);
        for (size_t i = 0; i < r->cfg.ntags; i++)
            tags[m->ntags + i] = (struct rep_field)REP_FIELD_STR(r->cfg.tags[i].name,
                                                                 r->cfg.tags[i].value);
        tagged.tags = tags;
        tagged.ntags = m->ntags + r->cfg.ntags;
        m = &tagged;
    }

    if (r->cfg.metric_format == REP_FORMAT_NDJSON)
        n = rep_fmt_metric_json(line, sizeof line, &r->ident, m, time);
    else
        n = rep_fmt_statsd(line, sizeof line, r->cfg.statsd_prefix,
                           r->cfg.verbosity >= 4 ? &r->ident : NULL, m);
    if (n == 0)
        r->lines_unformatted++;
    else if (r->cfg.metric_format == REP_FORMAT_STATSD && n > r->cfg.statsd_maxlen)
        n = rep_fmt_statsd_trim(line, n, r->cfg.statsd_maxlen);
    rep_batch_add(&r->mbatch, &r->metrics, line, n);
}

/* Which tags a net.* metric carries: the connection's addresses (rx, tx),
 * or its port (open, close, duration); class on rx and tx; the error class
 * on net.error, which has nothing else. Files: NONE. */
enum metric_tags { METRIC_TAGS_NONE, METRIC_TAGS_ADDRS, METRIC_TAGS_PORT, METRIC_TAGS_ERROR };

struct metric_row {
    enum rep_agg_kind entry;
    enum rep_counter_index when, value, numops;
    uint64_t mean_unit;             /* 0: the sum */
    const char *name, *unit, *class;
    enum rep_metric_type type;
    enum metric_tags tags;
};

static const struct metric_row metric_rows[] = {
#define REP_METRIC(entry, when, name, type, value, mean_unit, unit, numops, tags, class) \
    { REP_AGG_##entry, REP_COUNT_##when, REP_COUNT_##value, REP_COUNT_##numops, mean_unit,  \
      name, unit, class, type, METRIC_TAGS_##tags },
#include "rep_metrics.def"
#undef REP_METRIC
};

/* A file's tags: the file only on per-file entries, numops from
 * verbosity 8 as in AppScope. */
static size_t file_tags(struct rep *r, const struct rep_agg_entry *e, const struct metric_row *m,
                        uint64_t numops, struct rep_field *tags)
{
    size_t n = 0;

    if (e->file)
        tags[n++] = (struct rep_field)REP_FIELD_STR("file", e->file);
    if (m->class)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", m->class);
    if (numops && r->cfg.verbosity >= 8)
        tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)numops);
    return n;
}

static size_t socket_tags(struct rep *r, const struct rep_agg_entry *e, const struct metric_row *m,
                          uint64_t numops, struct rep_field *tags)
{
    const struct rep_sock *s = &e->sock;
    enum metric_tags which = m->tags;
    size_t n = 0;

    if (!e->summary && which != METRIC_TAGS_ERROR)
        tags[n++] = (struct rep_field)REP_FIELD_STR("proto", rep_sock_proto(s));
    if (!e->summary && which == METRIC_TAGS_PORT)
        tags[n++] = (struct rep_field)REP_FIELD_INT("port", rep_sock_port(s));
    if (!e->summary && which == METRIC_TAGS_ADDRS && s->lip[0]) {
        tags[n++] = (struct rep_field)REP_FIELD_STR("localip", s->lip);
        tags[n++] = (struct rep_field)REP_FIELD_INT("localp", s->lport);
    }
    if (!e->summary && which == METRIC_TAGS_ADDRS && s->rip[0]) {
        tags[n++] = (struct rep_field)REP_FIELD_STR("remoteip", s->rip);
        tags[n++] = (struct rep_field)REP_FIELD_INT("remotep", s->rport);
    }
    if (which == METRIC_TAGS_ADDRS)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", rep_sock_class(s));
    if (which == METRIC_TAGS_ERROR)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", m->class);
    if (numops && r->cfg.verbosity >= 8 && n < 7)
        tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)numops);
    return n;
}

/* One row of rep_metrics.def for one entry. */
static void row_emit(struct rep *r, const struct rep_agg_entry *e, const struct metric_row *m,
                     double time)
{
    const uint64_t *c = rep_io_counts_const_array(&e->c);
    struct rep_field tags[7];
    uint64_t numops = m->numops == REP_COUNT_NONE ? 0 : c[m->numops];
    double value = m->mean_unit ? (double)(c[m->value] / c[m->when] / m->mean_unit)
                                : (double)c[m->value];
    size_t n = e->kind == REP_AGG_FILE ? file_tags(r, e, m, numops, tags)
                                       : socket_tags(r, e, m, numops, tags);
    struct rep_metric metric = {
        .name = m->name, .type = m->type, .value = value, .unit = m->unit,
        .tags = tags, .ntags = n, .summary = e->summary,
    };
    rep_metric_write(r, &metric, time);
}

/* e's distributions of durations (rep_latency.c), tagged as its other
 * lines: a file's by the file, a socket's by its addresses and class as
 * net.rx and net.tx (its peer). */
static void latency_emit(struct rep *r, const struct rep_agg_entry *e, double time)
{
    static const struct metric_row tagged_as[] = {
        [REP_AGG_FILE] = { .entry = REP_AGG_FILE, .tags = METRIC_TAGS_NONE },
        [REP_AGG_SOCKET] = { .entry = REP_AGG_SOCKET, .tags = METRIC_TAGS_ADDRS },
    };
    struct rep_field tags[7];
    size_t n = e->kind == REP_AGG_FILE ? file_tags(r, e, &tagged_as[e->kind], 0, tags)
                                       : socket_tags(r, e, &tagged_as[e->kind], 0, tags);

    rep_latency_write(r, e, tags, n, time);
}

static void entry_emit(void *arg, const struct rep_agg_entry *e)
{
    struct metric_emit *me = arg;
    const uint64_t *c = rep_io_counts_const_array(&e->c);

    for (size_t i = 0; i < sizeof metric_rows / sizeof metric_rows[0]; i++)
        if (metric_rows[i].entry == e->kind && c[metric_rows[i].when])
            row_emit(me->r, e, &metric_rows[i], me->time);
    latency_emit(me->r, e, me->time);
}

/* Gauges and lookups: process-wide, one summary line each. */
static void summary_write(struct rep *r, double t, const char *name,
                          enum rep_metric_type type, double value, const char *unit,
                          const struct rep_field *tags, size_t ntags)
{
    struct rep_metric m = {
        .name = name, .type = type, .value = value, .unit = unit,
        .tags = tags, .ntags = ntags, .summary = true,
    };
    rep_metric_write(r, &m, t);
}

/* proc.start: once, with who runs the process. */
static void proc_start_emit(struct rep *r, double t)
{
    char user[256], group[256];

    rep_proc_user_group(user, sizeof user, group, sizeof group);
    struct rep_field tags[] = {
        REP_FIELD_INT("uid", getuid()), REP_FIELD_STR("username", user),
        REP_FIELD_INT("gid", getgid()), REP_FIELD_STR("groupname", group),
        REP_FIELD_STR("args", r->ident.cmd),
    };
    summary_write(r, t, "proc.start", REP_COUNTER, 1, "process", tags, 5);
}

/* proc.*: sampled from /proc each period; cpu_perc over the period. */
static void proc_metrics_emit(struct rep *r, double t)
{
    struct rep_proc_sample s;
    int64_t now = rep_monotonic_ns();

    if (!r->start_reported) {
        proc_start_emit(r, t);
        r->start_reported = 1;
    }
    if (rep_proc_sample(&s, pthread_equal(pthread_self(), r->thread) &&
                                __atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE) ==
                                    REP_TABLE_OWN) < 0)
        return;
    uint64_t cpu = s.cpu_us - r->cpu_us_before;
    double wall_us = (double)(now - r->period_start_ns) / 1000.0;
    summary_write(r, t, "proc.cpu", REP_COUNTER, (double)cpu, "microsecond", NULL, 0);
    summary_write(r, t, "proc.cpu_perc", REP_GAUGE,
                  wall_us > 0 ? (double)cpu * 100.0 / wall_us : 0, "percent", NULL, 0);
    summary_write(r, t, "proc.mem", REP_GAUGE, (double)s.rss_kib, "kibibyte", NULL, 0);
    summary_write(r, t, "proc.thread", REP_GAUGE, s.threads, "thread", NULL, 0);
    summary_write(r, t, "proc.fd", REP_GAUGE, s.fds, "file", NULL, 0);
    summary_write(r, t, "proc.child", REP_GAUGE, s.children, "process", NULL, 0);
    r->cpu_us_before = s.cpu_us;
    r->period_start_ns = now;
}

static void process_metrics_emit(struct rep *r, double t)
{
    proc_metrics_emit(r, t);
    const struct rep_net_gauges *g = &r->open_now;
    if (g->tcp) {
        struct rep_field proto = REP_FIELD_STR("proto", "TCP");
        summary_write(r, t, "net.tcp", REP_GAUGE, g->tcp, "connection", &proto, 1);
    }
    if (g->udp) {
        /* AppScope's net.udp is a gauge of one socket, whose fd and port
         * its schema requires; this one counts them all: no fd (-1), no
         * port (0), as a summary */
        struct rep_field udp[] = { REP_FIELD_STR("proto", "UDP"), REP_FIELD_INT("fd", -1),
                                   REP_FIELD_INT("port", 0) };
        summary_write(r, t, "net.udp", REP_GAUGE, g->udp, "connection", udp, 3);
    }
    if (g->other)
        summary_write(r, t, "net.other", REP_GAUGE, g->other, "connection", NULL, 0);
    if (g->ports)
        summary_write(r, t, "net.port", REP_GAUGE, g->ports, "instance", NULL, 0);
    if (r->dns_requests) {
        struct rep_field duration = REP_FIELD_INT("duration",
            (long long)(r->dns_duration_ns / r->dns_requests / 1000000));
        summary_write(r, t, "dns.req", REP_COUNTER, r->dns_requests, "request", &duration, 1);
        r->dns_requests = r->dns_duration_ns = 0;
    }
}

/* A file's entry: its key, and what it is. */
static void fs_entry(struct rep *r, const char *file, char *key, size_t len,
                     struct rep_agg_entry *proto)
{
    *proto = (struct rep_agg_entry){ .kind = REP_AGG_FILE };
    proto->summary = r->cfg.verbosity < 5 || !file;
    if (proto->summary)
        memcpy(key, "f", 2);        /* once a request (a file's close): no snprintf */
    else
        snprintf(key, len, "f:%s", file);
}

void rep_fs_add(struct rep *r, const char *file, const struct rep_io_counts *c)
{
    char key[PATH_MAX + 64];    /* a path, marked if cut, whole */
    struct rep_agg_entry proto;

    fs_entry(r, file, key, sizeof key, &proto);
    rep_agg_add(&r->agg, key, &proto, c);
}

void rep_fs_duration_seen(struct rep *r, const char *file, enum rep_op op, uint64_t ops,
                          uint64_t ns)
{
    char key[PATH_MAX + 64];
    struct rep_agg_entry proto;

    fs_entry(r, file, key, sizeof key, &proto);
    rep_agg_duration_seen(&r->agg, key, &proto, op, ops, ns);
}

/* A socket's entry: its key, and what it is. */
static void net_entry(struct rep *r, const struct rep_sock *s, char *key, size_t len,
                      struct rep_agg_entry *proto)
{
    *proto = (struct rep_agg_entry){ .kind = REP_AGG_SOCKET, .sock = *s };
    proto->summary = r->cfg.verbosity < 5;
    if (proto->summary)
        snprintf(key, len, "s:%s", rep_sock_class(s));
    else
        /* the proto too: class "other" holds sockets of several protos */
        snprintf(key, len, "s:%s:%s:%s:%u>%s:%u:%u", rep_sock_class(s), rep_sock_proto(s),
                 s->lip, s->lport, s->rip, s->rport, s->server);
}

void rep_net_add(struct rep *r, const struct rep_sock *s, const struct rep_io_counts *c)
{
    char key[256];
    struct rep_agg_entry proto;

    net_entry(r, s, key, sizeof key, &proto);
    rep_agg_add(&r->agg, key, &proto, c);
}

/* A DNS server talks to thousands of peers: at most PEERS_MAX entries of
 * peers a period; a datagram to or from one more is counted on its socket
 * (no remote address), and how many were is said in a notice. */
#define PEERS_MAX 256
static unsigned peers_this_period;     /* reporter only */
static uint64_t peers_over;

void rep_net_datagram(struct rep *r, const struct rep_sock *sock, const struct rep_sock *peer,
                      const struct rep_io_counts *c)
{
    char key[256];
    struct rep_agg_entry proto;

    net_entry(r, peer, key, sizeof key, &proto);
    if (!proto.summary && !rep_agg_has(&r->agg, key)) {
        if (peers_this_period >= PEERS_MAX) {
            peers_over++;
            rep_net_add(r, sock, c);
            return;
        }
        peers_this_period++;
    }
    rep_agg_add(&r->agg, key, &proto, c);
}

static void peers_period_end(struct rep *r)
{
    if (peers_over)
        rep_notice(r, "scope counted %llu datagrams on their socket without their peer: "
                   "they went to or came from more than %d peers in a period",
                   (unsigned long long)peers_over, PEERS_MAX);
    peers_over = 0;
    peers_this_period = 0;
}

void rep_net_duration_seen(struct rep *r, const struct rep_sock *s, enum rep_op op,
                           uint64_t ops, uint64_t ns)
{
    char key[256];
    struct rep_agg_entry proto;

    net_entry(r, s, key, sizeof key, &proto);
    rep_agg_duration_seen(&r->agg, key, &proto, op, ops, ns);
}

void rep_net_open_now(struct rep *r, const struct rep_net_gauges *g)
{
    r->open_now = *g;
}

void rep_dns_add(struct rep *r, uint64_t requests, uint64_t duration_ns)
{
    r->dns_requests += requests;
    r->dns_duration_ns += duration_ns;
}

void rep_counter_add(struct rep *r, const char *name, const char *unit, uint64_t n)
{
    summary_write(r, rep_now_unix(), name, REP_COUNTER, (double)n, unit, NULL, 0);
}

void rep_period_emit(struct rep *r)
{
    struct metric_emit me = { r, rep_now_unix() };

    r->src.collect(r->src.ctx, r);
    rep_agg_drain(&r->agg, entry_emit, &me);
    peers_period_end(r);
    rep_http_metrics_emit(r, me.time);
    process_metrics_emit(r, me.time);
    rep_batch_write_out(&r->mbatch, &r->metrics);
}
