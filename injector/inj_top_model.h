/* inj_top_model.h: the frame model of `scope top`: what one frame shows,
 * computed from what was read, with no file, process or terminal here
 * (inj_top_collect.c reads; inj_top_view.c lays out).
 *
 * A session's metric lines are grouped per pid into periods: the lines a
 * reporter writes once a period share their _time. The newest period of a
 * pid is what the rates are computed from (counter / period length); its
 * length is the distance to the period before, or for a first period
 * proc.cpu / proc.cpu_perc (both measured over the same wall time).
 * Files, peers, HTTP statuses and targets of a period are kept as items
 * (verbosity 5 and above names files and peers; HTTP lines when the
 * library reports HTTP). Durations are kept in milliseconds: the mean
 * from AppScope's fs.duration, net.duration and http.duration.* (whose
 * _value is a mean), and p50, p90, p99 and max from scope's
 * distributions, scope.fs.duration and scope.net.duration (fields beside
 * _value, in the line's unit), or from any duration line carrying them.
 */
#ifndef INJ_TOP_MODEL_H
#define INJ_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A duration; each field in milliseconds, < 0 when not reported. */
struct inj_top_lat {
    double mean, p50, p90, p99, max;
};

enum inj_top_kind {
    INJ_TOP_FILE,               /* fs.*: in read, out written */
    INJ_TOP_PEER,               /* net.rx, net.tx by remote address: in, out */
    INJ_TOP_PORT,               /* net.duration by port: lat only */
    INJ_TOP_STATUS,             /* http.req by status code: in requests */
    INJ_TOP_TARGET,             /* http.duration.* by target: lat, in calls */
                                /* (quantiles: scope.http.duration.*) */
    INJ_TOP_KINDS
};

struct inj_top_item {
    char *name;                 /* raw (hostile: escape before printing) */
    double in, out;             /* per period */
    unsigned localp, remotep;   /* peers: ports, to find their net.duration */
    struct inj_top_lat lat;
    /* files and peers: the quantiles of their reads and writes (receives
     * and sends) apart, from scope's distributions by op */
    struct inj_top_lat in_lat, out_lat;
    double timed;               /* the calls lat.mean is the mean of */
    /* targets: the calls of the distribution (of one status) whose
     * quantiles lat has, the target's most frequent; and the calls and
     * time (ms) of all of them, for lat.mean */
    double dist_calls, dist_total, dist_ms;
};

struct inj_top_items {
    struct inj_top_item *v;
    size_t n, cap;
};

/* One period of one pid. */
struct inj_top_period {
    double time;                /* its lines' _time; 0: none yet */
    double prev_time;           /* the period before's, 0: none seen */
    double read, write, rx, tx, errors, requests;
    double cpu_us, cpu_perc;    /* proc.cpu and proc.cpu_perc, < 0: none */
    struct inj_top_items items[INJ_TOP_KINDS];
};

struct inj_top_metrics {
    struct {
        long pid;
        struct inj_top_period p;
    } *v;
    size_t n, cap;
    size_t skipped;             /* lines that are not metrics we read */
};

/* Take one NDJSON line (len bytes, no newline needed). 0, or -1 when out
 * of memory. Lines that are not metric lines, or are older than the pid's
 * newest period, are counted in m->skipped. */
int inj_top_metrics_line(struct inj_top_metrics *m, const char *line, size_t len);

/* Where a reader of a growing NDJSON file (metrics.json, which the
 * library appends to) is: the start of the first line not read yet. */
#define INJ_TOP_LINE_MAX (64 * 1024)
struct inj_top_tail {
    off_t offset;
    bool skip_line;             /* offset is inside a line to drop */
};

/* Feed m the complete lines of fp (positioned at t->offset) up to size,
 * reading at most max bytes. A line longer than INJ_TOP_LINE_MAX is
 * dropped and counted in m->skipped; a last line without its newline (the
 * library is writing it) is left for the next call. 0, or -1 when out of
 * memory. */
int inj_top_tail_read(struct inj_top_tail *t, FILE *fp, off_t size, off_t max,
                      struct inj_top_metrics *m);

/* The newest period of pid, or NULL when none was read. */
const struct inj_top_period *inj_top_metrics_of(const struct inj_top_metrics *m, long pid);

/* Forget the pids whose newest period is stale (see inj_top_rates_of) at
 * `now` (Unix time) and has been for INJ_TOP_FORGET seconds: processes of
 * the session that are gone (a shell's children). */
#define INJ_TOP_FORGET 120
void inj_top_metrics_prune(struct inj_top_metrics *m, double now);

void inj_top_metrics_free(struct inj_top_metrics *m);

/* The length of p in seconds, or 0 when it cannot be known. */
double inj_top_period_seconds(const struct inj_top_period *p);

/* The duration of a peer: its net.duration by its local port (a server's)
 * or its remote port (a client's); NULL when none was reported. */
const struct inj_top_lat *inj_top_peer_lat(const struct inj_top_period *p,
                                           const struct inj_top_item *peer);

/* ---- processes ---------------------------------------------------------- */

/* What /proc/PID/stat says (the part after the command's last ')'). */
struct inj_top_stat {
    unsigned long long ticks;   /* utime + stime, in clock ticks */
    long threads;
    long rss_pages;
};

/* 0, or -1 when text is not a stat line. */
int inj_top_stat_parse(const char *text, struct inj_top_stat *s);

/* CPU percent (of one core) between two samples taken `seconds` apart;
 * < 0 when it cannot be computed. */
double inj_top_cpu_percent(unsigned long long before, unsigned long long after,
                           double seconds, long ticks_per_second);

/* One row of the table. Unknown numbers are < 0. */
struct inj_top_proc {
    pid_t pid;
    char comm[64];              /* raw */
    const char *state;          /* "run", "attached", "detached", "unknown" */
    double cpu;                 /* percent of one core */
    long rss_kib, fds, threads;
    const struct inj_top_period *io;    /* NULL: no session figures */
    double io_age;              /* seconds since io's period ended */
    char source[640];           /* the session's name, or why no figures
                                   (raw: it may quote the process's dest) */
};

/* One frame: the rows, and what the whole view should say. */
struct inj_top_frame {
    struct inj_top_proc *v;
    size_t n;
    double now;                 /* Unix time of the frame */
    char note[256];             /* why nothing could be read, or "" */
};

/* The rates a row shows, per second of its newest period; all < 0 when
 * there is no period of known length, or it is stale (older than
 * INJ_TOP_STALE_PERIODS periods plus a second: the process stopped
 * reporting). */
#define INJ_TOP_STALE_PERIODS 2
struct inj_top_rates {
    double read, write, rx, tx, errors, requests;
};
void inj_top_rates_of(const struct inj_top_proc *p, struct inj_top_rates *r);

/* What rows sort by (descending, except pid and name). One row each in
 * inj_top_sorts (the key the operator types, the header it marks). */
enum inj_top_sort { INJ_TOP_BY_CPU, INJ_TOP_BY_MEM, INJ_TOP_BY_IO, INJ_TOP_BY_NET,
                    INJ_TOP_BY_ERR, INJ_TOP_BY_PID, INJ_TOP_BY_NAME, INJ_TOP_SORTS };
extern const char *const inj_top_sort_names[INJ_TOP_SORTS];

/* By name ("cpu", "mem", ...): the sort, or -1. */
int inj_top_sort_parse(const char *name);

void inj_top_sort(struct inj_top_proc *v, size_t n, enum inj_top_sort by);

/* Does the row match the filter: empty, its pid, or a part of its command
 * name (case-insensitive). */
bool inj_top_match(const struct inj_top_proc *p, const char *filter);

/* The items of one kind of a period, sorted by in + out descending, into
 * out (at most max); returns how many. */
size_t inj_top_items_top(const struct inj_top_period *p, enum inj_top_kind kind,
                         const struct inj_top_item **out, size_t max);

#endif
