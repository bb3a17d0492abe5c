/* rep_fmt_statsd.c: a metric as one StatsD line, and the trimming of a
 * line longer than the collector takes.
 */
#include "rep_fmt.h"
#include "rep_fmt_out.h"

#include <string.h>

/* StatsD has no quoting: the bytes that delimit names, values and tags
 * (and line ends, and other control bytes) become '_'. */
static bool statsd_plain(unsigned char c)
{
    return c >= 0x20 && c != 0x7f && c != ',' && c != '|' && c != ':'
        && c != '#';
}

static void rep_put_statsd_text(struct rep_out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;

    while (p < end) {
        const unsigned char *run = p;

        while (p < end && statsd_plain(*p))
            p++;
        rep_put_mem(o, run, (size_t)(p - run));
        if (p == end)
            break;
        rep_put_char(o, '_');
        p++;
    }
}

/* "|#key:" for the first tag, ",key:" for the others */
static void rep_put_statsd_key(struct rep_out *o, const char *key, bool *first)
{
    rep_put_str(o, *first ? "|#" : ",");
    *first = false;
    rep_put_statsd_text(o, key, strlen(key));
    rep_put_char(o, ':');
}

static void rep_put_statsd_field(struct rep_out *o, const struct rep_field *f,
                                 bool *first)
{
    rep_put_statsd_key(o, f->key, first);
    switch (f->kind) {
    case REP_STR:
    case REP_RAW: rep_put_statsd_text(o, f->s, f->len); break;
    case REP_INT: rep_put_i64(o, f->i); break;
    case REP_DBL: rep_put_num(o, f->d); break;
    }
}

static void rep_put_statsd_tag(struct rep_out *o, const char *key,
                               const char *s, size_t n, bool *first)
{
    rep_put_statsd_key(o, key, first);
    rep_put_statsd_text(o, s, n);
}

static void rep_put_statsd_ident(struct rep_out *o, const struct rep_ident *id,
                                 bool *first)
{
    rep_put_statsd_tag(o, "proc", id->proc, REP_IDENT_LEN(id->proc), first);
    rep_put_statsd_key(o, "pid", first);
    rep_put_i64(o, id->pid);
    if (id->host_pid && id->host_pid != id->pid) {
        rep_put_statsd_key(o, "host_pid", first);
        rep_put_i64(o, id->host_pid);
    }
    if (id->container_id[0])
        rep_put_statsd_tag(o, "container_id", id->container_id,
                           REP_IDENT_LEN(id->container_id), first);
    rep_put_statsd_tag(o, "host", id->host, REP_IDENT_LEN(id->host), first);
}

static const char *statsd_type(enum rep_metric_type t)
{
    switch (t) {
    case REP_GAUGE:     return "g";
    case REP_HISTOGRAM: return "h";
    case REP_TIMER:     return "ms";
    case REP_COUNTER:   break;
    }
    return "c";
}

size_t rep_fmt_statsd(char *buf, size_t cap, const char *prefix,
                      const struct rep_ident *ident,
                      const struct rep_metric *m)
{
    struct rep_out o = { .buf = buf, .cap = cap };
    bool first = true;

    if (prefix)
        rep_put_str(&o, prefix);
    rep_put_str(&o, m->name);
    rep_put_char(&o, ':');
    rep_put_num(&o, m->value);
    rep_put_char(&o, '|');
    rep_put_str(&o, statsd_type(m->type));
    if (m->sample_rate > 0 && m->sample_rate < 1) {
        rep_put_str(&o, "|@");
        rep_put_num(&o, m->sample_rate);
    }
    for (size_t i = 0; i < m->ntags; i++)
        rep_put_statsd_field(&o, &m->tags[i], &first);
    if (ident)
        rep_put_statsd_ident(&o, ident, &first);
    if (m->unit)
        rep_put_statsd_tag(&o, "unit", m->unit, strlen(m->unit), &first);
    return rep_put_line_end(&o);
}

/* Tag keys and values never hold ',', '|' or '#' (rep_put_statsd_text), so a
 * ',' after "|#" always starts a tag. */
size_t rep_fmt_statsd_trim(char *line, size_t len, size_t maxlen)
{
    char *tags = memmem(line, len, "|#", 2);
    size_t end = len - 1;           /* before the newline */

    if (!tags || len <= maxlen)
        return len;
    while (end + 1 > maxlen) {
        char *comma = memrchr(tags, ',', (size_t)(line + end - tags));
        end = comma ? (size_t)(comma - line) : (size_t)(tags - line);
        if (!comma)
            break;
    }
    line[end] = '\n';
    return end + 1;
}
