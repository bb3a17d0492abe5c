/* rep_fmt_json.c: metrics, events and notices as NDJSON lines: the
 * members of an object, a metric's body, an event's envelope.
 */
#include "rep_fmt.h"
#include "rep_fmt_out.h"

#include <string.h>

/* ,"key": -- every member but an object's first is preceded by a comma */
void rep_put_json_key(struct rep_out *o, const char *key, bool first)
{
    if (!first)
        rep_put_char(o, ',');
    rep_put_json_cstr(o, key);
    rep_put_char(o, ':');
}

static void rep_put_json_value(struct rep_out *o, const struct rep_field *f)
{
    switch (f->kind) {
    case REP_STR: rep_put_json_str(o, f->s, f->len); break;
    case REP_INT: rep_put_i64(o, f->i); break;
    case REP_DBL: rep_put_num(o, f->d); break;
    case REP_RAW: rep_put_mem(o, f->s, f->len); break;
    }
}

static void rep_put_json_fields(struct rep_out *o, const struct rep_field *f,
                                size_t n, bool first)
{
    for (size_t i = 0; i < n; i++, first = false) {
        rep_put_json_key(o, f[i].key, first);
        rep_put_json_value(o, &f[i]);
    }
}

static void rep_put_json_member(struct rep_out *o, const char *key,
                                const char *s, size_t n)
{
    rep_put_json_key(o, key, false);
    rep_put_json_str(o, s, n);
}

static void rep_put_json_pid(struct rep_out *o, int pid)
{
    rep_put_json_key(o, "pid", false);
    rep_put_i64(o, pid);
}

/* In a container: the host's pid for it, and the container's id. */
static void rep_put_json_container(struct rep_out *o, const struct rep_ident *ident)
{
    if (ident->host_pid && ident->host_pid != ident->pid) {
        rep_put_json_key(o, "host_pid", false);
        rep_put_i64(o, ident->host_pid);
    }
    if (ident->container_id[0])
        rep_put_json_member(o, "container_id", ident->container_id,
                            REP_IDENT_LEN(ident->container_id));
}

static const char *json_type(enum rep_metric_type t)
{
    switch (t) {
    case REP_GAUGE:     return "gauge";
    case REP_HISTOGRAM: return "histogram";
    case REP_TIMER:     return "timer";
    case REP_COUNTER:   break;
    }
    return "counter";
}

/* Like StatsD, a metric without ident carries no proc/pid/host. */
size_t rep_fmt_metric_json(char *buf, size_t cap, const struct rep_ident *ident,
                           const struct rep_metric *m, double time)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_str(&o, "{\"type\":\"metric\",\"body\":{");
    rep_put_json_key(&o, "_metric", true);
    rep_put_json_cstr(&o, m->name);
    rep_put_json_key(&o, "_metric_type", false);
    rep_put_json_cstr(&o, json_type(m->type));
    rep_put_json_key(&o, "_value", false);
    rep_put_num(&o, m->value);
    rep_put_json_fields(&o, m->tags, m->ntags, false);
    if (ident) {
        rep_put_json_member(&o, "proc", ident->proc, REP_IDENT_LEN(ident->proc));
        rep_put_json_pid(&o, ident->pid);
        rep_put_json_container(&o, ident);
        rep_put_json_member(&o, "host", ident->host, REP_IDENT_LEN(ident->host));
    }
    if (m->unit)
        rep_put_json_member(&o, "unit", m->unit, strlen(m->unit));
    if (m->summary)
        rep_put_str(&o, ",\"summary\":\"true\"");
    rep_put_json_key(&o, "_time", false);
    rep_put_time(&o, time);
    rep_put_str(&o, "}}");
    return rep_put_line_end(&o);
}

/* An event's envelope and body require the identity fields, so without
 * ident they are present but empty. */
void rep_ident_json_make(struct rep_ident_json *j, const struct rep_ident *ident)
{
    static const struct rep_ident nobody;
    struct rep_out o = { .buf = j->head, .cap = sizeof j->head };

    if (!ident)
        ident = &nobody;
    rep_put_str(&o, "{\"type\":\"evt\",\"id\":\"");
    rep_put_json_text(&o, ident->host, REP_IDENT_LEN(ident->host));
    rep_put_char(&o, '-');
    rep_put_json_text(&o, ident->proc, REP_IDENT_LEN(ident->proc));
    rep_put_char(&o, '-');
    rep_put_json_text(&o, ident->cmd, REP_IDENT_LEN(ident->cmd));
    rep_put_char(&o, '"');
    rep_put_json_member(&o, "_channel", ident->channel, REP_IDENT_LEN(ident->channel));
    rep_put_str(&o, ",\"body\":{");
    rep_put_json_key(&o, "sourcetype", true);
    j->head_len = o.len;

    o = (struct rep_out){ .buf = j->tail, .cap = sizeof j->tail };
    rep_put_json_member(&o, "host", ident->host, REP_IDENT_LEN(ident->host));
    rep_put_json_member(&o, "proc", ident->proc, REP_IDENT_LEN(ident->proc));
    rep_put_json_member(&o, "cmd", ident->cmd, REP_IDENT_LEN(ident->cmd));
    rep_put_json_pid(&o, ident->pid);
    rep_put_json_container(&o, ident);
    rep_put_json_key(&o, "data", false);
    j->tail_len = o.len;

    o = (struct rep_out){ .buf = j->proc, .cap = sizeof j->proc };
    rep_put_json_str(&o, ident->proc, REP_IDENT_LEN(ident->proc));
    j->proc_len = o.len;
    o = (struct rep_out){ .buf = j->host, .cap = sizeof j->host };
    rep_put_json_str(&o, ident->host, REP_IDENT_LEN(ident->host));
    j->host_len = o.len;
}

/* Everything of an event line up to its "data" value. */
void rep_put_event_head(struct rep_out *o, const struct rep_ident_json *ident,
                        const char *sourcetype, const char *source, double time)
{
    rep_put_mem(o, ident->head, ident->head_len);
    rep_put_json_cstr(o, sourcetype);
    rep_put_json_key(o, "_time", false);
    rep_put_time(o, time);
    rep_put_json_key(o, "source", false);
    rep_put_json_cstr(o, source);
    rep_put_mem(o, ident->tail, ident->tail_len);
}

size_t rep_fmt_event_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                          const char *sourcetype, const char *source,
                          double time, const struct rep_field *data,
                          size_t ndata)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_event_head(&o, ident, sourcetype, source, time);
    rep_put_char(&o, '{');
    rep_put_json_fields(&o, data, ndata, true);
    rep_put_str(&o, "}}}");
    return rep_put_line_end(&o);
}

size_t rep_fmt_object_json(char *buf, size_t cap, const struct rep_field *f, size_t n,
                           bool line)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_char(&o, '{');
    rep_put_json_fields(&o, f, n, true);
    rep_put_char(&o, '}');
    if (line)
        return rep_put_line_end(&o);
    rep_put_char(&o, '\0');
    if (o.full) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return o.len - 1;
}

size_t rep_fmt_notice_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                           double time, const char *message)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_event_head(&o, ident, "metric", "notice", time);
    rep_put_json_cstr(&o, message);
    rep_put_str(&o, "}}");
    return rep_put_line_end(&o);
}
