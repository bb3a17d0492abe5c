/* inj_clock.h: how long something took, on the monotonic clock. */
#ifndef INJ_CLOCK_H
#define INJ_CLOCK_H

#include <time.h>

/* Milliseconds from `start` (CLOCK_MONOTONIC) to now. */
double inj_ms_since(const struct timespec *start);

#endif
