/* rep.c: the reporter thread: when to drain, collect, format and write. */
#include "rep.h"
#include "rep_agg.h"
#include "rep_clock.h"
#include "rep_proc.h"
#include "rep_log.h"
#include "rep_start.h"
#include "rep_transport.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room for the longest line we make: an event's text (440 bytes) and the
 * command line (1023, twice) may each grow six times when escaped. */
#define REP_LINE_MAX (32 * 1024)
#define REP_BATCH_MAX (64 * 1024)
/* At stop, per destination, for a slow or absent reader to take what was
 * kept: with the connect tries and the loss notice, the exit flush stays
 * under 2 s (IP_EXIT_FLUSH_MS). */
#define REP_FINISH_MS 700
#define REP_THREAD_GONE_MS 50

/* Where the reporter thread's descriptors live (see fd_table_own). */
enum { REP_TABLE_STARTING, REP_TABLE_OWN, REP_TABLE_SHARED };

struct rep_batch {
    char buf[REP_BATCH_MAX];
    size_t len;
};

/* The regexes of the configuration, in rep's re[]. */
enum { RE_FS, RE_NET, RE_DNS, RE_CONSOLE, RE_FILE, RE_N };

struct rep {
    struct rep_config cfg;
    struct rep_ident ident;
    struct rep_source src;
    struct rep_transport metrics, events;
    struct rep_agg agg;
    uint64_t drops_to_report;
    uint64_t lines_unformatted;         /* did not fit REP_LINE_MAX: counted */
    uint64_t events_cut;                /* over SCOPE_EVENT_MAXEPS */
    uint64_t metric_lines_told, event_lines_told;   /* losses already reported */
    int inline_cycle;                   /* atomic: a cycle run off the thread */
    int table_state;                    /* atomic: REP_TABLE_* */
    const char *crash_line;             /* from the crash handler, when */
    size_t crash_len;
    int crash_pending;                  /* atomic: set */
    struct rep_net_gauges open_now;     /* as of the last collection */
    int start_reported;                 /* proc.start, once per process */
    int start_msg_sent;                 /* the event stream's first line */
    uint64_t cpu_us_before;             /* proc.cpu at the last period */
    int64_t period_start_ns;
    uint64_t dns_requests, dns_duration_ns;
    uint64_t binary_console_bytes;      /* not sent: SCOPE_ALLOW_BINARY_CONSOLE */
    uint64_t log_missed_bytes;          /* written to log files, not sent */
    /* event name filters (SCOPE_EVENT_*_NAME), and which paths are log
     * files; compiled here, used on this thread only */
    regex_t re[RE_N];               /* event name filters, log file paths */
    int regexes_compiled;

    pthread_t thread;
    pid_t thread_tid;               /* its kernel id, for thread_gone_wait */
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t flush_requested, flush_completed;
    uint64_t signal_flush_requested, signal_flush_completed;   /* atomic */
    int stop_requested, stopped;

    struct timespec next_period;
    struct rep_batch mbatch, ebatch;
};

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void batch_write_out(struct rep_batch *b, struct rep_transport *t)
{
    rep_transport_write(t, b->buf, b->len);
    b->len = 0;
}

static void batch_add(struct rep_batch *b, struct rep_transport *t,
                      const char *line, size_t len)
{
    if (len == 0)
        return;
    if (b->len + len > sizeof b->buf)
        batch_write_out(b, t);
    memcpy(b->buf + b->len, line, len);
    b->len += len;
}

/* ---- metrics ---------------------------------------------------------- */

struct metric_emit {
    struct rep *r;
    double time;
};

static void metric_write(struct rep *r, const struct rep_metric *m, double time)
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
    batch_add(&r->mbatch, &r->metrics, line, n);
}

/* One counter of one entry; the file tag only on per-file entries, numops
 * from verbosity 8 as in AppScope. */
static void fs_metric(struct rep *r, const struct rep_agg_entry *e, double time,
                      const char *name, enum rep_metric_type type, double value,
                      const char *unit, uint64_t numops, const char *class)
{
    struct rep_field tags[3];
    size_t n = 0;

    if (e->file)
        tags[n++] = (struct rep_field)REP_FIELD_STR("file", e->file);
    if (class)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", class);
    if (numops && r->cfg.verbosity >= 8)
        tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)numops);
    struct rep_metric m = {
        .name = name, .type = type, .value = value, .unit = unit,
        .tags = tags, .ntags = n, .summary = e->summary,
    };
    metric_write(r, &m, time);
}

static void fs_entry_emit(struct rep *r, const struct rep_agg_entry *e, double t)
{
    const struct rep_fs_counts *c = &e->c;

    if (c->opens)
        fs_metric(r, e, t, "fs.open", REP_COUNTER, c->opens, "operation", 0, NULL);
    if (c->closes)
        fs_metric(r, e, t, "fs.close", REP_COUNTER, c->closes, "operation", 0, NULL);
    if (c->read_ops)
        fs_metric(r, e, t, "fs.read", REP_COUNTER, c->read_bytes, "byte", c->read_ops, NULL);
    if (c->write_ops)
        fs_metric(r, e, t, "fs.write", REP_COUNTER, c->write_bytes, "byte", c->write_ops, NULL);
    if (c->seek_ops)
        fs_metric(r, e, t, "fs.seek", REP_COUNTER, c->seek_ops, "operation", 0, NULL);
    if (c->duration_ops)
        fs_metric(r, e, t, "fs.duration", REP_HISTOGRAM,
                  (double)(c->duration_ns / c->duration_ops / 1000),
                  "microsecond", c->duration_ops, NULL);
    if (c->err_open_close)
        fs_metric(r, e, t, "fs.error", REP_COUNTER, c->err_open_close, "operation", 0, "open_close");
    if (c->err_read_write)
        fs_metric(r, e, t, "fs.error", REP_COUNTER, c->err_read_write, "operation", 0, "read_write");
    if (c->stat_ops)
        fs_metric(r, e, t, "fs.stat", REP_COUNTER, c->stat_ops, "operation", 0, NULL);
    if (c->err_stat)
        fs_metric(r, e, t, "fs.error", REP_COUNTER, c->err_stat, "operation", 0, "stat");
}

/* Which tags a net.* metric carries: the connection's addresses (rx, tx),
 * or its port (open, close, duration); class on rx and tx; the error class
 * on net.error, which has nothing else. */
enum net_tags { NET_TAGS_ADDRS, NET_TAGS_PORT, NET_TAGS_ERROR };

static void net_metric(struct rep *r, const struct rep_agg_entry *e, double time,
                       const char *name, enum rep_metric_type type, double value,
                       const char *unit, uint64_t numops, enum net_tags which,
                       const char *error_class)
{
    const struct rep_sock *s = &e->sock;
    struct rep_field tags[7];
    size_t n = 0;

    if (!e->summary && which != NET_TAGS_ERROR)
        tags[n++] = (struct rep_field)REP_FIELD_STR("proto", rep_sock_proto(s));
    if (!e->summary && which == NET_TAGS_PORT)
        tags[n++] = (struct rep_field)REP_FIELD_INT("port", rep_sock_port(s));
    if (!e->summary && which == NET_TAGS_ADDRS && s->lip[0]) {
        tags[n++] = (struct rep_field)REP_FIELD_STR("localip", s->lip);
        tags[n++] = (struct rep_field)REP_FIELD_INT("localp", s->lport);
    }
    if (!e->summary && which == NET_TAGS_ADDRS && s->rip[0]) {
        tags[n++] = (struct rep_field)REP_FIELD_STR("remoteip", s->rip);
        tags[n++] = (struct rep_field)REP_FIELD_INT("remotep", s->rport);
    }
    if (which == NET_TAGS_ADDRS)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", rep_sock_class(s));
    if (which == NET_TAGS_ERROR)
        tags[n++] = (struct rep_field)REP_FIELD_STR("class", error_class);
    if (numops && r->cfg.verbosity >= 8 && n < 7)
        tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)numops);
    struct rep_metric m = {
        .name = name, .type = type, .value = value, .unit = unit,
        .tags = tags, .ntags = n, .summary = e->summary,
    };
    metric_write(r, &m, time);
}

static void net_entry_emit(struct rep *r, const struct rep_agg_entry *e, double t)
{
    const struct rep_fs_counts *c = &e->c;

    if (c->opens)
        net_metric(r, e, t, "net.open", REP_COUNTER, c->opens, "connection", 0, NET_TAGS_PORT, NULL);
    if (c->closes)
        net_metric(r, e, t, "net.close", REP_COUNTER, c->closes, "connection", 0, NET_TAGS_PORT, NULL);
    if (c->read_ops)
        net_metric(r, e, t, "net.rx", REP_COUNTER, c->read_bytes, "byte", c->read_ops, NET_TAGS_ADDRS, NULL);
    if (c->write_ops)
        net_metric(r, e, t, "net.tx", REP_COUNTER, c->write_bytes, "byte", c->write_ops, NET_TAGS_ADDRS, NULL);
    if (c->duration_ops)
        net_metric(r, e, t, "net.duration", REP_TIMER,
                   (double)(c->duration_ns / c->duration_ops / 1000000),
                   "millisecond", c->duration_ops, NET_TAGS_PORT, NULL);
    if (c->err_open_close)
        net_metric(r, e, t, "net.error", REP_COUNTER, c->err_open_close, "operation", 0,
                   NET_TAGS_ERROR, "connection");
    if (c->err_read_write)
        net_metric(r, e, t, "net.error", REP_COUNTER, c->err_read_write, "operation", 0,
                   NET_TAGS_ERROR, "rx_tx");
}

static void entry_emit(void *arg, const struct rep_agg_entry *e)
{
    struct metric_emit *me = arg;

    if (e->kind == REP_AGG_FILE)
        fs_entry_emit(me->r, e, me->time);
    else
        net_entry_emit(me->r, e, me->time);
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
    metric_write(r, &m, t);
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
        struct rep_field proto = REP_FIELD_STR("proto", "UDP");
        summary_write(r, t, "net.udp", REP_GAUGE, g->udp, "connection", &proto, 1);
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

void rep_fs_add(struct rep *r, const char *file, const struct rep_fs_counts *c)
{
    char key[4096];
    struct rep_agg_entry proto = { .kind = REP_AGG_FILE };

    proto.summary = r->cfg.verbosity < 5 || !file;
    if (proto.summary)
        snprintf(key, sizeof key, "f");
    else
        snprintf(key, sizeof key, "f:%s", file);
    rep_agg_add(&r->agg, key, &proto, c);
}

void rep_net_add(struct rep *r, const struct rep_sock *s, const struct rep_fs_counts *c)
{
    char key[256];
    struct rep_agg_entry proto = { .kind = REP_AGG_SOCKET, .sock = *s };

    proto.summary = r->cfg.verbosity < 5;
    if (proto.summary)
        snprintf(key, sizeof key, "s:%s", rep_sock_class(s));
    else
        snprintf(key, sizeof key, "s:%s:%s:%u>%s:%u:%u", rep_sock_class(s), s->lip,
                 s->lport, s->rip, s->rport, s->server);
    rep_agg_add(&r->agg, key, &proto, c);
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

void rep_drops_add(struct rep *r, uint64_t events_dropped)
{
    r->drops_to_report += events_dropped;
}

void rep_events_cut_add(struct rep *r, uint64_t cut)
{
    r->events_cut += cut;
}

/* ---- events ----------------------------------------------------------- */

bool rep_events_wanted(const struct rep *r)
{
    return rep_transport_is_on(&r->events);
}

void rep_fds_publish(struct rep *r, int fds[2])
{
    /* stdout and stderr are the program's own, and what the reporter
     * thread opens in its own table is out of the program's reach: neither
     * is published (rep_transport.c) */
    rep_transport_publish(&r->metrics, &fds[0]);
    rep_transport_publish(&r->events, &fds[1]);
}

static void event_write(struct rep *r, const char *sourcetype, const char *source,
                        double time, const struct rep_field *data, size_t n)
{
    char line[REP_LINE_MAX];
    size_t len = rep_fmt_event_json(line, sizeof line, &r->ident, sourcetype,
                                    source, time, data, n);
    if (len == 0)
        r->lines_unformatted++;
    batch_add(&r->ebatch, &r->events, line, len);
}

/* The operator's name filters (SCOPE_EVENT_*_NAME): an event is sent
 * only when its name (source) matches its kind's regex, as in AppScope. */
static bool name_wanted(struct rep *r, regex_t *re, const char *name)
{
    return !r->regexes_compiled || regexec(re, name, 0, NULL, 0) == 0;
}

static void fs_delete_write(struct rep *r, const struct rep_event *ev, double t)
{
    struct rep_field f[] = {
        REP_FIELD_STR("proc", r->ident.proc),
        REP_FIELD_INT("pid", r->ident.pid),
        REP_FIELD_STR("host", r->ident.host),
        REP_FIELD_STR("op", ev->h.op),
        REP_FIELD_STRN("file", ev->text, ev->h.text_len),
        REP_FIELD_STR("unit", "operation"),
    };
    event_write(r, "fs", "fs.delete", t, f, 6);
}

/* fs.error and net.error: AppScope sends them as metric-shaped events
 * (sourcetype "metric"), one per failed call. */
static void error_event_write(struct rep *r, const struct rep_event *ev, double t)
{
    static const char *const fs_class[] = {
        [REP_EV_FS_ERROR_OPEN_CLOSE - REP_EV_FS_ERROR_OPEN_CLOSE] = "open_close",
        [REP_EV_FS_ERROR_READ_WRITE - REP_EV_FS_ERROR_OPEN_CLOSE] = "read_write",
        [REP_EV_FS_ERROR_STAT - REP_EV_FS_ERROR_OPEN_CLOSE] = "stat",
    };
    int net = ev->h.kind == REP_EV_NET_ERROR;
    const char *name = net ? "net.error" : "fs.error";
    struct rep_field f[9];
    size_t n = 0;

    f[n++] = (struct rep_field)REP_FIELD_STR("_metric", name);
    f[n++] = (struct rep_field)REP_FIELD_STR("_metric_type", "counter");
    f[n++] = (struct rep_field)REP_FIELD_INT("_value", 1);
    f[n++] = (struct rep_field)REP_FIELD_STR("proc", r->ident.proc);
    f[n++] = (struct rep_field)REP_FIELD_INT("pid", r->ident.pid);
    f[n++] = (struct rep_field)REP_FIELD_STR("op", ev->h.op);
    if (ev->h.text_len)
        f[n++] = (struct rep_field)REP_FIELD_STRN("file", ev->text, ev->h.text_len);
    f[n++] = (struct rep_field)REP_FIELD_STR("class", net ? "connection"
                                             : fs_class[ev->h.kind - REP_EV_FS_ERROR_OPEN_CLOSE]);
    f[n++] = (struct rep_field)REP_FIELD_STR("unit", "operation");
    event_write(r, "metric", name, t, f, n);
}

static void fs_event_write(struct rep *r, const struct rep_event *ev, double t)
{
    const struct rep_event_head *h = &ev->h;
    int is_close = h->kind == REP_EV_FS_CLOSE;
    struct rep_field f[] = {
        REP_FIELD_STR("proc", r->ident.proc),
        REP_FIELD_INT("pid", r->ident.pid),
        REP_FIELD_STR("host", r->ident.host),
        REP_FIELD_STRN("file", ev->text, h->text_len),
        REP_FIELD_INT("fd", h->fd),
        REP_FIELD_STR("op", h->op),
        REP_FIELD_INT("file_read_bytes", (long long)h->read_bytes),
        REP_FIELD_INT("file_read_ops", (long long)h->read_ops),
        REP_FIELD_INT("file_write_bytes", (long long)h->write_bytes),
        REP_FIELD_INT("file_write_ops", (long long)h->write_ops),
        REP_FIELD_INT("duration", (long long)(h->duration_ns / 1000)),
    };
    size_t n = is_close ? sizeof f / sizeof f[0] : 6;
    event_write(r, "fs", is_close ? "fs.close" : "fs.open", t, f, n);
}

static void net_event_write(struct rep *r, const struct rep_event *ev, double t)
{
    const struct rep_event_head *h = &ev->h;
    const struct rep_sock *s = &h->sock;
    const char *transport = rep_sock_transport(s);
    int is_close = h->kind == REP_EV_NET_CLOSE;
    struct rep_field f[10];
    size_t n = 0;

    if (!transport)
        return;                         /* AppScope names no other kind */
    f[n++] = (struct rep_field)REP_FIELD_STR("net_transport", transport);
    if (s->rip[0]) {
        f[n++] = (struct rep_field)REP_FIELD_STR("net_peer_ip", s->rip);
        f[n++] = (struct rep_field)REP_FIELD_INT("net_peer_port", s->rport);
    }
    if (s->lip[0]) {
        f[n++] = (struct rep_field)REP_FIELD_STR("net_host_ip", s->lip);
        f[n++] = (struct rep_field)REP_FIELD_INT("net_host_port", s->lport);
    }
    if (is_close) {
        f[n++] = (struct rep_field)REP_FIELD_INT("duration", (long long)(h->duration_ns / 1000000));
        f[n++] = (struct rep_field)REP_FIELD_INT("net_bytes_sent", (long long)h->write_bytes);
        f[n++] = (struct rep_field)REP_FIELD_INT("net_bytes_recv", (long long)h->read_bytes);
        f[n++] = (struct rep_field)REP_FIELD_STR("net_close_reason", "local");
    }
    event_write(r, "net", is_close ? "net.close" : "net.open", t, f, n);
}

/* dns.resp's addresses, as a JSON array, from the NUL-separated text. */
static void dns_event_write(struct rep *r, const struct rep_event *ev, double t)
{
    const struct rep_event_head *h = &ev->h;
    size_t name_len = strnlen(ev->text, h->text_len);
    char addrs[REP_EVENT_TEXT_MAX + 64];
    size_t n = 0;

    if (h->kind == REP_EV_DNS_REQ) {
        struct rep_field f[] = { REP_FIELD_STRN("domain", ev->text, name_len) };
        event_write(r, "dns", "dns.req", t, f, 1);
        return;
    }
    addrs[n++] = '[';
    for (size_t at = name_len + 1; at < h->text_len;) {
        size_t len = strnlen(ev->text + at, h->text_len - at);
        n += (size_t)snprintf(addrs + n, sizeof addrs - n, "%s\"%.*s\"",
                              n > 1 ? "," : "", (int)len, ev->text + at);
        at += len + 1;
    }
    addrs[n++] = ']';
    struct rep_field f[] = {
        REP_FIELD_INT("duration", (long long)(h->duration_ns / 1000000)),
        REP_FIELD_STRN("domain", ev->text, name_len),
        { .key = "addrs", .kind = REP_RAW, .s = addrs, .len = n },
    };
    event_write(r, "dns", "dns.resp", t, f, 3);
}

/* The name an event goes out under, and the filter that applies to it. */
static const char *event_name(const struct rep_event *ev)
{
    switch (ev->h.kind) {
    case REP_EV_FS_OPEN:            return "fs.open";
    case REP_EV_FS_CLOSE:           return "fs.close";
    case REP_EV_FS_DELETE:          return "fs.delete";
    case REP_EV_FS_ERROR_OPEN_CLOSE:
    case REP_EV_FS_ERROR_READ_WRITE:
    case REP_EV_FS_ERROR_STAT:      return "fs.error";
    case REP_EV_NET_OPEN:           return "net.open";
    case REP_EV_NET_CLOSE:          return "net.close";
    case REP_EV_NET_ERROR:          return "net.error";
    case REP_EV_DNS_REQ:            return "dns.req";
    case REP_EV_DNS_RESP:           return "dns.resp";
    default:                        return ev->h.fd == 2 ? "stderr" : "stdout";
    }
}

static regex_t *event_filter(struct rep *r, const char *name)
{
    if (!strncmp(name, "fs.", 3))
        return &r->re[RE_FS];
    if (!strncmp(name, "net.", 4))
        return &r->re[RE_NET];
    if (!strncmp(name, "dns.", 4))
        return &r->re[RE_DNS];
    return &r->re[RE_CONSOLE];
}

/* Console output that is not text is held back unless the operator allows
 * it: the event says "binary data ignored", as AppScope's does, and the
 * bytes are counted in a notice. */
static void console_event_write(struct rep *r, const struct rep_event *ev, const char *name,
                                double t)
{
    struct rep_field f[] = { REP_FIELD_STRN("message", ev->text, ev->h.text_len) };

    if (!r->cfg.ev_allow_binary && !rep_fmt_is_text(ev->text, ev->h.text_len)) {
        r->binary_console_bytes += ev->h.text_len;
        f[0] = (struct rep_field)REP_FIELD_STR("message", "binary data ignored");
    }
    event_write(r, "console", name, t, f, 1);
}

bool rep_file_is_log(struct rep *r, const char *path)
{
    return r->cfg.ev_file && r->regexes_compiled &&
           regexec(&r->re[RE_FILE], path, 0, NULL, 0) == 0;
}

void rep_file_event_put(struct rep *r, const char *path, const struct rep_event *ev)
{
    struct rep_field f[] = { REP_FIELD_STRN("message", ev->text, ev->h.text_len) };
    event_write(r, "file", path, ev->h.time_ns / 1e9, f, 1);
}

void rep_file_missed_add(struct rep *r, uint64_t bytes)
{
    r->log_missed_bytes += bytes;
}

void rep_event_put(struct rep *r, const struct rep_event *ev)
{
    double t = ev->h.time_ns / 1e9;
    const char *name = event_name(ev);

    if (!name_wanted(r, event_filter(r, name), name))
        return;
    switch (ev->h.kind) {
    case REP_EV_FS_OPEN:
    case REP_EV_FS_CLOSE:
        fs_event_write(r, ev, t);
        break;
    case REP_EV_FS_DELETE:
        fs_delete_write(r, ev, t);
        break;
    case REP_EV_FS_ERROR_OPEN_CLOSE:
    case REP_EV_FS_ERROR_READ_WRITE:
    case REP_EV_FS_ERROR_STAT:
    case REP_EV_NET_ERROR:
        error_event_write(r, ev, t);
        break;
    case REP_EV_NET_OPEN:
    case REP_EV_NET_CLOSE:
        net_event_write(r, ev, t);
        break;
    case REP_EV_DNS_REQ:
    case REP_EV_DNS_RESP:
        dns_event_write(r, ev, t);
        break;
    case REP_EV_CONSOLE:
        console_event_write(r, ev, name, t);
        break;
    }
}

/* A notice event with a printf-formatted message. */
static void notice_add(struct rep *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notice_add(struct rep *r, const char *fmt, ...)
{
    char line[REP_LINE_MAX], msg[4400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = rep_fmt_notice_json(line, sizeof line, &r->ident, now_unix(), msg);
    batch_add(&r->ebatch, &r->events, line, n);
}

/* Nothing is lost silently: a drop becomes a notice on the event stream. */
static void drops_report(struct rep *r)
{
    if (r->drops_to_report)
        notice_add(r, "scope dropped %llu events: a queue was full, or a thread had none",
                   (unsigned long long)r->drops_to_report);
    if (r->events_cut)
        notice_add(r, "Truncated events. Your rate exceeded %u events per second: %llu cut "
                   "(SCOPE_EVENT_MAXEPS)", r->cfg.maxeps, (unsigned long long)r->events_cut);
    if (r->binary_console_bytes)
        notice_add(r, "scope did not send %llu bytes of console output that is not text "
                   "(SCOPE_ALLOW_BINARY_CONSOLE=true sends them)",
                   (unsigned long long)r->binary_console_bytes);
    if (r->log_missed_bytes)
        notice_add(r, "scope did not send %llu bytes written to log files before it knew "
                   "them as log files", (unsigned long long)r->log_missed_bytes);
    if (r->lines_unformatted)
        notice_add(r, "scope dropped %llu lines longer than %d bytes",
                   (unsigned long long)r->lines_unformatted, REP_LINE_MAX);
    r->drops_to_report = r->events_cut = r->binary_console_bytes = 0;
    r->log_missed_bytes = r->lines_unformatted = 0;
}

/* Lines a destination lost (down, stalled, overflowing), said once it
 * takes lines again: a notice on the event stream and scope.dropped on the
 * metric stream. */
static void losses_tell(struct rep *r, struct rep_transport *t, const char *stream,
                        uint64_t *told)
{
    double now = now_unix();

    if (t->lost_lines == *told || !rep_transport_is_caught_up(t))
        return;
    uint64_t lines = t->lost_lines - *told;
    *told = t->lost_lines;
    notice_add(r, "scope dropped %llu %s lines: %s did not take them (it was down, "
               "refused them, or stopped reading until the %d KiB kept for it "
               "overflowed)", (unsigned long long)lines, stream, t->url,
               REP_TRANSPORT_KEEP_MAX / 1024);
    struct rep_field tags[] = { REP_FIELD_STR("stream", stream),
                                REP_FIELD_STR("reason", "destination") };
    struct rep_metric m = { .name = "scope.dropped", .type = REP_COUNTER,
                            .value = (double)lines, .unit = "line",
                            .tags = tags, .ntags = 2 };
    metric_write(r, &m, now);
}

static void losses_tell_all(struct rep *r)
{
    losses_tell(r, &r->metrics, "metric", &r->metric_lines_told);
    losses_tell(r, &r->events, "event", &r->event_lines_told);
    batch_write_out(&r->mbatch, &r->metrics);
    batch_write_out(&r->ebatch, &r->events);
}

/* ---- the thread --------------------------------------------------------- */

static void period_emit(struct rep *r)
{
    struct metric_emit me = { r, now_unix() };

    r->src.collect(r->src.ctx, r);
    rep_agg_drain(&r->agg, entry_emit, &me);
    process_metrics_emit(r, me.time);
    batch_write_out(&r->mbatch, &r->metrics);
}

static int period_due(struct rep *r)
{
    if (rep_monotonic_ns() < rep_ts_ns(r->next_period))
        return 0;
    r->next_period = rep_monotonic_after_ms(r->cfg.period_s * 1000);
    return 1;
}

/* The event stream opens with who we are (AppScope's start message),
 * once per process, on this thread: it reads the user database. */
static void start_msg_add(struct rep *r)
{
    char line[REP_LINE_MAX];
    size_t n = rep_start_msg_json(line, sizeof line, &r->ident, &r->cfg, &r->metrics,
                                  &r->events);

    if (n == 0)
        r->lines_unformatted++;
    batch_add(&r->ebatch, &r->events, line, n);
    r->start_msg_sent = 1;
}

static void cycle_run(struct rep *r, int force_period)
{
    if (!r->start_msg_sent)
        start_msg_add(r);
    if (__atomic_exchange_n(&r->crash_pending, 0, __ATOMIC_ACQUIRE))
        batch_add(&r->ebatch, &r->events, r->crash_line, r->crash_len);
    r->src.drain(r->src.ctx, r);
    if (force_period || period_due(r))
        period_emit(r);
    drops_report(r);
    batch_write_out(&r->ebatch, &r->events);
    losses_tell_all(r);
}

/* The end: wait (bounded) for the destinations to take what was kept, then
 * tell what they lost, which they take at once if they took the rest. */
static void finish_all(struct rep *r)
{
    rep_transport_finish(&r->metrics, REP_FINISH_MS);
    rep_transport_finish(&r->events, REP_FINISH_MS);
    losses_tell_all(r);
    rep_transport_finish(&r->metrics, REP_FINISH_MS / 10);
    rep_transport_finish(&r->events, REP_FINISH_MS / 10);
}

/* No seccomp filter on this process ("Seccomp: 0"): a sandbox may kill
 * the process for a system call it does not expect, such as unshare. */
static bool seccomp_free(void)
{
    return rep_proc_status_field("Seccomp") == 0;
}

/* Another thread sharing the program's fd table makes each of the
 * program's reads and writes slower: the kernel then takes a reference on
 * the file and its position lock in every call, which it skips for a table
 * nobody shares (~30 ns a call, a third of a write to /dev/null). So the
 * reporter thread works in a copy of the table, where it closes all but
 * its destinations: the copy must not keep the program's files open (a
 * socket the program closes must close, a pipe must see its end). Where
 * a seccomp filter is on, or unshare is refused, the table stays shared:
 * slower, not wrong. */
static void fd_table_own(struct rep *r)
{
    /* Probe close_range first: a copy we could not empty would be worse
     * than sharing. */
    if (!seccomp_free() || close_range(~0U, ~0U, 0) != 0 || unshare(CLONE_FILES) != 0) {
        __atomic_store_n(&r->table_state, REP_TABLE_SHARED, __ATOMIC_RELEASE);
        return;
    }
    int ours[2] = { r->metrics.fd, r->events.fd };
    rep_close_range_sparing(0, ~0U, 0, ours, 2, close_range);
    rep_log_own_table();
    rep_transport_own_table(&r->metrics, 1);
    rep_transport_own_table(&r->events, 1);
    __atomic_store_n(&r->table_state, REP_TABLE_OWN, __ATOMIC_RELEASE);
}

/* On the thread that started the reporter, in the program's table: once
 * the reporter has its own copy of the destinations opened at attach, the
 * program's copies go, so that none of the program's numbers stays ours
 * (its close() would be refused) after it closed one behind our back. */
static void fd_table_split_wait(struct rep *r)
{
    struct timespec tick = { 0, 100000 };

    for (int i = 0; i < 2000 && !__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE); i++)
        nanosleep(&tick, NULL);
    if (__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE) != REP_TABLE_OWN)
        return;
    rep_transport_program_copy_close(&r->metrics);
    rep_transport_program_copy_close(&r->events);
}

static void *reporter_main(void *arg)
{
    struct rep *r = arg;

    r->thread_tid = gettid();       /* before rep_start returns (fd_table_own) */
    fd_table_own(r);
    r->src.thread_enter(r->src.ctx);
    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct timespec tick = rep_monotonic_after_ms(REP_DRAIN_MS);
        while (!r->stop_requested && r->flush_requested == r->flush_completed &&
               pthread_cond_timedwait(&r->wake, &r->lock, &tick) != ETIMEDOUT)
            ;
        uint64_t flush_target = r->flush_requested;
        uint64_t signal_target = __atomic_load_n(&r->signal_flush_requested, __ATOMIC_ACQUIRE);
        int stopping = r->stop_requested;
        pthread_mutex_unlock(&r->lock);

        cycle_run(r, stopping || flush_target != r->flush_completed ||
                     signal_target != r->signal_flush_completed);
        if (stopping) {
            finish_all(r);
            /* Before anyone sees `stopped` and runs a cycle inline. */
            rep_transport_own_table(&r->metrics, 0);
            rep_transport_own_table(&r->events, 0);
        }
        __atomic_store_n(&r->signal_flush_completed, signal_target, __ATOMIC_RELEASE);

        pthread_mutex_lock(&r->lock);
        r->flush_completed = flush_target;
        if (stopping)
            r->stopped = 1;
        pthread_cond_broadcast(&r->done);
        if (stopping)
            break;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* rep_config_read checked each regex; should one still not compile (out
 * of memory), no event is filtered rather than all. */
static void regexes_compile(struct rep *r)
{
    const char *src[RE_N] = {
        [RE_FS] = r->cfg.ev_fs_name, [RE_NET] = r->cfg.ev_net_name,
        [RE_DNS] = r->cfg.ev_dns_name, [RE_CONSOLE] = r->cfg.ev_console_name,
        [RE_FILE] = r->cfg.ev_file_name,
    };
    size_t i;

    for (i = 0; i < RE_N; i++)
        if (regcomp(&r->re[i], src[i], REG_EXTENDED | REG_NOSUB) != 0)
            break;
    r->regexes_compiled = i == RE_N;
    if (i < RE_N)
        while (i > 0)
            regfree(&r->re[--i]);
}

static void regexes_free(struct rep *r)
{
    if (!r->regexes_compiled)
        return;
    for (size_t i = 0; i < RE_N; i++)
        regfree(&r->re[i]);
}

static int reporter_init(struct rep *r, const struct rep_config *cfg,
                         const struct rep_ident *ident,
                         const struct rep_source *src, char *err, size_t errlen)
{
    pthread_condattr_t ca;

    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->ident = *ident;
    r->src = *src;
    if (rep_transport_open(&r->metrics, cfg->metric_enable ? cfg->metric_dest : "",
                           err, errlen) < 0)
        return -1;
    rep_transport_set_maxlen(&r->metrics, cfg->statsd_maxlen);
    if (rep_transport_open(&r->events, cfg->event_enable ? cfg->event_dest : "",
                           err, errlen) < 0) {
        rep_transport_close(&r->metrics);
        return -1;
    }
    regexes_compile(r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    r->next_period = rep_monotonic_after_ms(cfg->period_s * 1000);
    /* proc.cpu counts from now: under attach, not the process's past. */
    rep_proc_cpu_us(&r->cpu_us_before);
    r->period_start_ns = rep_monotonic_ns();
    return 0;
}

struct rep *rep_create(const struct rep_config *cfg, const struct rep_ident *ident,
                       const struct rep_source *src, char *err, size_t errlen)
{
    struct rep *r = malloc(sizeof *r);

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (reporter_init(r, cfg, ident, src, err, errlen) < 0) {
        free(r);
        return NULL;
    }
    return r;
}

int rep_start(struct rep *r)
{
    sigset_t all, old;
    int rc;

    /* The program's signals are the program's: none may land on our thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, reporter_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        r->thread_started = 1;
        /* The name tells `scope attach` (and operators in top -H) which
         * thread is ours: never the one to hijack for a detach. */
        pthread_setname_np(r->thread, REP_THREAD_NAME);
        fd_table_split_wait(r);
    }
    return -rc;
}

/* Bounded even if the lock is held forever: a signal handler may call
 * _exit on a thread that was inside rep_flush. */
static int lock_within(struct rep *r, unsigned timeout_ms)
{
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline = rep_ts_after_ms(deadline, timeout_ms);
    return pthread_mutex_timedlock(&r->lock, &deadline) == 0 ? 0 : -1;
}

static int wait_done(struct rep *r, uint64_t target, unsigned timeout_ms)
{
    struct timespec deadline = rep_monotonic_after_ms(timeout_ms);
    int rc = 0;

    while (r->flush_completed < target && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->done, &r->lock, &deadline);
    return r->flush_completed >= target ? 0 : -1;
}

/* A cycle on the calling thread, when there is no reporter thread (any
 * more): one caller at a time; another one meanwhile skips (the data is
 * being written anyway). */
static void cycle_run_inline(struct rep *r)
{
    if (__atomic_exchange_n(&r->inline_cycle, 1, __ATOMIC_ACQUIRE))
        return;
    /* on a program thread: lines go out or are kept, but nothing waits
     * for a name lookup or a connect */
    r->metrics.connect_ok = r->events.connect_ok = 0;
    cycle_run(r, 1);
    r->metrics.connect_ok = r->events.connect_ok = 1;
    __atomic_store_n(&r->inline_cycle, 0, __ATOMIC_RELEASE);
}

int rep_flush(struct rep *r, unsigned timeout_ms)
{
    int rc;

    if (!r->thread_started || r->stopped) {
        cycle_run_inline(r);
        return 0;
    }
    if (lock_within(r, timeout_ms) < 0)
        return -1;
    uint64_t target = ++r->flush_requested;
    pthread_cond_signal(&r->wake);
    rc = wait_done(r, target, timeout_ms);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* pthread_join returns a moment before the kernel takes the thread out of
 * the process. Wait (bounded) for that too: a caller that needs the process
 * single-threaded again (unshare(CLONE_NEWUSER), detach giving glibc its
 * single-threaded mode back) must not still see it. */
static void thread_gone_wait(pid_t tid)
{
    struct timespec ms = { 0, 1000000 };
    char task[64];

    snprintf(task, sizeof task, "/proc/self/task/%d", (int)tid);
    for (int waited = 0; waited < REP_THREAD_GONE_MS && access(task, F_OK) == 0; waited++)
        nanosleep(&ms, NULL);
}

static int rep_stop_thread(struct rep *r, unsigned timeout_ms)
{
    int rc;

    if (!r->thread_started) {
        if (!r->stopped)
            cycle_run_inline(r);
        r->stopped = 1;
        return 0;
    }
    if (lock_within(r, timeout_ms) < 0)
        return -1;
    if (r->stopped) {
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    r->stop_requested = 1;
    uint64_t target = ++r->flush_requested;
    pthread_cond_signal(&r->wake);
    rc = wait_done(r, target, timeout_ms);
    int joinable = r->stopped;
    pthread_mutex_unlock(&r->lock);
    if (joinable) {
        pthread_join(r->thread, NULL);
        thread_gone_wait(r->thread_tid);
        r->thread_started = 0;
    }
    return rc;
}

/* Lines a destination never took are said once at the end, in the log:
 * the destination itself is gone, and the program's stderr is the
 * program's. */
static void losses_report(struct rep_transport *t, const char *what, uint64_t *told)
{
    if (t->lost_lines == *told)
        return;
    rep_log(REP_LOG_WARNING, "%llu %s lines could not be written to %s",
            (unsigned long long)(t->lost_lines - *told), what, t->url);
    *told = t->lost_lines;
}

int rep_stop(struct rep *r, unsigned timeout_ms)
{
    int rc = rep_stop_thread(r, timeout_ms);

    if (!r->thread_started) {       /* else it still writes: no race on counts */
        losses_report(&r->metrics, "metric", &r->metric_lines_told);
        losses_report(&r->events, "event", &r->event_lines_told);
    }
    return rc;
}

int rep_flush_from_signal(struct rep *r, unsigned timeout_ms)
{
    struct timespec ms = { 0, 1000000 };

    if (!r->thread_started || r->stopped)
        return -1;
    uint64_t target = __atomic_add_fetch(&r->signal_flush_requested, 1, __ATOMIC_ACQ_REL);
    for (unsigned waited = 0; waited < timeout_ms; waited++) {
        if (__atomic_load_n(&r->signal_flush_completed, __ATOMIC_ACQUIRE) >= target)
            return 0;
        nanosleep(&ms, NULL);
    }
    return -1;
}

void rep_crash_event_write(struct rep *r, const struct rep_crash *c, double time)
{
    static char line[64 * 1024];    /* static: the handler runs on a small stack */
    size_t n = rep_fmt_crash_json(line, sizeof line, &r->ident, time, c);

    if (r->thread_started && !r->stopped) {
        r->crash_line = line;
        r->crash_len = n;
        __atomic_store_n(&r->crash_pending, 1, __ATOMIC_RELEASE);
        return;
    }
    if (__atomic_exchange_n(&r->inline_cycle, 1, __ATOMIC_ACQUIRE))
        return;                     /* a flush is writing: not ours to touch */
    if (r->events.kind == REP_TRANSPORT_FILE && r->events.pending_len == 0)
        rep_transport_write(&r->events, line, n);
    __atomic_store_n(&r->inline_cycle, 0, __ATOMIC_RELEASE);
}

void rep_destroy(struct rep *r)
{
    if (!r || r->thread_started)
        return;
    rep_transport_close(&r->metrics);
    rep_transport_close(&r->events);
    rep_agg_free(&r->agg);
    regexes_free(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->done);
    free(r);
}

int rep_restart(struct rep *r)
{
    if (r->thread_started)
        return 0;
    r->stop_requested = 0;
    r->stopped = 0;
    return rep_start(r);
}

struct rep *rep_recreate_in_child(struct rep *old, const struct rep_ident *ident)
{
    char err[256];
    struct rep *r = rep_create(&old->cfg, ident, &old->src, err, sizeof err);

    /* The parent's descriptors are ours to close in the child; its memory
     * (queued lines, the locked mutex) is abandoned on purpose. */
    rep_transport_abandon(&old->metrics);
    rep_transport_abandon(&old->events);
    if (r && rep_start(r) != 0)
        r->thread_started = 0;
    return r;
}
