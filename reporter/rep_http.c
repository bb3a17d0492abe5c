/* rep_http.c: HTTP/1.x, server and client side, from the tap's pieces.
 *
 * Each direction of a connection is a stream of messages: a head, then a
 * body framed by Content-Length, chunked, or (responses only) the close.
 * Requests go one way, responses the other; which way is learned from the
 * first head (a request line, or a status line). Requests wait in a queue
 * for their responses (pipelining). Unseen bytes (the tap skips bodies,
 * and cuts what it hands over) are counted through a body; unseen bytes
 * where a head or a chunk-size line should be lose that stream until a
 * piece starts with a head again, and the loss is counted
 * (rep_http_unparsed). A stream that carried a chunked body is wanted
 * whole from then on (rep_tap_want): a call of many small chunks brings
 * each line.
 */
#include "rep_http.h"
#include "rep_http_head.h"
#include "rep_proto_rows.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PIPELINE_MAX 32             /* requests waiting for a response */

enum dir_state {
    D_HEAD,                         /* gathering a head (or nothing yet) */
    D_BODY,                         /* `left` body bytes to go */
    D_CHUNK_LINE,                   /* gathering a chunk-size line */
    D_CHUNK_DATA,                   /* `left` bytes of the chunk to go */
    D_CHUNK_END,                    /* `left` bytes of the CRLF after it */
    D_TRAILER,                      /* gathering the trailer, to its blank line */
    D_UNTIL_CLOSE,                  /* a response body that ends at the close */
    D_LOST,                         /* unseen bytes where a head was: resync */
};

struct http_dir {
    enum dir_state st;
    uint64_t expect;                /* stream offset of the next byte */
    char *buf;                      /* the head or line being gathered */
    size_t len, cap;
    uint64_t left, body;            /* body bytes to go, and so far */
    struct rep_http_msg *msg;       /* whose body this is (queued), or NULL */
    bool chunked;                   /* a body of it was chunked: so may the
                                     * next ones be (keep-alive) */
    int64_t head_ns;                /* the first byte of the head being gathered */
    int64_t last_ns;                /* the last piece's call */
    double last_time;
};

struct http_conn {
    struct rep_sock sock;
    bool tls;
    int req_dir;                    /* -1 until the first head says */
    struct http_dir d[2];
    struct rep_http_msg *queue[PIPELINE_MAX];   /* requests waiting */
    unsigned qhead, qlen;
    struct rep_http_msg *spare;     /* the last one answered, for the next */
    unsigned lost_reqs;             /* lost requests (counted) whose responses
                                     * are to come: not counted again */
};

/* ---- detection ------------------------------------------------------------ */

static const char *const methods[] = {
    "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
};

/* Could b[0..n) be the start of a head? 1: yes, 0: no, -1: too few bytes. */
static int head_start(const char *b, size_t n)
{
    static const char status[] = "HTTP/1.";
    int verdict = 0;

    if (memcmp(b, status, n < 7 ? n : 7) == 0)
        verdict = n >= 7 ? 1 : -1;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0] && verdict != 1; i++) {
        size_t m = strlen(methods[i]);
        if (memcmp(b, methods[i], n < m ? n : m) == 0)
            verdict = n >= m ? 1 : -1;
    }
    return verdict;
}

static enum rep_proto_verdict http_detect(const char *const first[2], const size_t n[2])
{
    bool more = n[0] == 0 && n[1] == 0;

    for (unsigned d = 0; d < 2; d++) {
        if (n[d] == 0)
            continue;
        int v = head_start(first[d], n[d]);
        if (v == 1)
            return REP_PROTO_YES;
        if (v == 0)
            return REP_PROTO_NO;
        more = true;
    }
    return more ? REP_PROTO_MORE : REP_PROTO_NO;
}

/* ---- messages ------------------------------------------------------------ */

/* What follows a struct's last member is padding only. */
#define LAST_MEMBER(type, member) \
    (sizeof(type) - offsetof(type, member) - sizeof(((type *)0)->member) < _Alignof(type))
_Static_assert(LAST_MEMBER(struct rep_http_msg, resp) &&
               offsetof(struct rep_http_msg, resp) ==
               offsetof(struct rep_http_msg, req) + sizeof(struct rep_http_head),
               "the heads are the message's last members");
_Static_assert(LAST_MEMBER(struct rep_http_head, headers), "the headers are a head's last member");

/* A head as calloc would give it, but for the headers past nheaders:
 * never read, and most of its size. */
static void head_clear(struct rep_http_head *h)
{
    memset(h, 0, offsetof(struct rep_http_head, headers));
}

static void msg_clear(struct rep_http_msg *m)
{
    memset(m, 0, offsetof(struct rep_http_msg, req));
    head_clear(&m->req);
    head_clear(&m->resp);
}

/* A cleared message for a new request: the connection's spare (a
 * keep-alive connection answers one request before the next), else a
 * new one. NULL when out of memory. */
static struct rep_http_msg *msg_new(struct http_conn *c)
{
    struct rep_http_msg *m = c->spare ? c->spare : malloc(sizeof *m);

    c->spare = NULL;
    if (m)
        msg_clear(m);
    return m;
}

static void msg_done(struct http_conn *c, struct rep_http_msg *m)
{
    if (c->spare)
        free(m);
    else
        c->spare = m;
}

/* ---- the queue of requests ----------------------------------------------- */

static struct rep_http_msg *queue_oldest(struct http_conn *c)
{
    return c->qlen ? c->queue[c->qhead] : NULL;
}

static void queue_pop(struct http_conn *c)
{
    struct rep_http_msg *m = c->queue[c->qhead];

    for (unsigned dir = 0; dir < 2; dir++)
        if (c->d[dir].msg == m)
            c->d[dir].msg = NULL;
    msg_done(c, m);
    c->qhead = (c->qhead + 1) % PIPELINE_MAX;
    c->qlen--;
}

/* ---- messages, start to end ----------------------------------------------- */

/* The body of a message of dir starts: its framing. */
static void body_start(struct http_dir *d, struct rep_http_msg *m,
                       const struct rep_http_head_info *hi, bool none, bool until_close)
{
    d->msg = m;
    d->body = 0;
    d->chunked |= !none && hi->chunked;
    if (none) {
        d->st = D_HEAD;
    } else if (hi->chunked) {
        d->st = D_CHUNK_LINE;
    } else if (hi->content_length > 0) {
        d->st = D_BODY;
        d->left = (uint64_t)hi->content_length;
    } else {
        d->st = until_close && hi->content_length < 0 ? D_UNTIL_CLOSE : D_HEAD;
    }
}

/* The head h (hlen bytes, a whole one) of a request. */
static bool request_head(struct rep *r, struct http_conn *c, struct http_dir *d,
                         const struct rep_tap_piece *p, const char *h, size_t hlen)
{
    const char *s = h, *eol = memchr(s, '\n', hlen);
    const char *sp1 = eol ? memchr(s, ' ', (size_t)(eol - s)) : NULL;
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    struct rep_http_msg *m;
    struct rep_http_head_info hi;

    if (!sp2 || (size_t)(sp1 - s) >= sizeof m->method)
        return false;
    if (c->qlen == PIPELINE_MAX || !(m = msg_new(c)))
        return false;
    size_t vlen = (size_t)(eol - sp2 - 1) - (eol[-1] == '\r');
    if (!rep_http_flavor_of(sp2 + 1, vlen, m->req.flavor) ||
        !rep_http_header_lines(r, eol + 1, hlen - (size_t)(eol + 1 - s), m, true, &m->req, &hi)) {
        msg_done(c, m);
        return false;
    }
    memcpy(m->method, s, (size_t)(sp1 - s));
    rep_http_copy_trimmed(m->target, sizeof m->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    m->server = c->req_dir == REP_TAP_RX;
    m->tls = c->tls;
    m->sock = &c->sock;
    m->req.content_length = hi.chunked ? -1 : hi.content_length;
    m->start_ns = d->head_ns;
    c->queue[(c->qhead + c->qlen++) % PIPELINE_MAX] = m;
    rep_http_req_event(r, m, p->time);
    body_start(d, m, &hi, false, false);
    return true;
}

static void response_done(struct rep *r, struct http_conn *c, struct http_dir *d, int64_t ns,
                          double time)
{
    struct rep_http_msg *m = d->msg;

    d->msg = NULL;
    if (!m || m != queue_oldest(c))
        return;
    m->end_ns = ns;
    if (m->resp.content_length < 0 && d->body)
        m->resp.content_length = (int64_t)d->body;
    rep_http_resp_done(r, m, time);
    queue_pop(c);
}

/* false: not a status line; *upgraded: 101, the connection leaves HTTP. */
static bool response_head(struct rep *r, struct http_conn *c, struct http_dir *d,
                          const struct rep_tap_piece *p, const char *h, size_t hlen,
                          bool *upgraded)
{
    const char *s = h, *eol = memchr(s, '\n', hlen);
    const char *sp1 = eol ? memchr(s, ' ', (size_t)(eol - s)) : NULL;
    struct rep_http_msg *m = queue_oldest(c), scratch;
    struct rep_http_head_info hi;
    char flavor[4];

    d->msg = NULL;
    if (!sp1 || !rep_http_flavor_of(s, (size_t)(sp1 - s), flavor) || eol - sp1 < 4)
        return false;
    int status = (sp1[1] - '0') * 100 + (sp1[2] - '0') * 10 + (sp1[3] - '0');
    if (status < 100 || status > 999)
        return false;
    if (!m) {
        if (c->lost_reqs)           /* its request was not seen */
            c->lost_reqs--;
        else
            rep_http_unparsed(r, REP_HTTP_LOST_HEAD);
        msg_clear(&scratch);
        m = &scratch;
    }
    head_clear(&m->resp);
    if (!rep_http_header_lines(r, eol + 1, hlen - (size_t)(eol + 1 - s), m, false, &m->resp, &hi))
        return false;
    memcpy(m->resp.flavor, flavor, sizeof flavor);
    m->status = status;
    if (eol - sp1 > 5)
        rep_http_copy_trimmed(m->status_text, sizeof m->status_text, sp1 + 5,
                              (size_t)(eol - sp1 - 5));
    m->resp.content_length = hi.chunked ? -1 : hi.content_length;
    if (status < 200) {             /* 100 Continue: the real one follows */
        *upgraded = status == 101;
        d->st = D_HEAD;
        return true;
    }
    bool none = !strcmp(m->method, "HEAD") || status == 204 || status == 304;
    if (none)
        m->resp.content_length = hi.content_length >= 0 ? hi.content_length : 0;
    body_start(d, m == &scratch ? NULL : m, &hi, none, true);
    if (none || d->st == D_HEAD)
        response_done(r, c, d, p->mono_ns, p->time);
    return true;
}

/* A whole head, h (hlen bytes: gathered in d->buf, or in the piece).
 * false: it was not HTTP after all. */
static bool head_done(struct rep *r, struct http_conn *c, unsigned dir,
                      const struct rep_tap_piece *p, const char *h, size_t hlen, bool *upgraded)
{
    struct http_dir *d = &c->d[dir];
    bool is_response = hlen >= 5 && memcmp(h, "HTTP/", 5) == 0;

    if (c->req_dir < 0)
        c->req_dir = is_response ? (int)(dir ^ 1) : (int)dir;
    bool ok = (int)dir == c->req_dir ? !is_response && request_head(r, c, d, p, h, hlen)
                                     : is_response && response_head(r, c, d, p, h, hlen, upgraded);
    d->len = 0;
    return ok;
}

/* The body of dir's message is complete. */
static void body_done(struct rep *r, struct http_conn *c, unsigned dir,
                      const struct rep_tap_piece *p)
{
    struct http_dir *d = &c->d[dir];

    d->st = D_HEAD;
    if ((int)dir != c->req_dir) {
        response_done(r, c, d, p->mono_ns, p->time);
    } else if (d->msg) {
        if (d->msg->req.content_length < 0)
            d->msg->req.content_length = (int64_t)d->body;
        d->msg = NULL;              /* still queued for its response */
    }
}

/* Unseen bytes where a head (or a chunk's framing: why) should be, or
 * one not parsed: the stream is lost until a piece starts with a head.
 * A response lost takes its request with it. */
/* What dir lost is a head, or (in a chunked body) its framing: which, the
 * state it was in says. */
static void lose(struct rep *r, struct http_conn *c, unsigned dir)
{
    struct http_dir *d = &c->d[dir];
    enum rep_http_loss why = d->st == D_HEAD ? REP_HTTP_LOST_HEAD : REP_HTTP_LOST_CHUNKS;

    if (d->st == D_LOST)
        return;
    if (c->req_dir < 0 && d->len)   /* a first head lost: its start says which way */
        c->req_dir = memcmp(d->buf, "HTTP/", d->len < 5 ? d->len : 5) ? (int)dir
                                                                       : (int)(dir ^ 1);
    rep_http_unparsed(r, why);
    if ((int)dir == c->req_dir && c->lost_reqs < PIPELINE_MAX)
        c->lost_reqs++;
    if ((int)dir != c->req_dir && c->qlen)
        queue_pop(c);               /* its response is what was lost */
    d->msg = NULL;
    d->st = D_LOST;
    d->len = 0;
}

/* n unseen bytes of dir. */
static void unseen(struct rep *r, struct http_conn *c, unsigned dir, uint64_t n,
                   const struct rep_tap_piece *p)
{
    struct http_dir *d = &c->d[dir];

    while (n) {
        if (d->st == D_UNTIL_CLOSE || d->st == D_LOST) {
            d->body += d->st == D_UNTIL_CLOSE ? n : 0;
            return;
        }
        if (d->st != D_BODY && d->st != D_CHUNK_DATA && d->st != D_CHUNK_END) {
            lose(r, c, dir);
            return;
        }
        uint64_t take = n < d->left ? n : d->left;
        d->left -= take;
        d->body += d->st == D_CHUNK_END ? 0 : take;
        n -= take;
        if (d->left == 0 && d->st == D_BODY) {
            body_done(r, c, dir, p);
        } else if (d->left == 0 && d->st == D_CHUNK_DATA) {
            d->st = D_CHUNK_END;    /* the CRLF after the data */
            d->left = 2;
        } else if (d->left == 0) {
            d->st = D_CHUNK_LINE;
        }
    }
}

/* Room in d->buf for n more bytes, within REP_PROTO_HEAD_MAX. */
static bool room_for(struct http_dir *d, size_t n)
{
    if (n > REP_PROTO_HEAD_MAX - d->len)
        return false;
    if (d->len + n <= d->cap)
        return true;
    size_t cap = d->cap ? d->cap : 512;
    while (cap < d->len + n)
        cap *= 2;
    char *b = realloc(d->buf, cap);
    if (!b)
        return false;
    d->buf = b;
    d->cap = cap;
    return true;
}

/* Gather into d->buf up to the end of a line (lines: true) or of a head
 * (a blank line), a line at a time; returns the bytes of s used (SIZE_MAX:
 * too long, not parsed), and *whole when the end came. */
static size_t gather(struct http_dir *d, const char *s, size_t n, bool line, bool *whole)
{
    size_t used = 0;

    *whole = false;
    while (used < n && !*whole) {
        const char *nl = memchr(s + used, '\n', n - used);
        size_t take = nl ? (size_t)(nl - s) + 1 - used : n - used;
        if (!room_for(d, take))
            return SIZE_MAX;
        memcpy(d->buf + d->len, s + used, take);
        d->len += take;
        used += take;
        if (!nl)
            break;
        size_t l = d->len;
        *whole = line || (l >= 2 && d->buf[l - 2] == '\n') ||
                 (l >= 3 && d->buf[l - 2] == '\r' && d->buf[l - 3] == '\n');
    }
    return used;
}

/* The length of the head that s starts with, when it ends within its n
 * bytes and REP_PROTO_HEAD_MAX (where gather would find its end); else
 * 0. A head that comes in one piece, as most do, is parsed where it is. */
static size_t head_within(const char *s, size_t n)
{
    const char *end = s + (n < REP_PROTO_HEAD_MAX ? n : REP_PROTO_HEAD_MAX);

    for (const char *nl = s; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL;) {
        size_t l = (size_t)(++nl - s);
        if ((l >= 2 && s[l - 2] == '\n') || (l >= 3 && s[l - 2] == '\r' && s[l - 3] == '\n'))
            return l;
    }
    return 0;
}

/* A chunk-size line is in d->buf: the chunk's data, or the trailer. */
static bool chunk_line(struct http_dir *d)
{
    char *end;
    unsigned long long size = strtoull(d->buf, &end, 16);

    if (end == d->buf)
        return false;
    d->len = 0;
    d->st = size ? D_CHUNK_DATA : D_TRAILER;
    d->left = size;
    return true;
}

/* Seen bytes of dir, at the start of a piece when `at_start`. Returns
 * false when the connection leaves HTTP. */
static bool seen(struct rep *r, struct http_conn *c, unsigned dir, const char *s, size_t n,
                 bool at_start, const struct rep_tap_piece *p)
{
    struct http_dir *d = &c->d[dir];
    bool whole, upgraded = false;
    size_t used;

    while (n) {
        switch (d->st) {
        case D_LOST:
            if (!at_start || head_start(s, n) != 1)
                return true;
            d->st = D_HEAD;
            /* fall through */
        case D_HEAD:
            if (d->len == 0 && (*s == '\r' || *s == '\n')) {
                s++, n--;           /* blank lines between messages */
                continue;
            }
            if (d->len == 0)
                d->head_ns = p->mono_ns;        /* the head's first byte */
            if (d->len == 0 && (used = head_within(s, n)) != 0) {
                if (!head_done(r, c, dir, p, s, used, &upgraded))
                    lose(r, c, dir);
            } else {
                used = gather(d, s, n, false, &whole);
                if (used == SIZE_MAX) {
                    lose(r, c, dir);
                    return true;
                }
                if (whole && !head_done(r, c, dir, p, d->buf, d->len, &upgraded))
                    lose(r, c, dir);
            }
            if (upgraded)
                return false;
            break;
        case D_CHUNK_LINE:
        case D_TRAILER:
            used = gather(d, s, n, true, &whole);
            if (used == SIZE_MAX) {
                lose(r, c, dir);
                return true;
            }
            if (whole && d->st == D_CHUNK_LINE && !chunk_line(d)) {
                lose(r, c, dir);
            } else if (whole && d->st == D_TRAILER) {
                bool blank = d->len <= 2;
                d->len = 0;
                if (blank)
                    body_done(r, c, dir, p);
            }
            break;
        case D_UNTIL_CLOSE:
            d->body += n;
            return true;
        default:                    /* D_BODY, D_CHUNK_DATA, D_CHUNK_END */
            used = n < d->left ? n : (size_t)d->left;
            d->left -= used;
            if (d->st != D_CHUNK_END)
                d->body += used;
            if (d->left == 0 && d->st == D_BODY) {
                body_done(r, c, dir, p);
            } else if (d->left == 0 && d->st == D_CHUNK_DATA) {
                d->st = D_CHUNK_END;
                d->left = 2;
            } else if (d->left == 0) {
                d->st = D_CHUNK_LINE;
            }
            break;
        }
        s += used;
        n -= used;
        at_start = false;
    }
    return true;
}

/* Where bytes of dir may hold a head again: past a body or a chunk's
 * data the tap hands nothing over; a head being gathered, from its
 * first byte (the tap hands its rest over up to the head bound). */
static uint64_t head_from(const struct http_dir *d)
{
    if (d->st == D_HEAD)
        return d->expect - d->len;
    return d->st == D_BODY || d->st == D_CHUNK_DATA ? d->expect + d->left : d->expect;
}

static enum rep_proto_verdict http_feed(struct rep *r, void *state, const struct rep_tap_piece *p,
                                        struct rep_tap_want *want)
{
    struct http_conn *c = state;
    struct http_dir *d = &c->d[p->dir];
    const char *s = p->bytes;
    size_t n = p->seen;
    uint64_t off = p->offset;
    bool ok = true;

    d->last_ns = p->mono_ns;
    d->last_time = p->time;
    if (off > d->expect)
        unseen(r, c, p->dir, off - d->expect, p);
    else if (off < d->expect) {     /* overlaps what came already */
        uint64_t skip = d->expect - off;
        if (skip >= p->len)
            goto out;
        size_t s_skip = skip < n ? (size_t)skip : n;
        s += s_skip;
        n -= s_skip;
        off = d->expect;
    }
    ok = seen(r, c, p->dir, s, n, off == p->offset, p);
    if (ok && p->offset + p->len > off + n)
        unseen(r, c, p->dir, p->offset + p->len - off - n, p);
    d->expect = p->offset + p->len;
out:
    for (unsigned dir = 0; dir < 2; dir++) {
        want->head_from[dir] = head_from(&c->d[dir]);
        /* a body that ends at the close is only counted: no more of it
         * than of any call (lost, a call may start the next head and its
         * chunked body) */
        const struct http_dir *w = &c->d[dir];
        want->whole[dir] = w->chunked && w->st != D_UNTIL_CLOSE;
    }
    return ok ? REP_PROTO_YES : REP_PROTO_NO;
}

static void *http_open(const struct rep_sock *s, bool tls)
{
    struct http_conn *c = calloc(1, sizeof *c);

    if (c) {
        c->sock = *s;
        c->tls = tls;
        c->req_dir = -1;
    }
    return c;
}

/* A body that ends at the close ends now; one cut by the close is
 * reported as far as it came. */
static void http_close(struct rep *r, void *state)
{
    struct http_conn *c = state;

    for (unsigned dir = 0; dir < 2; dir++) {
        struct http_dir *d = &c->d[dir];
        if (r && (int)dir != c->req_dir && d->msg)
            response_done(r, c, d, d->last_ns, d->last_time);
        free(d->buf);
    }
    while (c->qlen)
        queue_pop(c);
    free(c->spare);
    free(c);
}

const struct rep_proto rep_proto_http = { "http", http_detect, http_open, http_feed, http_close };
