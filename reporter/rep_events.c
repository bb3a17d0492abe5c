/* rep_events.c: events in from the queues, filtered by the operator's
 * kinds and names, event lines out. */
#include "rep_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The process's name and host as data fields, escaped once. */
#define REP_FIELD_PROC(r) REP_FIELD_RAW("proc", (r)->ident_json.proc, (r)->ident_json.proc_len)
#define REP_FIELD_HOST(r) REP_FIELD_RAW("host", (r)->ident_json.host, (r)->ident_json.host_len)

bool rep_events_wanted(const struct rep *r)
{
    return rep_transport_is_on(&r->events);
}

void rep_event_line_add(struct rep *r, const char *sourcetype, const char *source,
                        double time, const struct rep_field *data, size_t n)
{
    char line[REP_LINE_MAX];
    size_t len = rep_fmt_event_json(line, sizeof line, &r->ident_json, sourcetype,
                                    source, time, data, n);
    if (len == 0)
        r->lines_unformatted++;
    rep_batch_add(&r->ebatch, &r->events, line, len);
}

/* The operator's name filters (SCOPE_EVENT_*_NAME): an event is sent
 * only when its name (source) matches its kind's regex, as in AppScope. */
static bool name_wanted(struct rep *r, regex_t *re, const char *name)
{
    return !r->regexes_compiled || regexec(re, name, 0, NULL, 0) == 0;
}

/* The same for an event of a kind, named `name` (its row's, or stdout
 * and stderr for console output: err): a kind's names are fixed, so
 * each is asked of its regex once, not once per event. */
static bool kind_name_wanted(struct rep *r, enum rep_event_kind kind, bool err, regex_t *re,
                             const char *name)
{
    signed char *v = &r->name_verdicts[kind][err];

    if (!*v)
        *v = name_wanted(r, re, name) ? 1 : -1;
    return *v > 0;
}

/* An event's path as its file field: whole, from the event or as its
 * source found it (whole); else cut, ending in REP_PATH_CUT_MARK, and
 * counted for a notice. */
#define REP_PATH_CUT_MARK "...[cut]"

struct path_field {
    char buf[REP_EVENT_TEXT_MAX + sizeof REP_PATH_CUT_MARK];
};

static struct rep_field file_field(struct rep *r, const struct rep_event *ev, const char *whole,
                                   struct path_field *p)
{
    if (!ev->h.text_cut)
        return (struct rep_field)REP_FIELD_STRN("file", ev->text, ev->h.text_len);
    if (whole)
        return (struct rep_field)REP_FIELD_STR("file", whole);
    r->paths_cut++;
    memcpy(p->buf, ev->text, ev->h.text_len);
    memcpy(p->buf + ev->h.text_len, REP_PATH_CUT_MARK, sizeof REP_PATH_CUT_MARK - 1);
    return (struct rep_field)REP_FIELD_STRN("file", p->buf,
                                            ev->h.text_len + sizeof REP_PATH_CUT_MARK - 1);
}

/* A row of rep_events.def. */
struct event_row;
typedef void event_writer(struct rep *r, const struct rep_event *ev, const char *whole_path,
                          const struct event_row *row, const char *name, double t);
struct event_row {
    const char *name, *sourcetype, *class;
    enum rep_watch watch;
    event_writer *write;
};

static void fs_delete_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                            const struct event_row *row, const char *name, double t)
{
    struct path_field path;
    struct rep_field f[] = {
        REP_FIELD_PROC(r),
        REP_FIELD_INT("pid", r->ident.pid),
        REP_FIELD_HOST(r),
        REP_FIELD_STR("op", ev->h.op),
        file_field(r, ev, whole_path, &path),
        REP_FIELD_STR("unit", "operation"),
    };
    rep_event_line_add(r, row->sourcetype, name, t, f, 6);
}

/* fs.error and net.error: AppScope sends them as metric-shaped events
 * (sourcetype "metric"), one per failed call. */
static void error_event_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                              const struct event_row *row, const char *name, double t)
{
    struct path_field path;
    struct rep_field f[9];
    size_t n = 0;

    f[n++] = (struct rep_field)REP_FIELD_STR("_metric", name);
    f[n++] = (struct rep_field)REP_FIELD_STR("_metric_type", "counter");
    f[n++] = (struct rep_field)REP_FIELD_INT("_value", 1);
    f[n++] = (struct rep_field)REP_FIELD_PROC(r);
    f[n++] = (struct rep_field)REP_FIELD_INT("pid", r->ident.pid);
    f[n++] = (struct rep_field)REP_FIELD_STR("op", ev->h.op);
    if (ev->h.text_len)
        f[n++] = file_field(r, ev, whole_path, &path);
    f[n++] = (struct rep_field)REP_FIELD_STR("class", row->class);
    f[n++] = (struct rep_field)REP_FIELD_STR("unit", "operation");
    rep_event_line_add(r, row->sourcetype, name, t, f, n);
}

static void fs_event_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                           const struct event_row *row, const char *name, double t)
{
    const struct rep_event_head *h = &ev->h;
    int is_close = h->kind == REP_EV_FS_CLOSE;
    struct path_field path;
    struct rep_field f[] = {
        REP_FIELD_PROC(r),
        REP_FIELD_INT("pid", r->ident.pid),
        REP_FIELD_HOST(r),
        file_field(r, ev, whole_path, &path),
        REP_FIELD_INT("fd", h->fd),
        REP_FIELD_STR("op", h->op),
        REP_FIELD_INT("file_read_bytes", (long long)h->read_bytes),
        REP_FIELD_INT("file_read_ops", (long long)h->read_ops),
        REP_FIELD_INT("file_write_bytes", (long long)h->write_bytes),
        REP_FIELD_INT("file_write_ops", (long long)h->write_ops),
        REP_FIELD_INT("duration", (long long)(h->duration_ns / 1000)),
    };
    size_t n = is_close ? sizeof f / sizeof f[0] : 6;
    rep_event_line_add(r, row->sourcetype, name, t, f, n);
}

/* What a socket's datagrams moved under their peers (not on the socket:
 * rep_net_datagram), by fd, for its net.close; kept while events are
 * sent. lport: the socket they were counted for. */
struct noted_bytes {
    uint16_t lport;
    uint64_t sent, recv;
};
#define NOTED_FD_MAX 65536
static struct noted_bytes *noted;      /* reporter only */
static size_t noted_cap;

static struct noted_bytes *noted_of(int fd)
{
    if (fd < 0 || fd >= NOTED_FD_MAX)
        return NULL;
    if ((size_t)fd >= noted_cap) {
        size_t cap = noted_cap ? noted_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct noted_bytes *grown = realloc(noted, cap * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + noted_cap, 0, (cap - noted_cap) * sizeof *grown);
        noted = grown;
        noted_cap = cap;
    }
    return &noted[fd];
}

/* The socket on fd closed: what its datagrams moved under their peers. */
static struct noted_bytes noted_take(int fd, uint16_t lport)
{
    struct noted_bytes none = { 0 }, *n = fd >= 0 && (size_t)fd < noted_cap ? &noted[fd] : NULL;

    if (!n)
        return none;
    struct noted_bytes was = *n;
    *n = none;
    return was.lport == lport ? was : none;
}

static void net_event_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                            const struct event_row *row, const char *name, double t)
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
        struct noted_bytes dgrams = noted_take(h->fd, s->lport);
        f[n++] = (struct rep_field)REP_FIELD_INT("net_bytes_sent",
                                                 (long long)(h->write_bytes + dgrams.sent));
        f[n++] = (struct rep_field)REP_FIELD_INT("net_bytes_recv",
                                                 (long long)(h->read_bytes + dgrams.recv));
        f[n++] = (struct rep_field)REP_FIELD_STR("net_close_reason", "local");
    }
    rep_event_line_add(r, row->sourcetype, name, t, f, n);
}

/* A noted datagram's peer: the socket as the event has it, with the
 * remote address of the sockaddr in its text. */
static struct rep_sock datagram_peer(const struct rep_event *ev)
{
    struct sockaddr_storage ss;
    struct rep_sock peer = ev->h.sock;
    size_t len = ev->h.text_len < sizeof ss ? ev->h.text_len : sizeof ss;

    memset(&ss, 0, sizeof ss);
    memcpy(&ss, ev->text, len);
    rep_sock_address_text(&ss, peer.rip, sizeof peer.rip, &peer.rport);
    return peer;
}

/* Its bytes, counted under its peer whatever events are sent (the
 * wrapper counted them nowhere else). */
static void datagram_count(struct rep *r, const struct rep_event *ev)
{
    struct rep_sock peer = datagram_peer(ev);
    struct rep_io_counts c = { 0 };

    if (ev->h.kind == REP_EV_NET_TX) {
        c.write_ops = 1;
        c.write_bytes = ev->h.write_bytes;
    } else {
        c.read_ops = 1;
        c.read_bytes = ev->h.read_bytes;
    }
    rep_net_datagram(r, &ev->h.sock, &peer, &c);
    struct noted_bytes *n = rep_events_wanted(r) ? noted_of(ev->h.fd) : NULL;
    if (n) {
        if (n->lport != ev->h.sock.lport)
            *n = (struct noted_bytes){ .lport = ev->h.sock.lport };
        n->sent += c.write_bytes;
        n->recv += c.read_bytes;
    }
}

/* As AppScope sends each net.tx and net.rx when its metric events are on
 * (sourcetype "metric"). */
static void datagram_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                           const struct event_row *row, const char *name, double t)
{
    const struct rep_sock peer = datagram_peer(ev);
    bool tx = ev->h.kind == REP_EV_NET_TX;
    struct rep_field f[16];
    size_t n = 0;

    f[n++] = (struct rep_field)REP_FIELD_STR("_metric", name);
    f[n++] = (struct rep_field)REP_FIELD_STR("_metric_type", "counter");
    f[n++] = (struct rep_field)REP_FIELD_INT("_value",
                                             (long long)(tx ? ev->h.write_bytes : ev->h.read_bytes));
    f[n++] = (struct rep_field)REP_FIELD_PROC(r);
    f[n++] = (struct rep_field)REP_FIELD_INT("pid", r->ident.pid);
    f[n++] = (struct rep_field)REP_FIELD_INT("fd", ev->h.fd);
    f[n++] = (struct rep_field)REP_FIELD_STR("domain", "AF_INET");
    f[n++] = (struct rep_field)REP_FIELD_STR("proto", rep_sock_proto(&peer));
    if (peer.lip[0]) {
        f[n++] = (struct rep_field)REP_FIELD_STR("localip", peer.lip);
        f[n++] = (struct rep_field)REP_FIELD_INT("localp", peer.lport);
    }
    f[n++] = (struct rep_field)REP_FIELD_STR("remoteip", peer.rip);
    f[n++] = (struct rep_field)REP_FIELD_INT("remotep", peer.rport);
    f[n++] = (struct rep_field)REP_FIELD_STR("data", "clear");
    f[n++] = (struct rep_field)REP_FIELD_INT("numops", 1);
    f[n++] = (struct rep_field)REP_FIELD_STR("unit", "byte");
    rep_event_line_add(r, row->sourcetype, name, t, f, n);
}

static void dns_req_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                          const struct event_row *row, const char *name, double t)
{
    struct rep_field f[] = {
        REP_FIELD_STRN("domain", ev->text, strnlen(ev->text, ev->h.text_len)),
    };
    rep_event_line_add(r, row->sourcetype, name, t, f, 1);
}

/* dns.resp's addresses, as a JSON array, from the NUL-separated text. */
static void dns_resp_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                           const struct event_row *row, const char *name, double t)
{
    const struct rep_event_head *h = &ev->h;
    size_t name_len = strnlen(ev->text, h->text_len);
    char addrs[REP_EVENT_TEXT_MAX + 64];
    size_t n = 0;

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
        REP_FIELD_RAW("addrs", addrs, n),
    };
    rep_event_line_add(r, row->sourcetype, name, t, f, 3);
}

/* Console output that is not text is held back unless the operator allows
 * it: the event says "binary data ignored", as AppScope's does, and the
 * bytes are counted in a notice. */
static void console_event_write(struct rep *r, const struct rep_event *ev, const char *whole_path,
                                const struct event_row *row, const char *name, double t)
{
    struct rep_field f[] = { REP_FIELD_STRN("message", ev->text, ev->h.text_len) };

    if (!r->cfg.ev_allow_binary && !rep_fmt_is_text(ev->text, ev->h.text_len)) {
        r->binary_console_bytes += ev->h.text_len;
        f[0] = (struct rep_field)REP_FIELD_STR("message", "binary data ignored");
    }
    rep_event_line_add(r, row->sourcetype, name, t, f, 1);
}

static const struct event_row event_rows[REP_EV_N] = {
#define REP_EVENT(id, name, watch, sourcetype, class, writer) \
    [REP_EV_##id] = { name, sourcetype, class, REP_WATCH_##watch, writer },
#include "rep_events.def"
#undef REP_EVENT
};

bool rep_file_is_log(struct rep *r, const char *path)
{
    return r->cfg.ev_file && r->regexes_compiled &&
           regexec(&r->re[REP_WATCH_FILE], path, 0, NULL, 0) == 0;
}

void rep_file_event_put(struct rep *r, const char *path, const struct rep_event *ev)
{
    struct rep_field f[] = { REP_FIELD_STRN("message", ev->text, ev->h.text_len) };
    rep_event_line_add(r, "file", path, ev->h.time_ns / 1e9, f, 1);
}

void rep_file_missed_add(struct rep *r, uint64_t bytes)
{
    r->log_missed_bytes += bytes;
}

bool rep_event_kind_wanted(struct rep *r, enum rep_event_kind kind)
{
    const struct event_row *row = &event_rows[kind];

    return rep_watch_enabled(&r->cfg, row->watch) &&
           kind_name_wanted(r, kind, false, &r->re[row->watch], row->name);
}

void rep_event_put(struct rep *r, const struct rep_event *ev, const char *whole_path)
{
    if (ev->h.kind >= REP_EV_N || !event_rows[ev->h.kind].write)
        return;
    const struct event_row *row = &event_rows[ev->h.kind];
    bool err = !row->name && ev->h.fd == 2;
    const char *name = row->name ? row->name : err ? "stderr" : "stdout";

    if (row->write == datagram_write) {
        datagram_count(r, ev);
        if (!rep_events_wanted(r) || !rep_watch_enabled(&r->cfg, row->watch))
            return;                     /* noted for the metrics only */
    }
    if (kind_name_wanted(r, ev->h.kind, err, &r->re[row->watch], name))
        row->write(r, ev, whole_path, row, name, ev->h.time_ns / 1e9);
}

/* rep_config_read checked each regex; should one still not compile (out
 * of memory), no event is filtered rather than all. */
void rep_event_filters_compile(struct rep *r)
{
    const char *src[REP_WATCH_N] = {
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
        [REP_WATCH_##id] = r->cfg.name,
#include "rep_watch.def"
#undef REP_WATCH
    };
    size_t i;

    for (i = 0; i < REP_WATCH_N; i++)
        if (regcomp(&r->re[i], src[i], REG_EXTENDED | REG_NOSUB) != 0)
            break;
    r->regexes_compiled = i == REP_WATCH_N;
    if (i < REP_WATCH_N)
        while (i > 0)
            regfree(&r->re[--i]);
}

void rep_event_filters_free(struct rep *r)
{
    if (!r->regexes_compiled)
        return;
    for (size_t i = 0; i < REP_WATCH_N; i++)
        regfree(&r->re[i]);
}
