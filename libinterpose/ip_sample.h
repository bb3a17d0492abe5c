/* ip_sample.h: which calls on a file or a socket are timed, and how many
 * calls each timed one stands for.
 *
 * Reading the clock twice costs more than 10% of a short call, so a file's
 * (a socket's) calls are timed one in about IP_SAMPLE_EVERY, at random gaps: a
 * program's own rhythm (a header write, then a body write) cannot line up
 * with them. A timed call stands for itself and for the calls skipped
 * since the previous timed one: its duration counts that many times (its
 * weight). The weighted mean estimates the mean over all calls, and the
 * weights add up to about the calls made (not those skipped after the last
 * timed one). A caller may force a call to be timed: it stands for itself
 * alone, outside the random gaps, so a rhythm of forced calls cannot tilt
 * the mean towards them.
 *
 * A sampler is two words updated with plain loads and stores. Several
 * threads may share one (a file record's), and a signal handler's call may
 * come between a load and a store: a race makes a weight somewhat too
 * small or too large. The counts of calls and bytes are kept elsewhere and
 * stay exact.
 */
#ifndef IP_SAMPLE_H
#define IP_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#define IP_SAMPLE_EVERY 16

struct ip_sampler {
    uint32_t skipped;           /* calls not timed since the last timed one */
    uint32_t gap;               /* calls to skip before the next timed one */
};

/* The next gap, uniform in [IP_SAMPLE_EVERY/2, 3*IP_SAMPLE_EVERY/2), from
 * the caller's xorshift32 state (0: not seeded yet). */
static inline uint32_t ip_sample_gap(uint32_t *rng)
{
    uint32_t x = *rng ? *rng : 0x9e3779b9u;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *rng = x;
    return IP_SAMPLE_EVERY / 2 + x % IP_SAMPLE_EVERY;
}

/* One call on s's file: 0 if it is not timed, else its weight. A fresh
 * (zeroed) sampler times its first call, with weight 1. */
static inline uint32_t ip_sample_step(struct ip_sampler *s, bool force, uint32_t *rng)
{
    if (force)
        return 1;
    uint32_t skipped = __atomic_load_n(&s->skipped, __ATOMIC_RELAXED);

    if (skipped < __atomic_load_n(&s->gap, __ATOMIC_RELAXED)) {
        __atomic_store_n(&s->skipped, skipped + 1, __ATOMIC_RELAXED);
        return 0;
    }
    __atomic_store_n(&s->skipped, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->gap, ip_sample_gap(rng), __ATOMIC_RELAXED);
    return skipped + 1;
}

#endif
