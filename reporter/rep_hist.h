/* rep_hist.h: a distribution of durations, as log-linear buckets.
 *
 * Values (nanoseconds) below REP_HIST_SUB are kept exactly; above, each
 * power of two is cut into REP_HIST_SUB equal buckets, so a bucket is at
 * most 1/REP_HIST_SUB of its lower bound wide. A quantile is reported as
 * the middle of its bucket, clamped to the smallest and largest value
 * added: within REP_HIST_ERROR (1/16, 6.25%) of a value that was added.
 * Values of 2^REP_HIST_TOP_BITS ns (about 4.9 hours) and more share the
 * last bucket; the maximum is kept exactly. Each value has a weight (the
 * calls a sampled call stands for, ip_sample.h). Plain memory, no locks:
 * one thread's.
 */
#ifndef REP_HIST_H
#define REP_HIST_H

#include <stdint.h>

#define REP_HIST_SUB_BITS 3
#define REP_HIST_SUB (1u << REP_HIST_SUB_BITS)
#define REP_HIST_TOP_BITS 44
#define REP_HIST_BUCKETS ((REP_HIST_TOP_BITS - REP_HIST_SUB_BITS + 1) * REP_HIST_SUB)
#define REP_HIST_ERROR (1.0 / (2 * REP_HIST_SUB))

struct rep_hist {
    uint64_t weight[REP_HIST_BUCKETS];
    uint64_t total;             /* the weights */
    uint64_t samples;           /* the values added */
    uint64_t min, max;          /* valid when samples */
    double sum;                 /* of value x weight: the mean, exactly */
};

/* Add one value (ns) that stands for `weight` (>= 1) calls. */
void rep_hist_add(struct rep_hist *h, uint64_t value, uint64_t weight);

/* The value below which a fraction q (0 < q <= 1) of the weight lies, as
 * above; 0 when the distribution is empty. */
uint64_t rep_hist_quantile(const struct rep_hist *h, double q);

/* The mean of the weight's values (ns); 0 when empty. */
double rep_hist_mean(const struct rep_hist *h);

/* Bucket of a value, and the middle of a bucket (exposed for tests). */
unsigned rep_hist_bucket(uint64_t value);
uint64_t rep_hist_bucket_mid(unsigned bucket);

#endif
