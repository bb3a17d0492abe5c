/* rep_latency.c: a period's durations as distributions, scope's extension
 * beside AppScope's fs.duration and net.duration (which stay means).
 *
 * Each file or socket entry that had timed calls (files: the sampled
 * calls, ip_sample.h; sockets: connection lifetimes) gets, once a period:
 *   NDJSON  scope.fs.duration / scope.net.duration, a histogram whose
 *           _value is the p50 and whose p50, p90, p99 and max fields are
 *           microseconds; samples: the values it was made of; calls: the
 *           calls they stand for. The duration metric's own tags come
 *           first. Schema: tests/tools/scope-schemas.
 *   StatsD  the same names as timers (ms): up to REP_LATENCY_POINTS lines,
 *           the distribution's quantiles at even steps (the last is the
 *           max), each with the sample rate that makes the daemon count
 *           the calls. Its median, upper_90, upper_99 and upper are then
 *           the distribution's within the bucket error and one step.
 * A value is one sampled call when the reporter looked at the thread's
 * tally of the file after each sample (it looks every drain, 10 ms: a
 * thread timing fewer than about 100 calls of one file a second); calls
 * sampled faster are averaged together first, so the tails are then
 * underestimated.
 */
#include "rep_internal.h"
#include "rep_hist.h"

#include <stdio.h>

#define REP_LATENCY_POINTS 100
/* StatsD: "|@0.000000" would be a rate of 0, which the daemon divides by */
#define REP_LATENCY_RATE_MIN 0.000001

static double us_of(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static void ndjson_write(struct rep *r, const struct rep_hist *h, const struct rep_metric *d,
                         const char *name, double time)
{
    struct rep_field tags[16];
    size_t n = d->ntags < 10 ? d->ntags : 10;
    double p50 = us_of(rep_hist_quantile(h, 0.5));

    memcpy(tags, d->tags, n * sizeof tags[0]);
    tags[n++] = (struct rep_field)REP_FIELD_DBL("p50", p50);
    tags[n++] = (struct rep_field)REP_FIELD_DBL("p90", us_of(rep_hist_quantile(h, 0.9)));
    tags[n++] = (struct rep_field)REP_FIELD_DBL("p99", us_of(rep_hist_quantile(h, 0.99)));
    tags[n++] = (struct rep_field)REP_FIELD_DBL("max", us_of(h->max));
    tags[n++] = (struct rep_field)REP_FIELD_INT("samples", (long long)h->samples);
    tags[n++] = (struct rep_field)REP_FIELD_INT("calls", (long long)h->total);
    struct rep_metric m = {
        .name = name, .type = REP_HISTOGRAM, .value = p50, .unit = "microsecond",
        .tags = tags, .ntags = n, .summary = d->summary,
    };
    rep_metric_write(r, &m, time);
}

static void statsd_write(struct rep *r, const struct rep_hist *h, const struct rep_metric *d,
                         const char *name, double time)
{
    uint64_t points = h->samples < REP_LATENCY_POINTS ? h->samples : REP_LATENCY_POINTS;
    double rate = (double)points / (double)h->total;
    struct rep_metric m = {
        .name = name, .type = REP_TIMER, .unit = "millisecond", .tags = d->tags,
        .ntags = d->ntags, .summary = d->summary,
        .sample_rate = rate < REP_LATENCY_RATE_MIN ? REP_LATENCY_RATE_MIN : rate,
    };

    for (uint64_t i = 0; i < points; i++) {
        uint64_t ns = i + 1 == points ? h->max
                                      : rep_hist_quantile(h, ((double)i + 0.5) / (double)points);
        m.value = (double)ns / 1e6;
        rep_metric_write(r, &m, time);
    }
}

void rep_latency_write(struct rep *r, const struct rep_agg_entry *e,
                       const struct rep_metric *duration, double time)
{
    char name[64];

    if (!e->hist || e->hist->total == 0)
        return;
    snprintf(name, sizeof name, "scope.%s", duration->name);
    if (r->cfg.metric_format == REP_FORMAT_NDJSON)
        ndjson_write(r, e->hist, duration, name, time);
    else
        statsd_write(r, e->hist, duration, name, time);
}
