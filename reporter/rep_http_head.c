/* rep_http_head.c: the lines of an HTTP/1.x head (see rep_http_head.h). */
#include "rep_http_head.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

void rep_http_copy_trimmed(char *dst, size_t cap, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static bool name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static int64_t parse_length(const char *v, size_t n)
{
    int64_t x = 0;

    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    if (!n)
        return -1;
    for (; n && *v >= '0' && *v <= '9'; v++, n--) {
        if (x > (INT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (*v - '0');
    }
    while (n && (*v == ' ' || *v == '\t' || *v == '\r'))
        v++, n--;
    return n ? -1 : x;
}

/* Could a header line starting with c be one the parser reads
 * (Content-Length, Transfer-Encoding, Host, User-Agent, X-Forwarded-For)?
 * Most of a response's lines are not: they are passed over at once. */
static bool maybe_read(char c)
{
    c = (char)(c | 0x20);
    return c == 'c' || c == 't' || c == 'h' || c == 'u' || c == 'x';
}

/* One header line of a request (m) or response: framing into hi, the
 * fields events carry into m and, when the operator picks headers
 * (pick), h. */
static void header_line(struct rep *r, const char *line, size_t n, struct rep_http_msg *m,
                        bool request, bool pick, struct rep_http_head *h,
                        struct rep_http_head_info *hi)
{
    if (!pick && !maybe_read(line[0]))
        return;
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = n - nlen - 1;

    if (name_is(line, nlen, "content-length")) {
        int64_t cl = parse_length(v, vlen);
        if (cl < 0 || (hi->content_length >= 0 && hi->content_length != cl))
            hi->bad = true;
        hi->content_length = cl;
    } else if (name_is(line, nlen, "transfer-encoding")) {
        char te[64];
        rep_http_copy_trimmed(te, sizeof te, v, vlen);
        size_t tl = strlen(te);
        hi->chunked = tl >= 7 && strcasecmp(te + tl - 7, "chunked") == 0;
    } else if (request && name_is(line, nlen, "host")) {
        rep_http_copy_trimmed(m->host, sizeof m->host, v, vlen);
    } else if (request && name_is(line, nlen, "user-agent")) {
        rep_http_copy_trimmed(m->user_agent, sizeof m->user_agent, v, vlen);
    } else if (request && name_is(line, nlen, "x-forwarded-for")) {
        const char *comma = memchr(v, ',', vlen);
        rep_http_copy_trimmed(m->client_ip, sizeof m->client_ip, v,
                              comma ? (size_t)(comma - v) : vlen);
    }
    if (pick && h->nheaders < REP_HTTP_HEADERS_MAX && nlen < sizeof h->headers[0].name &&
        rep_http_header_wanted(r, line, nlen)) {
        struct rep_http_header *x = &h->headers[h->nheaders++];
        memcpy(x->name, line, nlen);
        x->name[nlen] = '\0';
        rep_http_copy_trimmed(x->value, sizeof x->value, v, vlen);
    }
}

/* The lines after the first; false when they say no sane framing. */
bool rep_http_header_lines(struct rep *r, const char *s, size_t n, struct rep_http_msg *m,
                           bool request, struct rep_http_head *h, struct rep_http_head_info *hi)
{
    const struct rep_http_state *hs = rep_http_state(r);
    bool pick = hs && hs->header_re_ok;     /* SCOPE_EVENT_HTTP_HEADER */

    hi->content_length = -1;
    hi->chunked = hi->bad = false;
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        if (len && s[len - 1] == '\r')
            len--;
        if (len)
            header_line(r, s, len, m, request, pick, h, hi);
        if (!nl)
            break;
        n -= (size_t)(nl - s) + 1;
        s = nl + 1;
    }
    return !hi->bad;
}

/* "1.1" from "HTTP/1.1"; false when it is not HTTP/1.x. */
bool rep_http_flavor_of(const char *s, size_t n, char out[4])
{
    if (n != 8 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9')
        return false;
    memcpy(out, s + 5, 3);
    out[3] = '\0';
    return true;
}
