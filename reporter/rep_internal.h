/* rep_internal.h: what the pieces of the reporter share: struct rep, the
 * batches lines are gathered in, and each piece's entry points.
 *   rep_thread.c    the thread: create, cycle, flush, stop, crash, fork
 *   rep_metrics.c   counters in, metric lines out, once a period
 *   rep_latency.c   the period's durations as distributions
 *   rep_events.c    events in, filtered, event lines out
 *   rep_notice.c    what was dropped or lost, said as notices
 *   rep_fd_table.c  the reporter thread's own descriptor table
 * Not for libinterpose: rep.h is the reporter's API.
 */
#ifndef REP_INTERNAL_H
#define REP_INTERNAL_H

#include "rep.h"
#include "rep_agg.h"
#include "rep_transport.h"

#include <pthread.h>
#include <regex.h>
#include <string.h>
#include <time.h>

struct rep_http_state;

/* Room for the longest line we make: an event's text (440 bytes) and the
 * command line (1023, twice) may each grow six times when escaped. */
#define REP_LINE_MAX (32 * 1024)
#define REP_BATCH_MAX (64 * 1024)
/* Where the reporter thread's descriptors live (see rep_fd_table.c). */
enum { REP_TABLE_STARTING, REP_TABLE_OWN, REP_TABLE_SHARED };

struct rep_batch {
    char buf[REP_BATCH_MAX];
    size_t len;
};

struct rep {
    struct rep_config cfg;
    struct rep_ident ident;
    struct rep_ident_json ident_json;   /* ident as event lines say it */
    struct rep_source src;
    struct rep_transport metrics, events;
    struct rep_agg agg;
    uint64_t drops_to_report;
    uint64_t lines_unformatted;         /* did not fit REP_LINE_MAX: counted */
    uint64_t events_cut;                /* over SCOPE_EVENT_MAXEPS */
    uint64_t calls_unrecorded;          /* on fds with no record */
    uint64_t metric_lines_told, event_lines_told;   /* losses already reported */
    int inline_cycle;                   /* atomic: a cycle run off the thread */
    int table_state;                    /* atomic: REP_TABLE_* */
    const char *crash_line;             /* from the crash handler, when */
    size_t crash_len;
    int crash_pending;                  /* atomic: set */
    struct rep_net_gauges open_now;     /* as of the last collection */
    int start_reported;                 /* proc.start, once per process */
    int start_msg_sent;                 /* the event stream's first line */
    uint64_t cpu_us_before;             /* proc.cpu at the last period */
    int64_t period_start_ns;
    uint64_t dns_requests, dns_duration_ns;
    uint64_t binary_console_bytes;      /* not sent: SCOPE_ALLOW_BINARY_CONSOLE */
    uint64_t paths_cut;                 /* events whose path did not fit: marked */
    uint64_t paths_stored_cut;          /* files whose path the source cut */
    unsigned path_kept, long_paths;     /* how far, and why (the notice) */
    uint64_t log_missed_bytes;          /* written to log files, not sent */
    struct rep_http_state *http;        /* rep_http.h: made on first use */
    int tls_unseen_told;                /* rep_tls_unseen, once */
    /* event name filters (SCOPE_EVENT_*_NAME), and which paths are log
     * files; compiled here, used on this thread only */
    regex_t re[REP_WATCH_N];        /* by rep_watch.def row: event name filters,
                                       log file paths */
    int regexes_compiled;
    /* by event kind (and stdout 0, stderr 1): does its name pass its
     * filter? 0: not asked yet, 1 yes, -1 no (rep_events.c) */
    signed char name_verdicts[REP_EV_N][2];

    pthread_t thread;
    pid_t thread_tid;               /* its kernel id, for thread_gone_wait */
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    uint64_t flush_requested, flush_completed;
    uint64_t signal_flush_requested, signal_flush_completed;   /* atomic */
    int stop_requested, stopped;
    int last_cycle;                     /* the running cycle is the last: rep_last_cycle */

    struct timespec next_period;
    struct rep_batch mbatch, ebatch;
};

static inline double rep_now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void rep_batch_write_out(struct rep_batch *b, struct rep_transport *t)
{
    rep_transport_write(t, b->buf, b->len);
    b->len = 0;
}

/* A line into the batch, which goes out first when the line would not
 * fit; an empty line (one that did not format) is nothing. */
static inline void rep_batch_add(struct rep_batch *b, struct rep_transport *t,
                                 const char *line, size_t len)
{
    if (len == 0)
        return;
    if (b->len + len > sizeof b->buf)
        rep_batch_write_out(b, t);
    memcpy(b->buf + b->len, line, len);
    b->len += len;
}

/* rep_metrics.c */
/* One metric line, with the operator's tags, onto the metric batch. */
void rep_metric_write(struct rep *r, const struct rep_metric *m, double time);
/* Collect the period's counters from the source and write its metrics. */
void rep_period_emit(struct rep *r);

/* rep_latency.c */
/* The distributions of e's durations this period, one per kind of call,
 * each with e's tags (ntags of them, at most 8) and its kind's. */
void rep_latency_write(struct rep *r, const struct rep_agg_entry *e,
                       const struct rep_field *tags, size_t ntags, double time);
/* One distribution h (empty: nothing) named name, with tags (at most 8),
 * in the same form. */
struct rep_hist;
void rep_latency_dist_write(struct rep *r, const char *name, const struct rep_hist *h,
                            const struct rep_field *tags, size_t ntags, bool summary,
                            double time);

/* rep_events.c */
/* One event line onto the event batch (counted when it does not fit). */
void rep_event_line_add(struct rep *r, const char *sourcetype, const char *source,
                        double time, const struct rep_field *data, size_t n);
void rep_event_filters_compile(struct rep *r);
/* Events of kind `kind` are on, and its name passes the filter. */
bool rep_event_kind_wanted(struct rep *r, enum rep_event_kind kind);
void rep_event_filters_free(struct rep *r);

/* rep_notice.c */
/* Drops, cuts and unsent bytes since the last cycle, as notices. */
void rep_notices_add(struct rep *r);
/* What a destination lost, once it takes lines again; both batches go
 * out. */
void rep_losses_tell_all(struct rep *r);
/* At the end, lines a destination never took, in the library's log. */
void rep_losses_log(struct rep_transport *t, const char *what, uint64_t *told);

/* rep_fd_table.c */
/* On the reporter thread, first thing: work in a copy of the fd table. */
void rep_fd_table_own(struct rep *r);
/* On the thread that started the reporter: wait for that copy, then close
 * the program's copies of the destinations. */
void rep_fd_table_split_wait(struct rep *r);

#endif
