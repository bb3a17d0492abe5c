/* rep_fmt_crash.c: a crash as an NDJSON event and as the text of the
 * backtrace file. Both run in the crash handler: async-signal-safe.
 */
#include "rep_fmt.h"
#include "rep_fmt_out.h"

static void rep_put_json_hex_member(struct rep_out *o, const char *key, uintptr_t v)
{
    rep_put_json_key(o, key, false);
    rep_put_char(o, '"');
    rep_put_hex(o, v, 1);
    rep_put_char(o, '"');
}

static void rep_put_crash_frame_json(struct rep_out *o, size_t n, const struct rep_crash_frame *f)
{
    rep_put_str(o, n ? ",{" : "{");
    rep_put_json_key(o, "frame", true);
    rep_put_u64(o, n);
    rep_put_json_hex_member(o, "addr", f->addr);
    rep_put_json_key(o, "function", false);
    rep_put_json_cstr(o, f->function);
    rep_put_json_key(o, "offset", false);
    rep_put_u64(o, f->offset);
    rep_put_json_key(o, "object", false);
    rep_put_json_cstr(o, f->object);
    rep_put_char(o, '}');
}

size_t rep_fmt_crash_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                          double time, const struct rep_crash *c)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_event_head(&o, ident, "crash", "backtrace", time);
    rep_put_char(&o, '{');
    rep_put_json_key(&o, "signal", true);
    rep_put_json_cstr(&o, c->signame);
    rep_put_json_key(&o, "signo", false);
    rep_put_i64(&o, c->signo);
    rep_put_json_key(&o, "si_code", false);
    rep_put_i64(&o, c->code);
    rep_put_json_hex_member(&o, "fault_addr", c->fault_addr);
    rep_put_json_key(&o, "tid", false);
    rep_put_i64(&o, c->tid);
    rep_put_json_key(&o, "frames", false);
    rep_put_char(&o, '[');
    for (size_t i = 0; i < c->nframes; i++)
        rep_put_crash_frame_json(&o, i, &c->frames[i]);
    rep_put_str(&o, "]}}}");
    return rep_put_line_end(&o);
}

static void rep_put_crash_frame_text(struct rep_out *o, size_t n, const struct rep_crash_frame *f)
{
    rep_put_char(o, '#');
    rep_put_u64(o, n);
    rep_put_str(o, n < 10 ? "  " : " ");
    rep_put_hex(o, f->addr, 16);
    rep_put_char(o, ' ');
    rep_put_str(o, f->function[0] ? f->function : "??");
    rep_put_char(o, '+');
    rep_put_hex(o, f->offset, 1);
    if (f->object[0]) {
        rep_put_str(o, " (");
        rep_put_str(o, f->object);
        rep_put_char(o, ')');
    }
    rep_put_char(o, '\n');
}

size_t rep_fmt_crash_text(char *buf, size_t cap, const struct rep_ident *ident,
                          const struct rep_crash *c)
{
    struct rep_out o = { .buf = buf, .cap = cap };

    rep_put_str(&o, "scope: ");
    rep_put_str(&o, ident->proc);
    rep_put_str(&o, " (pid ");
    rep_put_i64(&o, ident->pid);
    rep_put_str(&o, ", thread ");
    rep_put_i64(&o, c->tid);
    rep_put_str(&o, ") received ");
    rep_put_str(&o, c->signame);
    rep_put_str(&o, " (si_code ");
    rep_put_i64(&o, c->code);
    rep_put_str(&o, ", fault address ");
    rep_put_hex(&o, c->fault_addr, 1);
    rep_put_str(&o, ")\n");
    for (size_t i = 0; i < c->nframes; i++)
        rep_put_crash_frame_text(&o, i, &c->frames[i]);
    if (o.full || o.len >= o.cap)
        return 0;
    o.buf[o.len] = '\0';
    return o.len;
}
