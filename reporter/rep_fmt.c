/* rep_fmt.c: format one metric or one event as one line of StatsD or NDJSON.
 *
 * Everything is written through a bounded cursor (struct out) that only
 * records that it ran out of room; the line is committed at the end, whole,
 * or not at all. Numbers, JSON strings and StatsD text are printed by hand
 * so that nothing here allocates, locks or touches stdio/locale: the
 * reporter may format from any thread, even one interrupted inside malloc.
 */
#include "rep_fmt.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Below 2^53 every integer is a double; below 2^63 a double converts to
 * uint64_t without undefined behaviour. */
#define TWO_POW_53 9007199254740992.0
#define TWO_POW_63 9223372036854775808.0

struct out {
    char *buf;
    size_t cap;
    size_t len;
    bool full;      /* something did not fit: the line is lost */
};

static void put_mem(struct out *o, const void *s, size_t n)
{
    if (o->full || n == 0)
        return;
    if (n > o->cap - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_char(struct out *o, char c)
{
    put_mem(o, &c, 1);
}

static void put_str(struct out *o, const char *s)
{
    put_mem(o, s, strlen(s));
}

/* Ends the line: '\n' plus a NUL that is not counted. On overflow the
 * buffer holds an empty string so a careless caller sends nothing. */
static size_t put_line_end(struct out *o)
{
    put_char(o, '\n');
    if (!o->full && o->len < o->cap) {
        o->buf[o->len] = '\0';
        return o->len;
    }
    if (o->cap > 0)
        o->buf[0] = '\0';
    return 0;
}

static void put_u64(struct out *o, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_mem(o, tmp + i, sizeof tmp - i);
}

static void put_i64(struct out *o, long long v)
{
    if (v < 0) {
        put_char(o, '-');
        /* negate in unsigned arithmetic: -LLONG_MIN overflows */
        put_u64(o, -(uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

/* Splits 0 <= a < 2^63 into an integer part and millionths, rounded to
 * nearest. Subtracting the truncated part is exact in binary floating
 * point, so only the final scaling rounds. */
static void split_micro(double a, uint64_t *ip, uint32_t *micro)
{
    double frac;

    *ip = (uint64_t)a;
    frac = a - (double)*ip;
    *micro = (uint32_t)(frac * 1e6 + 0.5);
    if (*micro >= 1000000) {
        *micro -= 1000000;
        (*ip)++;
    }
}

/* ".dddddd"; with `trim` the trailing zeros go, and a zero fraction
 * prints nothing. */
static void put_micro(struct out *o, uint32_t micro, bool trim)
{
    char d[7];
    size_t n = 7;

    if (trim && micro == 0)
        return;
    d[0] = '.';
    for (size_t i = 6; i >= 1; i--) {
        d[i] = (char)('0' + micro % 10);
        micro /= 10;
    }
    while (trim && d[n - 1] == '0')
        n--;
    put_mem(o, d, n);
}

/* |v| >= 2^63 does not fit the fixed-point path: print d.dddddde+N. The
 * repeated division costs a few ulps, far below the 7 digits shown. */
static void put_scientific(struct out *o, double a)
{
    uint64_t ip;
    uint32_t micro;
    int exp10 = 0;

    while (a >= 10.0) {
        a /= 10.0;
        exp10++;
    }
    split_micro(a, &ip, &micro);
    if (ip >= 10) {     /* 9.9999997 rounded up to 10 */
        ip = 1;
        exp10++;
    }
    put_u64(o, ip);
    put_micro(o, micro, true);
    put_str(o, "e+");
    put_u64(o, (uint64_t)exp10);
}

/* A metric value or a double field: integers print as integers, other
 * values with at most 6 decimals, and NaN/inf (which neither JSON nor StatsD
 * can carry) as 0. */
static void put_num(struct out *o, double v)
{
    double a;
    uint64_t ip;
    uint32_t micro;

    if (!isfinite(v)) {
        put_char(o, '0');
        return;
    }
    if (v > -TWO_POW_53 && v < TWO_POW_53 && v == (double)(long long)v) {
        put_i64(o, (long long)v);
        return;
    }
    a = v < 0 ? -v : v;
    if (a >= TWO_POW_63) {
        if (v < 0)
            put_char(o, '-');
        put_scientific(o, a);
        return;
    }
    split_micro(a, &ip, &micro);
    if (v < 0 && (ip || micro))     /* no "-0" for tiny negatives */
        put_char(o, '-');
    put_u64(o, ip);
    put_micro(o, micro, true);
}

/* Unix time, always with 6 decimals as AppScope prints it. Times before
 * the epoch or absurdly late cannot be real: they print as 0. */
static void put_time(struct out *o, double t)
{
    uint64_t ip;
    uint32_t micro;

    if (!(t >= 0 && t < TWO_POW_63))
        t = 0;
    split_micro(t, &ip, &micro);
    put_u64(o, ip);
    put_micro(o, micro, false);
}

/* Length of the well-formed UTF-8 sequence (Unicode table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF) starting at a byte
 * >= 0x80, or 0 if there is none. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;     /* range of the second byte */
    size_t len;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        if (p[0] == 0xe0)
            lo = 0xa0;
        else if (p[0] == 0xed)
            hi = 0x9f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        else if (p[0] == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

static bool text_control(unsigned char c)
{
    return c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\b' ||
           c == '\v' || c == 033;
}

/* Text, as a person would read it on a terminal: printable ASCII, the
 * usual layout controls, ESC (colours), valid UTF-8. A multi-byte
 * character cut at either edge (console text comes in chunks) still
 * counts as text. */
bool rep_fmt_is_text(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;

    for (int i = 0; i < 3 && p < end && *p >= 0x80 && *p <= 0xbf; i++)
        p++;                        /* the tail of a character cut before */
    while (p < end) {
        size_t seq;
        if ((*p >= 0x20 && *p < 0x7f) || text_control(*p)) {
            p++;
        } else if ((seq = utf8_seq_len(p, (size_t)(end - p))) != 0) {
            p += seq;
        } else if (*p >= 0xc2 && *p <= 0xf4 && end - p < 4) {
            const unsigned char *q = p + 1;     /* cut after: continuations only */
            while (q < end && *q >= 0x80 && *q <= 0xbf)
                q++;
            return q == end;
        } else {
            return false;
        }
    }
    return true;
}

static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_json_escape(struct out *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

    switch (c) {
    case '"':  put_str(o, "\\\""); break;
    case '\\': put_str(o, "\\\\"); break;
    case '\n': put_str(o, "\\n"); break;
    case '\t': put_str(o, "\\t"); break;
    case '\r': put_str(o, "\\r"); break;
    case '\b': put_str(o, "\\b"); break;
    case '\f': put_str(o, "\\f"); break;
    default:   put_mem(o, u, sizeof u); break;
    }
}

/* A JSON string's contents: valid UTF-8 passes, each byte that is not part
 * of a valid sequence becomes U+FFFD, so arbitrary program output still
 * yields a line every JSON parser accepts. */
static void put_json_text(struct out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;

    while (p < end) {
        const unsigned char *run = p;
        size_t seq;

        while (p < end && json_plain(*p))
            p++;
        put_mem(o, run, (size_t)(p - run));
        if (p == end)
            break;
        if (*p < 0x80) {
            put_json_escape(o, *p++);
        } else if ((seq = utf8_seq_len(p, (size_t)(end - p))) != 0) {
            put_mem(o, p, seq);
            p += seq;
        } else {
            put_str(o, "\\ufffd");
            p++;
        }
    }
}

static void put_json_str(struct out *o, const char *s, size_t n)
{
    put_char(o, '"');
    put_json_text(o, s, n);
    put_char(o, '"');
}

static void put_json_cstr(struct out *o, const char *s)
{
    put_json_str(o, s, strlen(s));
}

/* ,"key": -- every member but an object's first is preceded by a comma */
static void put_json_key(struct out *o, const char *key, bool first)
{
    if (!first)
        put_char(o, ',');
    put_json_cstr(o, key);
    put_char(o, ':');
}

static void put_json_value(struct out *o, const struct rep_field *f)
{
    switch (f->kind) {
    case REP_STR: put_json_str(o, f->s, f->len); break;
    case REP_INT: put_i64(o, f->i); break;
    case REP_DBL: put_num(o, f->d); break;
    case REP_RAW: put_mem(o, f->s, f->len); break;
    }
}

static void put_json_fields(struct out *o, const struct rep_field *f,
                            size_t n, bool first)
{
    for (size_t i = 0; i < n; i++, first = false) {
        put_json_key(o, f[i].key, first);
        put_json_value(o, &f[i]);
    }
}

static void put_json_member(struct out *o, const char *key,
                            const char *s, size_t n)
{
    put_json_key(o, key, false);
    put_json_str(o, s, n);
}

static void put_json_pid(struct out *o, int pid)
{
    put_json_key(o, "pid", false);
    put_i64(o, pid);
}

/* ident members are fixed arrays: do not trust them to be terminated */
#define IDENT_LEN(member) strnlen((member), sizeof(member))

/* StatsD has no quoting: the bytes that delimit names, values and tags
 * (and line ends, and other control bytes) become '_'. */
static bool statsd_plain(unsigned char c)
{
    return c >= 0x20 && c != 0x7f && c != ',' && c != '|' && c != ':'
        && c != '#';
}

static void put_statsd_text(struct out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;

    while (p < end) {
        const unsigned char *run = p;

        while (p < end && statsd_plain(*p))
            p++;
        put_mem(o, run, (size_t)(p - run));
        if (p == end)
            break;
        put_char(o, '_');
        p++;
    }
}

/* "|#key:" for the first tag, ",key:" for the others */
static void put_statsd_key(struct out *o, const char *key, bool *first)
{
    put_str(o, *first ? "|#" : ",");
    *first = false;
    put_statsd_text(o, key, strlen(key));
    put_char(o, ':');
}

static void put_statsd_field(struct out *o, const struct rep_field *f,
                             bool *first)
{
    put_statsd_key(o, f->key, first);
    switch (f->kind) {
    case REP_STR:
    case REP_RAW: put_statsd_text(o, f->s, f->len); break;
    case REP_INT: put_i64(o, f->i); break;
    case REP_DBL: put_num(o, f->d); break;
    }
}

static void put_statsd_tag(struct out *o, const char *key,
                           const char *s, size_t n, bool *first)
{
    put_statsd_key(o, key, first);
    put_statsd_text(o, s, n);
}

static void put_statsd_ident(struct out *o, const struct rep_ident *id,
                             bool *first)
{
    put_statsd_tag(o, "proc", id->proc, IDENT_LEN(id->proc), first);
    put_statsd_key(o, "pid", first);
    put_i64(o, id->pid);
    put_statsd_tag(o, "host", id->host, IDENT_LEN(id->host), first);
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

size_t rep_fmt_statsd(char *buf, size_t cap, const char *prefix,
                      const struct rep_ident *ident,
                      const struct rep_metric *m)
{
    struct out o = { .buf = buf, .cap = cap };
    bool first = true;

    if (prefix)
        put_str(&o, prefix);
    put_str(&o, m->name);
    put_char(&o, ':');
    put_num(&o, m->value);
    put_char(&o, '|');
    put_str(&o, statsd_type(m->type));
    for (size_t i = 0; i < m->ntags; i++)
        put_statsd_field(&o, &m->tags[i], &first);
    if (ident)
        put_statsd_ident(&o, ident, &first);
    if (m->unit)
        put_statsd_tag(&o, "unit", m->unit, strlen(m->unit), &first);
    return put_line_end(&o);
}

/* Tag keys and values never hold ',', '|' or '#' (put_statsd_text), so a
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

/* Like StatsD, a metric without ident carries no proc/pid/host. */
size_t rep_fmt_metric_json(char *buf, size_t cap, const struct rep_ident *ident,
                           const struct rep_metric *m, double time)
{
    struct out o = { .buf = buf, .cap = cap };

    put_str(&o, "{\"type\":\"metric\",\"body\":{");
    put_json_key(&o, "_metric", true);
    put_json_cstr(&o, m->name);
    put_json_key(&o, "_metric_type", false);
    put_json_cstr(&o, json_type(m->type));
    put_json_key(&o, "_value", false);
    put_num(&o, m->value);
    put_json_fields(&o, m->tags, m->ntags, false);
    if (ident) {
        put_json_member(&o, "proc", ident->proc, IDENT_LEN(ident->proc));
        put_json_pid(&o, ident->pid);
        put_json_member(&o, "host", ident->host, IDENT_LEN(ident->host));
    }
    if (m->unit)
        put_json_member(&o, "unit", m->unit, strlen(m->unit));
    if (m->summary)
        put_str(&o, ",\"summary\":\"true\"");
    put_json_key(&o, "_time", false);
    put_time(&o, time);
    put_str(&o, "}}");
    return put_line_end(&o);
}

/* An event's envelope and body require the identity fields, so without
 * ident they are present but empty. */
/* Everything of an event line up to its "data" value. */
static void put_event_head(struct out *o, const struct rep_ident *ident,
                           const char *sourcetype, const char *source,
                           double time)
{
    static const struct rep_ident nobody;

    if (!ident)
        ident = &nobody;
    put_str(o, "{\"type\":\"evt\",\"id\":\"");
    put_json_text(o, ident->host, IDENT_LEN(ident->host));
    put_char(o, '-');
    put_json_text(o, ident->proc, IDENT_LEN(ident->proc));
    put_char(o, '-');
    put_json_text(o, ident->cmd, IDENT_LEN(ident->cmd));
    put_char(o, '"');
    put_json_member(o, "_channel", ident->channel,
                    IDENT_LEN(ident->channel));
    put_str(o, ",\"body\":{");
    put_json_key(o, "sourcetype", true);
    put_json_cstr(o, sourcetype);
    put_json_key(o, "_time", false);
    put_time(o, time);
    put_json_key(o, "source", false);
    put_json_cstr(o, source);
    put_json_member(o, "host", ident->host, IDENT_LEN(ident->host));
    put_json_member(o, "proc", ident->proc, IDENT_LEN(ident->proc));
    put_json_member(o, "cmd", ident->cmd, IDENT_LEN(ident->cmd));
    put_json_pid(o, ident->pid);
    put_json_key(o, "data", false);
}

size_t rep_fmt_event_json(char *buf, size_t cap, const struct rep_ident *ident,
                          const char *sourcetype, const char *source,
                          double time, const struct rep_field *data,
                          size_t ndata)
{
    struct out o = { .buf = buf, .cap = cap };

    put_event_head(&o, ident, sourcetype, source, time);
    put_char(&o, '{');
    put_json_fields(&o, data, ndata, true);
    put_str(&o, "}}}");
    return put_line_end(&o);
}

size_t rep_fmt_object_json(char *buf, size_t cap, const struct rep_field *f, size_t n,
                           bool line)
{
    struct out o = { .buf = buf, .cap = cap };

    put_char(&o, '{');
    put_json_fields(&o, f, n, true);
    put_char(&o, '}');
    if (line)
        return put_line_end(&o);
    put_char(&o, '\0');
    if (o.full) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return o.len - 1;
}

size_t rep_fmt_notice_json(char *buf, size_t cap, const struct rep_ident *ident,
                           double time, const char *message)
{
    struct out o = { .buf = buf, .cap = cap };

    put_event_head(&o, ident, "metric", "notice", time);
    put_json_cstr(&o, message);
    put_str(&o, "}}");
    return put_line_end(&o);
}

/* ---- crashes --------------------------------------------------------- */

static void put_hex(struct out *o, uintptr_t v, int min_digits)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v && n < 16);
    while (n < min_digits && n < 16)
        tmp[n++] = '0';
    put_str(o, "0x");
    while (n > 0)
        put_char(o, tmp[--n]);
}

static void put_json_hex_member(struct out *o, const char *key, uintptr_t v)
{
    put_json_key(o, key, false);
    put_char(o, '"');
    put_hex(o, v, 1);
    put_char(o, '"');
}

static void put_crash_frame_json(struct out *o, size_t n, const struct rep_crash_frame *f)
{
    put_str(o, n ? ",{" : "{");
    put_json_key(o, "frame", true);
    put_u64(o, n);
    put_json_hex_member(o, "addr", f->addr);
    put_json_key(o, "function", false);
    put_json_cstr(o, f->function);
    put_json_key(o, "offset", false);
    put_u64(o, f->offset);
    put_json_key(o, "object", false);
    put_json_cstr(o, f->object);
    put_char(o, '}');
}

size_t rep_fmt_crash_json(char *buf, size_t cap, const struct rep_ident *ident,
                          double time, const struct rep_crash *c)
{
    struct out o = { .buf = buf, .cap = cap };

    put_event_head(&o, ident, "crash", "backtrace", time);
    put_char(&o, '{');
    put_json_key(&o, "signal", true);
    put_json_cstr(&o, c->signame);
    put_json_key(&o, "signo", false);
    put_i64(&o, c->signo);
    put_json_key(&o, "si_code", false);
    put_i64(&o, c->code);
    put_json_hex_member(&o, "fault_addr", c->fault_addr);
    put_json_key(&o, "tid", false);
    put_i64(&o, c->tid);
    put_json_key(&o, "frames", false);
    put_char(&o, '[');
    for (size_t i = 0; i < c->nframes; i++)
        put_crash_frame_json(&o, i, &c->frames[i]);
    put_str(&o, "]}}}");
    return put_line_end(&o);
}

static void put_crash_frame_text(struct out *o, size_t n, const struct rep_crash_frame *f)
{
    put_char(o, '#');
    put_u64(o, n);
    put_str(o, n < 10 ? "  " : " ");
    put_hex(o, f->addr, 16);
    put_char(o, ' ');
    put_str(o, f->function[0] ? f->function : "??");
    put_char(o, '+');
    put_hex(o, f->offset, 1);
    if (f->object[0]) {
        put_str(o, " (");
        put_str(o, f->object);
        put_char(o, ')');
    }
    put_char(o, '\n');
}

size_t rep_fmt_crash_text(char *buf, size_t cap, const struct rep_ident *ident,
                          const struct rep_crash *c)
{
    struct out o = { .buf = buf, .cap = cap };

    put_str(&o, "scope: ");
    put_str(&o, ident->proc);
    put_str(&o, " (pid ");
    put_i64(&o, ident->pid);
    put_str(&o, ", thread ");
    put_i64(&o, c->tid);
    put_str(&o, ") received ");
    put_str(&o, c->signame);
    put_str(&o, " (si_code ");
    put_i64(&o, c->code);
    put_str(&o, ", fault address ");
    put_hex(&o, c->fault_addr, 1);
    put_str(&o, ")\n");
    for (size_t i = 0; i < c->nframes; i++)
        put_crash_frame_text(&o, i, &c->frames[i]);
    if (o.full || o.len >= o.cap)
        return 0;
    o.buf[o.len] = '\0';
    return o.len;
}
