/* rep_agg.c: per-file sums for one metric period (open addressing on path). */
#include "rep_agg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rep_fs_counts_add(struct rep_fs_counts *into, const struct rep_fs_counts *c)
{
    into->opens += c->opens;
    into->closes += c->closes;
    into->read_ops += c->read_ops;
    into->read_bytes += c->read_bytes;
    into->write_ops += c->write_ops;
    into->write_bytes += c->write_bytes;
    into->seek_ops += c->seek_ops;
    into->duration_ops += c->duration_ops;
    into->duration_ns += c->duration_ns;
    into->err_open_close += c->err_open_close;
    into->err_read_write += c->err_read_write;
}

int rep_fs_counts_is_zero(const struct rep_fs_counts *c)
{
    static const struct rep_fs_counts zero;
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
                                       const char *file)
{
    size_t i = path_hash(file) & (cap - 1);
    while (slots[i].file && strcmp(slots[i].file, file) != 0)
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
        if (a->slots[i].file)
            *slot_find(slots, cap, a->slots[i].file) = a->slots[i];
    free(a->slots);
    a->slots = slots;
    a->cap = cap;
    return 0;
}

int rep_agg_add(struct rep_agg *a, const char *file, const struct rep_fs_counts *c)
{
    if (!file) {
        rep_fs_counts_add(&a->summary.c, c);
        return 0;
    }
    if ((a->used + 1) * 2 > a->cap && table_grow(a) < 0)
        goto fallback;
    struct rep_agg_entry *e = slot_find(a->slots, a->cap, file);
    if (!e->file) {
        if (!(e->file = strdup(file)))
            goto fallback;
        a->used++;
    }
    rep_fs_counts_add(&e->c, c);
    return 0;
fallback:
    rep_fs_counts_add(&a->summary.c, c);
    return -1;
}

void rep_agg_drain(struct rep_agg *a,
                   void (*fn)(void *arg, const struct rep_agg_entry *e),
                   void *arg)
{
    for (size_t i = 0; i < a->cap; i++) {
        struct rep_agg_entry *e = &a->slots[i];
        if (!e->file)
            continue;
        if (!rep_fs_counts_is_zero(&e->c))
            fn(arg, e);
        free(e->file);
        memset(e, 0, sizeof *e);
    }
    a->used = 0;
    if (!rep_fs_counts_is_zero(&a->summary.c))
        fn(arg, &a->summary);
    memset(&a->summary, 0, sizeof a->summary);
}

void rep_agg_free(struct rep_agg *a)
{
    for (size_t i = 0; i < a->cap; i++)
        free(a->slots[i].file);
    free(a->slots);
    memset(a, 0, sizeof *a);
}
