/* rep_agg.c: per-file and per-socket sums for one metric period (open
 * addressing on the key). */
#include "rep_agg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rep_io_counts_add(struct rep_io_counts *into, const struct rep_io_counts *c)
{
    uint64_t *to = rep_io_counts_array(into);
    const uint64_t *from = rep_io_counts_const_array(c);

    for (size_t i = 0; i < REP_COUNTS_N; i++)
        to[i] += from[i];
}

int rep_io_counts_is_zero(const struct rep_io_counts *c)
{
    static const struct rep_io_counts zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

void rep_io_counts_timed(const struct rep_io_counts *c, bool socket, enum rep_op op,
                         uint64_t *ops, uint64_t *ns)
{
    uint64_t rw_ops = c->read_timed_ops + c->write_timed_ops;
    uint64_t rw_ns = c->read_timed_ns + c->write_timed_ns;

    switch (op) {
    case REP_OP_READ: *ops = c->read_timed_ops, *ns = c->read_timed_ns; return;
    case REP_OP_WRITE: *ops = c->write_timed_ops, *ns = c->write_timed_ns; return;
    default: break;
    }
    /* a socket's duration_* are its lifetimes; a file's hold its reads and
     * writes too (a tally read between a call's two adds sees one first) */
    *ops = socket ? c->duration_ops : c->duration_ops > rw_ops ? c->duration_ops - rw_ops : 0;
    *ns = socket ? c->duration_ns : c->duration_ns > rw_ns ? c->duration_ns - rw_ns : 0;
    if (*ops == 0)
        *ns = 0;
}

static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct rep_agg_entry *slot_find(struct rep_agg_entry *slots, size_t cap,
                                       const char *key)
{
    size_t i = path_hash(key) & (cap - 1);
    while (slots[i].key && strcmp(slots[i].key, key) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int table_grow(struct rep_agg *a)
{
    size_t cap = a->cap ? a->cap * 2 : 64;
    struct rep_agg_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < a->cap; i++)
        if (a->slots[i].key)
            *slot_find(slots, cap, a->slots[i].key) = a->slots[i];
    free(a->slots);
    a->slots = slots;
    a->cap = cap;
    return 0;
}

/* A new entry: proto's description, our own copy of the key. */
static int entry_init(struct rep_agg_entry *e, const char *key,
                      const struct rep_agg_entry *proto)
{
    char *copy = strdup(key);
    if (!copy)
        return -1;
    *e = *proto;
    memset(&e->c, 0, sizeof e->c);
    memset(e->hist, 0, sizeof e->hist);
    memset(e->seen_ops, 0, sizeof e->seen_ops);
    memset(e->seen_ns, 0, sizeof e->seen_ns);
    e->key = copy;
    /* A file entry's path is its key after the kind prefix. */
    if (e->kind == REP_AGG_FILE && !e->summary)
        e->file = strchr(copy, ':') + 1;
    return 0;
}

/* The entry for key, made from proto on first use; NULL when out of
 * memory. */
static struct rep_agg_entry *entry_get(struct rep_agg *a, const char *key,
                                       const struct rep_agg_entry *proto)
{
    if ((a->used + 1) * 2 > a->cap && table_grow(a) < 0)
        return NULL;
    struct rep_agg_entry *e = slot_find(a->slots, a->cap, key);
    if (!e->key) {
        if (entry_init(e, key, proto) < 0)
            return NULL;
        a->used++;
    }
    return e;
}

bool rep_agg_has(const struct rep_agg *a, const char *key)
{
    return a->cap && slot_find(a->slots, a->cap, key)->key;
}

/* ops calls of kind op that took ns in all: one value, their mean, of
 * weight ops. A histogram that cannot be had loses its values, not the
 * counts. */
static void hist_add(struct rep_agg_entry *e, enum rep_op op, uint64_t ops, uint64_t ns)
{
    struct rep_hist **h = &e->hist[op];

    if (ops == 0 || (!*h && !(*h = calloc(1, sizeof **h))))
        return;
    rep_hist_add(*h, ns / ops, ops);
}

int rep_agg_duration_seen(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                          enum rep_op op, uint64_t ops, uint64_t ns)
{
    struct rep_agg_entry *e = entry_get(a, key, proto);

    if (!e)
        return -1;
    hist_add(e, op, ops, ns);
    e->seen_ops[op] += ops;
    e->seen_ns[op] += ns;
    return 0;
}

/* c's durations of kind op but those seen already: the seen ones are
 * taken off in proportion when c holds fewer. */
static void unseen_add(struct rep_agg_entry *e, const struct rep_io_counts *c, enum rep_op op)
{
    uint64_t ops, ns, seen = e->seen_ops[op];

    rep_io_counts_timed(c, e->kind == REP_AGG_SOCKET, op, &ops, &ns);
    uint64_t taken = ops < seen ? ops : seen;
    uint64_t taken_ns = taken == seen ? e->seen_ns[op]
                                      : (uint64_t)((double)e->seen_ns[op] * (double)taken /
                                                   (double)seen);

    e->seen_ops[op] -= taken;
    e->seen_ns[op] -= taken_ns;
    hist_add(e, op, ops - taken, ns > taken_ns ? ns - taken_ns : 0);
}

int rep_agg_add(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                const struct rep_io_counts *c)
{
    struct rep_agg_entry *e = entry_get(a, key, proto);

    if (!e)
        goto overflow;
    rep_io_counts_add(&e->c, c);
    for (int op = 0; op < REP_OP_N; op++)
        unseen_add(e, c, op);
    return 0;
overflow:
    a->overflow.kind = proto->kind;
    a->overflow.summary = true;
    rep_io_counts_add(&a->overflow.c, c);
    return -1;
}

static void hists_free(struct rep_agg_entry *e)
{
    for (int op = 0; op < REP_OP_N; op++)
        free(e->hist[op]);
}

void rep_agg_drain(struct rep_agg *a,
                   void (*fn)(void *arg, const struct rep_agg_entry *e),
                   void *arg)
{
    for (size_t i = 0; i < a->cap; i++) {
        struct rep_agg_entry *e = &a->slots[i];
        if (!e->key)
            continue;
        if (!rep_io_counts_is_zero(&e->c))
            fn(arg, e);
        hists_free(e);
        free(e->key);
        memset(e, 0, sizeof *e);
    }
    a->used = 0;
    if (!rep_io_counts_is_zero(&a->overflow.c))
        fn(arg, &a->overflow);
    memset(&a->overflow, 0, sizeof a->overflow);
}

void rep_agg_free(struct rep_agg *a)
{
    for (size_t i = 0; i < a->cap; i++) {
        free(a->slots[i].key);
        hists_free(&a->slots[i]);
    }
    free(a->slots);
    memset(a, 0, sizeof *a);
}
