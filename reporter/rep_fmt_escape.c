/* rep_fmt_escape.c: what a string becomes inside a line: UTF-8 checked
 * byte by byte, JSON string escaping, and the text-or-binary test of console
 * output.
 */
#include "rep_fmt.h"
#include "rep_fmt_out.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence (Unicode table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF) starting at a byte
 * >= 0x80, or 0 if there is none. */
size_t rep_utf8_seq_len(const unsigned char *p, size_t n)
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
        } else if ((seq = rep_utf8_seq_len(p, (size_t)(end - p))) != 0) {
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

/* Printable ASCII but the quote and the backslash: a table, as most
 * strings (keys, names) are shorter than the eight bytes word_plain takes. */
static const bool plain_bytes[256] = {
    [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7e] = true,
};

static bool json_plain(unsigned char c)
{
    return plain_bytes[c];
}

/* Eight bytes at once: are they all json_plain? Each test sets a byte's
 * high bit where that byte fails it (a byte below 0x20, one of 0x80 or
 * above, a quote, a backslash, DEL); a test may flag a passing byte too
 * when a failing one precedes it, which only sends the word to the byte
 * by byte loop. Most strings are plain: a path, a host, a target. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

static bool word_plain(const unsigned char *p)
{
    uint64_t x;

    memcpy(&x, p, sizeof x);
    uint64_t bad = (((x - ONES * 0x20) & ~x) | x) & HIGHS;
    bad |= HAS_ZERO(x ^ (ONES * '"')) | HAS_ZERO(x ^ (ONES * '\\')) | HAS_ZERO(x ^ (ONES * 0x7f));
    return bad == 0;
}

static void rep_put_json_escape(struct rep_out *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

    switch (c) {
    case '"':  rep_put_str(o, "\\\""); break;
    case '\\': rep_put_str(o, "\\\\"); break;
    case '\n': rep_put_str(o, "\\n"); break;
    case '\t': rep_put_str(o, "\\t"); break;
    case '\r': rep_put_str(o, "\\r"); break;
    case '\b': rep_put_str(o, "\\b"); break;
    case '\f': rep_put_str(o, "\\f"); break;
    default:   rep_put_mem(o, u, sizeof u); break;
    }
}

/* A JSON string's contents: valid UTF-8 passes, each byte that is not part
 * of a valid sequence becomes U+FFFD, so arbitrary program output still
 * yields a line every JSON parser accepts. */
void rep_put_json_text(struct rep_out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;

    while (p < end) {
        const unsigned char *run = p;
        size_t seq;

        while (end - p >= 8 && word_plain(p))
            p += 8;
        while (p < end && json_plain(*p))
            p++;
        rep_put_mem(o, run, (size_t)(p - run));
        if (p == end)
            break;
        if (*p < 0x80) {
            rep_put_json_escape(o, *p++);
        } else if ((seq = rep_utf8_seq_len(p, (size_t)(end - p))) != 0) {
            rep_put_mem(o, p, seq);
            p += seq;
        } else {
            rep_put_str(o, "\\ufffd");
            p++;
        }
    }
}

void rep_put_json_str(struct rep_out *o, const char *s, size_t n)
{
    rep_put_char(o, '"');
    rep_put_json_text(o, s, n);
    rep_put_char(o, '"');
}

/* Most C strings here are short plain names (keys, sources): copied in
 * one pass that stops at the NUL or at a byte to escape, without strlen;
 * what follows such a byte takes the general path. */
void rep_put_json_cstr(struct rep_out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    rep_put_char(o, '"');
    if (o->full)
        return;
    size_t room = o->cap - o->len;
    char *d = o->buf + o->len;
    while (i < room && json_plain(p[i])) {
        d[i] = (char)p[i];
        i++;
    }
    o->len += i;
    if (p[i] != '\0')
        rep_put_json_text(o, s + i, strlen(s + i));
    rep_put_char(o, '"');
}
