/* rep_agg.h: a period's counters, summed per file or socket.
 *
 * Keys are strings (copied): a file's path, or a socket's label; a summary
 * entry (one per kind and socket class) stands for everything of its kind
 * below verbosity 5. Reporter-thread only.
 */
#ifndef REP_AGG_H
#define REP_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include "rep.h"
#include "rep_hist.h"

enum rep_agg_kind { REP_AGG_FILE, REP_AGG_SOCKET };

struct rep_agg_entry {
    char *key;
    enum rep_agg_kind kind;
    bool summary;
    const char *file;           /* FILE, not summary: the path (in key) */
    struct rep_sock sock;       /* SOCKET: what it is (summary: class only) */
    struct rep_io_counts c;
    /* The period's durations by kind of call (enum rep_op), one value per
     * observation (rep_latency.c); NULL until one, or when out of memory.
     * seen_*: durations already in hist that c has not received yet
     * (rep_agg_duration_seen). */
    struct rep_hist *hist[REP_OP_N];
    uint64_t seen_ops[REP_OP_N], seen_ns[REP_OP_N];
};

struct rep_agg {
    struct rep_agg_entry *slots;
    size_t cap;                 /* power of two, or 0 */
    size_t used;
    struct rep_agg_entry overflow;  /* when out of memory: counts kept here */
};

/* Add c to the entry for key, created from `proto` (its key is ignored)
 * on first use. -1 when out of memory: the counts go to the overflow entry,
 * reported as a summary, never lost. */
int rep_agg_add(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                const struct rep_io_counts *c);

/* Durations seen before their counts arrive: ops timed calls (weights)
 * of kind op that took ns in all, since the last look, on the entry for
 * key. They go into its histogram of that kind as one value now; the same
 * durations in a later rep_agg_add are not added again. What rep_agg_add
 * brings that was not seen so goes in as one value of its own. -1 when
 * out of memory. */
int rep_agg_duration_seen(struct rep_agg *a, const char *key, const struct rep_agg_entry *proto,
                          enum rep_op op, uint64_t ops, uint64_t ns);

/* Is there an entry for key this period? */
bool rep_agg_has(const struct rep_agg *a, const char *key);

/* Call fn for each entry with any count, then empty the table. */
void rep_agg_drain(struct rep_agg *a,
                   void (*fn)(void *arg, const struct rep_agg_entry *e),
                   void *arg);

void rep_agg_free(struct rep_agg *a);

#endif
