/* rep_clock.h: the monotonic clock, as the reporter and the CLI read it.
 *
 * CLOCK_MONOTONIC for every wait, period and backoff: the wall clock may
 * jump (NTP, an operator), and a wait must not. CLOCK_REALTIME is only for
 * the time stamps lines carry.
 */
#ifndef REP_CLOCK_H
#define REP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t rep_ts_ns(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t rep_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return rep_ts_ns(ts);
}

static inline int64_t rep_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds from `start` (CLOCK_MONOTONIC) to now: how long a step
 * took, for the CLI's timings. */
static inline double rep_ms_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* ts + ms, normalized: a deadline for the timed waits. */
static inline struct timespec rep_ts_after_ms(struct timespec ts, unsigned ms)
{
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* The CLOCK_MONOTONIC time ms from now (pthread_cond_timedwait on a
 * condition variable set to that clock). */
static inline struct timespec rep_monotonic_after_ms(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return rep_ts_after_ms(ts, ms);
}

#endif
