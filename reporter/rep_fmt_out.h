/* rep_fmt_out.h: what the rep_fmt_*.c pieces share (internal to the
 * reporter; rep_fmt.h is the API).
 *
 * Every line is written through a bounded cursor that only records that it
 * ran out of room; the line is committed at the end, whole, or not at all
 * (rep_put_line_end). None of these allocate, lock or call stdio.
 */
#ifndef REP_FMT_OUT_H
#define REP_FMT_OUT_H

#include "rep_fmt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rep_out {
    char *buf;
    size_t cap;
    size_t len;
    bool full;      /* something did not fit: the line is lost */
};

/* ident members are fixed arrays: do not trust them to be terminated */
#define REP_IDENT_LEN(member) strnlen((member), sizeof(member))

/* Bytes: inline, as a line is made of many short pieces. */
static inline void rep_put_mem(struct rep_out *o, const void *s, size_t n)
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

static inline void rep_put_char(struct rep_out *o, char c)
{
    if (o->full)
        return;
    if (o->len == o->cap) {
        o->full = true;
        return;
    }
    o->buf[o->len++] = c;
}

static inline void rep_put_str(struct rep_out *o, const char *s)
{
    rep_put_mem(o, s, strlen(s));
}

/* rep_fmt_out.c: numbers */
/* Ends the line: '\n' plus a NUL that is not counted; returns the length,
 * or 0 (and an empty buffer) when something did not fit. */
size_t rep_put_line_end(struct rep_out *o);
void rep_put_u64(struct rep_out *o, uint64_t v);
void rep_put_i64(struct rep_out *o, long long v);
/* A metric value: integers as integers, else at most 6 decimals; NaN and
 * inf as 0. */
void rep_put_num(struct rep_out *o, double v);
/* Unix time with 6 decimals; impossible times as 0. */
void rep_put_time(struct rep_out *o, double t);
/* "0x" and at least min_digits lowercase hex digits. */
void rep_put_hex(struct rep_out *o, uintptr_t v, int min_digits);

/* rep_fmt_escape.c: strings */
/* Length of the well-formed UTF-8 sequence at p (whose first byte is
 * >= 0x80), or 0. */
size_t rep_utf8_seq_len(const unsigned char *p, size_t n);
/* A JSON string's contents, without quotes; bytes of no valid UTF-8
 * sequence become U+FFFD. */
void rep_put_json_text(struct rep_out *o, const char *s, size_t n);
void rep_put_json_str(struct rep_out *o, const char *s, size_t n);
void rep_put_json_cstr(struct rep_out *o, const char *s);

/* rep_fmt_json.c: NDJSON pieces */
/* "key": with a comma before it unless first. */
void rep_put_json_key(struct rep_out *o, const char *key, bool first);
/* An event line up to its "data" value. */
void rep_put_event_head(struct rep_out *o, const struct rep_ident_json *ident,
                        const char *sourcetype, const char *source, double time);

#endif
