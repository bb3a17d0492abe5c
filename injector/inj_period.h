/* inj_period.h: how long the period a metric line covers was.
 *
 * The library writes all of a period's metrics with one _time; the period
 * a line covers ends there and began at its process's previous _time (or,
 * for the first, when the session started, for the session's process).
 * Counters over that length are rates.
 */
#ifndef INJ_PERIOD_H
#define INJ_PERIOD_H

#include <jansson.h>
#include <stddef.h>

struct inj_periods {
    struct inj_pid_times *v;
    size_t n, cap;
    json_int_t start_pid;       /* the session's process, and its start */
    double start;               /* Unix time, 0: unknown */
};

/* A line of pid written at t. 0, or -1 when out of memory. */
int inj_periods_see(struct inj_periods *p, json_int_t pid, double t);
/* Seconds the period ending at t (a time seen) of pid lasted; 0: unknown. */
double inj_periods_len(const struct inj_periods *p, json_int_t pid, double t);
/* The session's process and its start, from the session's info.json. */
void inj_periods_start(struct inj_periods *p, const char *dir);
void inj_periods_free(struct inj_periods *p);

#endif
