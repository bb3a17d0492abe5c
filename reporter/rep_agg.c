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
    e->key = copy;
    /* A file entry's path is its key after the kind prefix. */
    if (e->kind == REP_AGG_FILE && !e->summary)
        e->file = strchr(copy, ':') + 1;
    return 0;
}

int rep_agg_add(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                const struct rep_io_counts *c)
{
    if ((a->used + 1) * 2 > a->cap && table_grow(a) < 0)
        goto overflow;
    struct rep_agg_entry *e = slot_find(a->slots, a->cap, key);
    if (!e->key) {
        if (entry_init(e, key, proto) < 0)
            goto overflow;
        a->used++;
    }
    rep_io_counts_add(&e->c, c);
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
        memset(e, 0, sizeof *e);
    }
    a->used = 0;
    if (!rep_io_counts_is_zero(&a->overflow.c))
        fn(arg, &a->overflow);
    memset(&a->overflow, 0, sizeof a->overflow);
}

void rep_agg_free(struct rep_agg *a)
{
    for (size_t i = 0; i < a->cap; i++)
        free(a->slots[i].key);
    free(a->slots);
    memset(a, 0, sizeof *a);
}
