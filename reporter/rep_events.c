/* rep_events.c: events in from the queues, filtered by the operator's
 * kinds and names, event lines out. */
#include "rep_internal.h"

#include <stdio.h>
#include <string.h>

bool rep_events_wanted(const struct rep *r)
{
    return rep_transport_is_on(&r->events);
}

void rep_event_line_add(struct rep *r, const char *sourcetype, const char *source,
                        double time, const struct rep_field *data, size_t n)
{
    char line[REP_LINE_MAX];
    size_t len = rep_fmt_event_json(line, sizeof line, &r->ident, sourcetype,
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
    rep_event_line_add(r, "fs", "fs.delete", t, f, 6);
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
    rep_event_line_add(r, "metric", name, t, f, n);
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
    rep_event_line_add(r, "fs", is_close ? "fs.close" : "fs.open", t, f, n);
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
    rep_event_line_add(r, "net", is_close ? "net.close" : "net.open", t, f, n);
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
        rep_event_line_add(r, "dns", "dns.req", t, f, 1);
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
    rep_event_line_add(r, "dns", "dns.resp", t, f, 3);
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
    rep_event_line_add(r, "console", name, t, f, 1);
}

bool rep_file_is_log(struct rep *r, const char *path)
{
    return r->cfg.ev_file && r->regexes_compiled &&
           regexec(&r->re[RE_FILE], path, 0, NULL, 0) == 0;
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

/* rep_config_read checked each regex; should one still not compile (out
 * of memory), no event is filtered rather than all. */
void rep_event_filters_compile(struct rep *r)
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

void rep_event_filters_free(struct rep *r)
{
    if (!r->regexes_compiled)
        return;
    for (size_t i = 0; i < RE_N; i++)
        regfree(&r->re[i]);
}
