/* rep_proto.c: the registry of protocols, and the detection that picks
 * one for a connection from its first bytes. */
#include "rep_internal.h"
#include "rep_proto.h"
#include "rep_proto_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per protocol: a new one is a row here and its file. */
static const struct rep_proto *const registry[] = {
    &rep_proto_http,
    &rep_proto_tls,
};
#define NPROTOS (sizeof registry / sizeof registry[0])

/* Pieces that came before the verdict (a head written a byte at a time),
 * kept to be fed to the protocol once it is known. */
#define HELD_MAX 8

struct held_piece {
    struct rep_tap_piece p;
    char bytes[REP_PROTO_DETECT_BYTES];
};

struct rep_conn {
    const struct rep_proto *proto;  /* NULL until detected */
    void *state;                    /* proto's, when it parses */
    bool decided, tls;
    struct rep_sock sock;
    char first[2][REP_PROTO_DETECT_BYTES];
    size_t nfirst[2];
    struct held_piece held[HELD_MAX];
    unsigned nheld;
};

struct rep_conn *rep_conn_open(const struct rep_sock *s, bool tls)
{
    struct rep_conn *c = calloc(1, sizeof *c);

    if (c) {
        c->sock = *s;
        c->tls = tls;
    }
    return c;
}

const char *rep_conn_proto(const struct rep_conn *c)
{
    return c->proto ? c->proto->name : NULL;
}

/* Ask every protocol: the first that says YES has it; MORE while any
 * still may. */
static enum rep_proto_verdict detect(struct rep_conn *c)
{
    const char *first[2] = { c->first[0], c->first[1] };
    bool more = false;

    for (size_t i = 0; i < NPROTOS; i++) {
        enum rep_proto_verdict v = registry[i]->detect(first, c->nfirst);
        if (v == REP_PROTO_YES) {
            c->proto = registry[i];
            return v;
        }
        more |= v == REP_PROTO_MORE;
    }
    return more ? REP_PROTO_MORE : REP_PROTO_NO;
}

/* Keep a piece until the verdict: false when it cannot be (too big,
 * too many, or not where its stream's first bytes end). */
static bool hold(struct rep_conn *c, const struct rep_tap_piece *p)
{
    size_t *n = &c->nfirst[p->dir];

    if (c->nheld == HELD_MAX || p->offset != *n || p->seen != p->len ||
        *n + p->seen > REP_PROTO_DETECT_BYTES)
        return false;
    struct held_piece *h = &c->held[c->nheld++];
    h->p = *p;
    memcpy(h->bytes, p->bytes, p->seen);
    h->p.bytes = h->bytes;
    memcpy(c->first[p->dir] + *n, p->bytes, p->seen);
    *n += p->seen;
    return true;
}

/* The verdict on the bytes so far, with p among them. */
static enum rep_proto_verdict decide(struct rep_conn *c, const struct rep_tap_piece *p)
{
    if (hold(c, p))
        return detect(c);
    /* a piece too big to keep: detect on its first bytes, then feed it */
    size_t *n = &c->nfirst[p->dir];
    if (p->offset != *n)
        return REP_PROTO_NO;        /* its stream's first bytes are unseen */
    size_t take = p->seen < REP_PROTO_DETECT_BYTES - *n ? p->seen : REP_PROTO_DETECT_BYTES - *n;
    memcpy(c->first[p->dir] + *n, p->bytes, take);
    *n += take;
    enum rep_proto_verdict v = detect(c);
    return v == REP_PROTO_MORE ? REP_PROTO_NO : v;
}

static enum rep_proto_verdict proto_start(struct rep *r, struct rep_conn *c,
                                          const struct rep_tap_piece *p, bool held,
                                          struct rep_tap_want *want)
{
    enum rep_proto_verdict v = REP_PROTO_YES;

    c->decided = true;
    if (!c->proto->open || !(c->state = c->proto->open(&c->sock, c->tls)))
        return REP_PROTO_NO;
    for (unsigned i = 0; i < c->nheld && v == REP_PROTO_YES; i++)
        v = c->proto->feed(r, c->state, &c->held[i].p, want);
    if (!held && v == REP_PROTO_YES)
        v = c->proto->feed(r, c->state, p, want);
    c->nheld = 0;
    return v;
}

enum rep_proto_verdict rep_conn_feed(struct rep *r, struct rep_conn *c,
                                     const struct rep_tap_piece *p, struct rep_tap_want *want)
{
    *want = (struct rep_tap_want){ 0 };
    if (c->decided)
        return c->state ? c->proto->feed(r, c->state, p, want) : REP_PROTO_NO;
    unsigned was_held = c->nheld;
    enum rep_proto_verdict v = decide(c, p);
    if (v == REP_PROTO_MORE)
        return v;
    if (v == REP_PROTO_NO) {
        c->decided = true;
        c->nheld = 0;
        return v;
    }
    return proto_start(r, c, p, c->nheld > was_held, want);
}

void rep_conn_close(struct rep *r, struct rep_conn *c)
{
    if (c->state)
        c->proto->close(r, c->state);
    free(c);
}

void rep_tap_dropped(struct rep *r, uint64_t pieces)
{
    rep_notice(r, "scope's protocol tap dropped %llu pieces of connections' bytes: a "
               "thread's ring was full", (unsigned long long)pieces);
}
