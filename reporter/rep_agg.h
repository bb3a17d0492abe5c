/* rep_agg.h: a period's file-system counters, summed per file.
 *
 * Keys are file paths (copied); the NULL key is the process-wide summary.
 * Reporter-thread only.
 */
#ifndef REP_AGG_H
#define REP_AGG_H

#include <stddef.h>
#include "rep.h"

struct rep_agg_entry {
    char *file;                 /* NULL: the summary entry */
    struct rep_fs_counts c;
};

struct rep_agg {
    struct rep_agg_entry *slots;
    size_t cap;                 /* power of two, or 0 */
    size_t used;
    struct rep_agg_entry summary;
};

/* Add c to the entry for file (NULL: summary). -1 when out of memory, in
 * which case the counts go to the summary entry instead of being lost. */
int rep_agg_add(struct rep_agg *a, const char *file, const struct rep_fs_counts *c);

/* Call fn for each entry with any count, then empty the table. */
void rep_agg_drain(struct rep_agg *a,
                   void (*fn)(void *arg, const struct rep_agg_entry *e),
                   void *arg);

void rep_agg_free(struct rep_agg *a);

#endif
