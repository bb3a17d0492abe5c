/* rep_hist.c: log-linear buckets (see rep_hist.h). */
#include "rep_hist.h"

unsigned rep_hist_bucket(uint64_t value)
{
    if (value < REP_HIST_SUB)
        return (unsigned)value;
    unsigned top = 63u - (unsigned)__builtin_clzll(value);     /* >= SUB_BITS */
    if (top >= REP_HIST_TOP_BITS)
        return REP_HIST_BUCKETS - 1;
    unsigned sub = (unsigned)(value >> (top - REP_HIST_SUB_BITS)) - REP_HIST_SUB;
    return (top - REP_HIST_SUB_BITS + 1) * REP_HIST_SUB + sub;
}

/* Bucket b holds [lo, lo + width): width 1 in the exact range. */
uint64_t rep_hist_bucket_mid(unsigned bucket)
{
    if (bucket < REP_HIST_SUB)
        return bucket;
    unsigned top = bucket / REP_HIST_SUB + REP_HIST_SUB_BITS - 1;
    uint64_t sub = bucket % REP_HIST_SUB;
    uint64_t width = (uint64_t)1 << (top - REP_HIST_SUB_BITS);

    return ((REP_HIST_SUB + sub) << (top - REP_HIST_SUB_BITS)) + width / 2;
}

void rep_hist_add(struct rep_hist *h, uint64_t value, uint64_t weight)
{
    if (weight == 0)
        return;
    if (h->samples == 0 || value < h->min)
        h->min = value;
    if (h->samples == 0 || value > h->max)
        h->max = value;
    h->weight[rep_hist_bucket(value)] += weight;
    h->total += weight;
    h->samples++;
    h->sum += (double)value * (double)weight;
}

double rep_hist_mean(const struct rep_hist *h)
{
    return h->total ? h->sum / (double)h->total : 0;
}

uint64_t rep_hist_quantile(const struct rep_hist *h, double q)
{
    if (h->total == 0)
        return 0;
    /* the rank of the value sought, 1-based: the smallest weight that
     * reaches q of the total */
    double want = q * (double)h->total;
    uint64_t rank = want < 1 ? 1 : (uint64_t)want;
    uint64_t seen = 0;
    unsigned b = 0;

    if ((double)rank < want)
        rank++;
    if (rank > h->total)
        rank = h->total;
    for (; b < REP_HIST_BUCKETS - 1; b++)
        if ((seen += h->weight[b]) >= rank)
            break;
    uint64_t v = rep_hist_bucket_mid(b);
    return v < h->min ? h->min : v > h->max ? h->max : v;
}
