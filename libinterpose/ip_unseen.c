/* ip_unseen.c: counts of what scope cannot see, their notices and
 * counters. */
#include "ip_unseen.h"
#include "rep.h"

#include <stdbool.h>

struct unseen_row {
    bool once;
    const char *metric, *unit, *message;
};

static const struct unseen_row rows[IP_UNSEEN_N] = {
#define IP_UNSEEN(id, once, metric, unit, message) \
    [IP_UNSEEN_##id] = { once, metric, unit, message },
#include "ip_unseen.def"
#undef IP_UNSEEN
};

static uint64_t counts[IP_UNSEEN_N];   /* atomic: since the last report */
static bool said[IP_UNSEEN_N];         /* reporter only */

void ip_unseen_add(enum ip_unseen what, uint64_t n)
{
    __atomic_add_fetch(&counts[what], n, __ATOMIC_RELAXED);
}

void ip_unseen_report(struct rep *r)
{
    for (unsigned i = 0; i < IP_UNSEEN_N; i++) {
        uint64_t n = __atomic_exchange_n(&counts[i], 0, __ATOMIC_RELAXED);
        if (n && rows[i].metric)
            rep_counter_add(r, rows[i].metric, rows[i].unit, n);
        if (!n || !rows[i].message || (rows[i].once && said[i]))
            continue;
        said[i] = true;
        rep_notice(r, rows[i].message, (unsigned long long)n);
    }
}

void ip_unseen_reset(void)
{
    for (unsigned i = 0; i < IP_UNSEEN_N; i++) {
        __atomic_store_n(&counts[i], 0, __ATOMIC_RELAXED);
        said[i] = false;
    }
}
