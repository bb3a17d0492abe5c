/* rep_pending.c: what a destination has not taken yet, kept for later. */
#include "rep_pending.h"

#include <stdlib.h>
#include <string.h>

/* A line is a metric or an event: what the operator is told was dropped. */
void rep_pending_lose(struct rep_transport *t, const char *buf, size_t len)
{
    const char *end = buf + len;
    uint64_t lines = 0;

    for (const char *p = buf; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
        lines++;
    if (len && buf[len - 1] != '\n')
        lines++;                    /* a line's head without its end */
    t->lost_bytes += len;
    t->lost_lines += lines;
}

void rep_pending_consume(struct rep_transport *t, size_t n)
{
    memmove(t->pending, t->pending + n, t->pending_len - n);
    t->pending_len -= n;
}

/* Drop whole lines from pending's front until `need` bytes are gone,
 * counting them lost; a first line whose head the reader already has goes
 * out whole (dropping its tail would glue the reader's half to the next
 * line). */
static void pending_drop_oldest(struct rep_transport *t, size_t need)
{
    size_t keep = 0, cut;
    char *nl;

    if (t->mid_line) {
        nl = memchr(t->pending, '\n', t->pending_len);
        keep = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;
    }
    if (keep + need >= t->pending_len) {
        cut = t->pending_len;
    } else {
        nl = memchr(t->pending + keep + need - 1, '\n', t->pending_len - (keep + need - 1));
        cut = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;
    }
    rep_pending_lose(t, t->pending + keep, cut - keep);
    memmove(t->pending + keep, t->pending + cut, t->pending_len - cut);
    t->pending_len -= cut - keep;
}

/* Dropping just enough for each new line would move the whole buffer per
 * line: a quarter goes at a time. */
void rep_pending_add(struct rep_transport *t, const char *buf, size_t len)
{
    if (t->pending_len + len > t->pending_cap) {
        /* doubling: a realloc per line would copy the buffer per line */
        size_t cap = t->pending_cap ? t->pending_cap : 64 * 1024;
        while (cap < t->pending_len + len)
            cap *= 2;
        char *grown = realloc(t->pending, cap);
        if (!grown) {
            rep_pending_lose(t, buf, len);
            return;
        }
        t->pending = grown;
        t->pending_cap = cap;
    }
    memcpy(t->pending + t->pending_len, buf, len);
    t->pending_len += len;
    if (t->pending_len > REP_TRANSPORT_KEEP_MAX)
        pending_drop_oldest(t, t->pending_len - REP_TRANSPORT_KEEP_MAX * 3 / 4);
}

void rep_pending_drop_first_line(struct rep_transport *t)
{
    char *nl = memchr(t->pending, '\n', t->pending_len);
    size_t n = nl ? (size_t)(nl - t->pending) + 1 : t->pending_len;

    rep_pending_lose(t, t->pending, n);
    rep_pending_consume(t, n);
}
