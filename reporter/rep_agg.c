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
    e->hist = NULL;
    e->seen_ops = e->seen_ns = 0;
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

/* ops calls that took ns in all: one value, their mean, of weight ops. A
 * histogram that cannot be had loses its values, not the counts. */
static void hist_add(struct rep_agg_entry *e, uint64_t ops, uint64_t ns)
{
    if (ops == 0 || (!e->hist && !(e->hist = calloc(1, sizeof *e->hist))))
        return;
    rep_hist_add(e->hist, ns / ops, ops);
}

int rep_agg_duration_seen(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                          uint64_t ops, uint64_t ns)
{
    struct rep_agg_entry *e = entry_get(a, key, proto);

    if (!e)
        return -1;
    hist_add(e, ops, ns);
    e->seen_ops += ops;
    e->seen_ns += ns;
    return 0;
}

/* c's durations but those seen already: the seen ones are taken off in
 * proportion when c holds fewer. */
static void unseen_add(struct rep_agg_entry *e, const struct rep_io_counts *c)
{
    uint64_t ops = c->duration_ops, taken = ops < e->seen_ops ? ops : e->seen_ops;
    uint64_t taken_ns = taken == e->seen_ops
                            ? e->seen_ns
                            : (uint64_t)((double)e->seen_ns * (double)taken / (double)e->seen_ops);

    e->seen_ops -= taken;
    e->seen_ns -= taken_ns;
    hist_add(e, ops - taken, c->duration_ns > taken_ns ? c->duration_ns - taken_ns : 0);
}

int rep_agg_add(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                const struct rep_io_counts *c)
{
    struct rep_agg_entry *e = entry_get(a, key, proto);

    if (!e)
        goto overflow;
    rep_io_counts_add(&e->c, c);
    unseen_add(e, c);
    return 0;
overflow:
    a->overflow.kind = proto->kind;
    a->overflow.summary = true;
    rep_io_counts_add(&a->overflow.c, c);
    return -1;
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
        free(e->key);
        free(e->hist);
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
        free(a->slots[i].hist);
    }
    free(a->slots);
    memset(a, 0, sizeof *a);
}
