/* inj_metrics.h: the `scope metrics` table: a session's metric lines
 * aggregated by name and all their fields but _time and _value: counters
 * summed, with the rate of their last period beside them (per second over
 * that period); gauges their last value; histograms and timers averaged;
 * distributions (scope.fs.duration, scope.net.duration) the p50, p90 and
 * p99 of their last period and the session's max. */
#ifndef INJ_METRICS_H
#define INJ_METRICS_H

#include "inj_show.h"

struct inj_metrics;

struct inj_metrics *inj_metrics_new(void);
/* An inj_line_fn: one line into the table. */
enum inj_line_verdict inj_metrics_add(json_t *root, const char *line, size_t len, void *ctx);
/* The table on stdout; dir: the session (for when it started). 0, or -1. */
int inj_metrics_print(struct inj_metrics *m, const char *dir);
void inj_metrics_free(struct inj_metrics *m);

/* A metric line's type: counter, gauge, histogram, timer; -1 for others. */
int inj_metrics_type(json_t *body);
enum { INJ_COUNTER, INJ_GAUGE, INJ_HISTOGRAM, INJ_TIMER };

#endif
