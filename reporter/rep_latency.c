/* rep_latency.c: a period's durations as distributions, scope's extension
 * beside AppScope's fs.duration and net.duration (which stay means).
 *
 * Each file or socket entry that had timed calls (the sampled calls,
 * ip_sample.h; a socket's connection lifetimes) gets, once a period, one
 * distribution per kind of call, tagged op: a file's read, write and
 * other (opens, closes, seeks); a socket's recv, send and connection
 * (its lifetime, what AppScope's net.duration is a mean of).
 *   NDJSON  scope.fs.duration / scope.net.duration, a histogram whose
 *           _value is the p50 and whose p50, p90, p99, max and mean fields
 *           are microseconds (the mean exact, of the values); samples: the values it was made of; calls: the
 *           calls they stand for. The entry's tags come first (a file's
 *           file; a socket's addresses and class, as on net.rx), then op.
 *           Schema: tests/tools/scope-schemas.
 *   StatsD  the same names as timers (ms): up to REP_LATENCY_POINTS lines,
 *           the distribution's quantiles at even steps (the last is the
 *           max), each with the sample rate that makes the daemon count
 *           the calls. Its median, upper_90, upper_99 and upper are then
 *           the distribution's within the bucket error and one step.
 * rep_latency_dist_write writes any other distribution the same way (the
 * HTTP durations, every request a value: scope.http.duration.server and
 * .client, tagged as http.req).
 * A value is one sampled call when the reporter looked at the thread's
 * tally of the file or socket after each sample (it looks every drain, 10 ms: a
 * thread timing fewer than about 100 calls of one file a second); calls
 * sampled faster are averaged together first, so the tails are then
 * underestimated.
 */
#include "rep_internal.h"
#include "rep_hist.h"

#define REP_LATENCY_POINTS 100
/* StatsD: "|@0.000000" would be a rate of 0, which the daemon divides by */
#define REP_LATENCY_RATE_MIN 0.000001

static double us_of(uint64_t ns)
{
    return (double)ns / 1000.0;
}

/* The op tag of each kind of call (enum rep_op), by entry kind: named as
 * AppScope's op field names calls, but a kind, not a function. */
static const char *const op_names[][REP_OP_N] = {
    [REP_AGG_FILE] = { "read", "write", "other" },
    [REP_AGG_SOCKET] = { "recv", "send", "connection" },
};

static const char *const metric_names[] = {
    [REP_AGG_FILE] = "scope.fs.duration",
    [REP_AGG_SOCKET] = "scope.net.duration",
};

/* What all lines of one distribution have: its name, its entry's tags and
 * its op, in tags[] (room for REP_LATENCY_TAGS). */
#define REP_LATENCY_TAGS 16
struct dist {
    const struct rep_hist *h;
    const char *name;
    struct rep_field tags[REP_LATENCY_TAGS];
    size_t ntags;
    bool summary;
};

static void ndjson_write(struct rep *r, struct dist *d, double time)
{
    const struct rep_hist *h = d->h;
    struct rep_field *tags = d->tags;
    size_t n = d->ntags;
    double p50 = us_of(rep_hist_quantile(h, 0.5));

    tags[n++] = (struct rep_field)REP_FIELD_DBL("p50", p50);
    tags[n++] = (struct rep_field)REP_FIELD_DBL("p90", us_of(rep_hist_quantile(h, 0.9)));
    tags[n++] = (struct rep_field)REP_FIELD_DBL("p99", us_of(rep_hist_quantile(h, 0.99)));
    tags[n++] = (struct rep_field)REP_FIELD_DBL("max", us_of(h->max));
    tags[n++] = (struct rep_field)REP_FIELD_DBL("mean", rep_hist_mean(h) / 1000.0);
    tags[n++] = (struct rep_field)REP_FIELD_INT("samples", (long long)h->samples);
    tags[n++] = (struct rep_field)REP_FIELD_INT("calls", (long long)h->total);
    struct rep_metric m = {
        .name = d->name, .type = REP_HISTOGRAM, .value = p50, .unit = "microsecond",
        .tags = tags, .ntags = n, .summary = d->summary,
    };
    rep_metric_write(r, &m, time);
}

/* numops, the calls the lines stand for, from verbosity 8 as AppScope's:
 * what the daemon's count of the timer must come to. */
static void statsd_write(struct rep *r, struct dist *d, double time)
{
    const struct rep_hist *h = d->h;
    uint64_t points = h->samples < REP_LATENCY_POINTS ? h->samples : REP_LATENCY_POINTS;
    double rate = (double)points / (double)h->total;
    size_t n = d->ntags;

    if (r->cfg.verbosity >= 8)
        d->tags[n++] = (struct rep_field)REP_FIELD_INT("numops", (long long)h->total);
    struct rep_metric m = {
        .name = d->name, .type = REP_TIMER, .unit = "millisecond", .tags = d->tags,
        .ntags = n, .summary = d->summary,
        .sample_rate = rate < REP_LATENCY_RATE_MIN ? REP_LATENCY_RATE_MIN : rate,
    };

    for (uint64_t i = 0; i < points; i++) {
        uint64_t ns = i + 1 == points ? h->max
                                      : rep_hist_quantile(h, ((double)i + 0.5) / (double)points);
        m.value = (double)ns / 1e6;
        rep_metric_write(r, &m, time);
    }
}

static void dist_write(struct rep *r, struct dist *d, double time)
{
    if (r->cfg.metric_format == REP_FORMAT_NDJSON)
        ndjson_write(r, d, time);
    else
        statsd_write(r, d, time);
}

void rep_latency_write(struct rep *r, const struct rep_agg_entry *e,
                       const struct rep_field *tags, size_t ntags, double time)
{
    struct dist d = { .name = metric_names[e->kind], .summary = e->summary };

    if (ntags > 8)
        ntags = 8;
    for (int op = 0; op < REP_OP_N; op++) {
        if (!e->hist[op] || e->hist[op]->total == 0)
            continue;
        d.h = e->hist[op];
        memcpy(d.tags, tags, ntags * sizeof tags[0]);
        d.tags[ntags] = (struct rep_field)REP_FIELD_STR("op", op_names[e->kind][op]);
        d.ntags = ntags + 1;
        dist_write(r, &d, time);
    }
}

void rep_latency_dist_write(struct rep *r, const char *name, const struct rep_hist *h,
                            const struct rep_field *tags, size_t ntags, bool summary,
                            double time)
{
    struct dist d = { .h = h, .name = name, .summary = summary };

    if (h->total == 0)
        return;
    d.ntags = ntags > 8 ? 8 : ntags;
    memcpy(d.tags, tags, d.ntags * sizeof tags[0]);
    dist_write(r, &d, time);
}
