/* rep.h: the in-process reporter.
 *
 * One thread per process that pulls what the program's threads produced,
 * aggregates it and sends it out:
 *   - every REP_DRAIN_MS it asks its source to drain the per-thread event
 *     queues (rep_event_put for each event) and writes the events out;
 *   - every summary period it asks its source to collect counter deltas
 *     (rep_fs_add), and writes the period's metrics;
 *   - rep_flush() and rep_stop() do both at once, bounded in time, for exec
 *     and exit.
 * The source (libinterpose) owns the queues and counters; the reporter owns
 * aggregation, formatting and transports. Nothing here is called from a
 * wrapper: rep_* functions may lock and allocate.
 */
#ifndef REP_H
#define REP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rep_config.h"
#include "rep_event.h"
#include "rep_fmt.h"

#define REP_DRAIN_MS 10
#define REP_THREAD_NAME "scope-reporter"

struct rep;

/* What happened to one file (or, with file == NULL, to files in general)
 * since the last collection: the counters of rep_counters.def. */
struct rep_io_counts {
#define REP_COUNT(field) uint64_t field;
#include "rep_counters.def"
#undef REP_COUNT
};

/* Each counter's index when the struct is walked as an array. */
enum rep_counter_index {
#define REP_COUNT(field) REP_COUNT_##field,
#include "rep_counters.def"
#undef REP_COUNT
    REP_COUNTS_N,
    REP_COUNT_NONE = -1,
};

/* The array view is what the struct is: no padding, in table order. */
_Static_assert(sizeof(struct rep_io_counts) == REP_COUNTS_N * sizeof(uint64_t),
               "rep_io_counts is an array of uint64_t");
#define REP_COUNT(field)                                                       \
    _Static_assert(offsetof(struct rep_io_counts, field) ==                      \
                   REP_COUNT_##field * sizeof(uint64_t), "rep_io_counts." #field);
#include "rep_counters.def"
#undef REP_COUNT

static inline uint64_t *rep_io_counts_array(struct rep_io_counts *c)
{
    return (uint64_t *)c;
}

static inline const uint64_t *rep_io_counts_const_array(const struct rep_io_counts *c)
{
    return (const uint64_t *)c;
}

void rep_io_counts_add(struct rep_io_counts *into, const struct rep_io_counts *c);

/* The kinds of call a distribution of durations is kept for: reads and
 * writes (a socket's receives and sends), and the rest (a file's opens,
 * closes and seeks; a socket's whole connections). */
enum rep_op { REP_OP_READ, REP_OP_WRITE, REP_OP_OTHER, REP_OP_N };
/* c's timed calls of kind op (socket: c is a socket's counters): their
 * weights, and the time they took. */
void rep_io_counts_timed(const struct rep_io_counts *c, bool socket, enum rep_op op,
                         uint64_t *ops, uint64_t *ns);
int rep_io_counts_is_zero(const struct rep_io_counts *c);

struct rep_source {
    void *ctx;
    /* Runs first thing on the reporter thread (e.g. to mark it as ours). */
    void (*thread_enter)(void *ctx);
    /* Hand every pending event to rep_event_put(). */
    void (*drain)(void *ctx, struct rep *r);
    /* Hand counter deltas since the last call to rep_fs_add(), and the
     * number of events dropped since the last call to rep_drops_add(). */
    void (*collect)(void *ctx, struct rep *r);
};

/* Create the reporter and open its destinations; NULL with a reason in
 * `err` when a destination cannot be opened. Does not start the thread. */
struct rep *rep_create(const struct rep_config *cfg,
                       const struct rep_ident *ident,
                       const struct rep_source *src,
                       char *err, size_t errlen);

int rep_start(struct rep *r);

/* Drain, collect and write everything now, on the reporter thread; wait at
 * most timeout_ms for it. Returns 0 when done in time, -1 otherwise. */
int rep_flush(struct rep *r, unsigned timeout_ms);

/* rep_flush, then end the thread; it returns once the thread has left the
 * process (bounded). Safe to call more than once. */
int rep_stop(struct rep *r, unsigned timeout_ms);

/* The cycle running (on the reporter thread) is its last: the reporter is
 * stopping (exit, detach). What is said at the end of something that is
 * still going is said now. */
bool rep_last_cycle(const struct rep *r);

/* Start the thread again after rep_stop (a program that must be single-
 * threaded for a moment: unshare(CLONE_NEWUSER)). 0 or -errno. */
int rep_restart(struct rep *r);

/* From a signal handler (async-signal-safe, no locks): ask the reporter
 * thread for a full cycle and wait for it at most timeout_ms. 0 when done,
 * -1 otherwise (no thread, or it did not answer in time: it may be
 * waiting for a lock the crashing thread holds). */
int rep_flush_from_signal(struct rep *r, unsigned timeout_ms);

/* From a signal handler: hand the crash event to the reporter thread,
 * past the queues; rep_flush_from_signal then waits for it to be written.
 * With no reporter thread, written here to a file destination that has
 * nothing kept for later (anything else could allocate or block). Never
 * touches the transport while another thread does. One crash at a time. */
void rep_crash_event_write(struct rep *r, const struct rep_crash *c, double time);

/* Free a stopped reporter and close its destinations. A reporter whose
 * thread did not stop in time is left as it is (its thread may still use
 * it). */
void rep_destroy(struct rep *r);

/* After fork, in the child: the reporter thread does not exist there and
 * its locks may be held. Forget `r` (its memory is the parent's) and build
 * a fresh reporter for the child. */
struct rep *rep_recreate_in_child(struct rep *old, const struct rep_ident *ident);

/* Called by the source from drain() and collect(), on the reporter thread. */
/* whole_path: the path of the file an fs event is about, when the event
 * held only its start (h.text_cut); NULL: the event's text. */
void rep_event_put(struct rep *r, const struct rep_event *ev, const char *whole_path);
void rep_fs_add(struct rep *r, const char *file, const struct rep_io_counts *c);
/* Timed calls of kind op on a file seen between collections (a drain):
 * ops calls (weights) that took ns in all. Each call of this makes one
 * value of the file's distribution of durations of that kind
 * (rep_latency.c); the same durations still come in rep_fs_add's counts,
 * and are not added twice. */
void rep_fs_duration_seen(struct rep *r, const char *file, enum rep_op op, uint64_t ops,
                          uint64_t ns);
/* The same counters for a socket: bytes read are net.rx, written net.tx,
 * opens and closes are connections, duration is connection lifetime. */
void rep_net_add(struct rep *r, const struct rep_sock *s, const struct rep_io_counts *c);
/* A datagram of socket `sock` with its peer (peer: sock with the remote
 * address), counted under the peer, within a bound of peers a period. */
void rep_net_datagram(struct rep *r, const struct rep_sock *sock, const struct rep_sock *peer,
                      const struct rep_io_counts *c);
/* A socket's timed receives (REP_OP_READ) or sends (REP_OP_WRITE), as
 * rep_fs_duration_seen. */
void rep_net_duration_seen(struct rep *r, const struct rep_sock *s, enum rep_op op,
                           uint64_t ops, uint64_t ns);
/* Sockets open now, for the gauges: net.tcp (inet stream), net.udp (inet
 * datagram), net.other (any other family or type), net.port (inet sockets whose local port is
 * known: connected, accepted or listening). */
struct rep_net_gauges {
    unsigned tcp, udp, other, ports;
};
void rep_net_open_now(struct rep *r, const struct rep_net_gauges *g);
/* Name lookups since the last collection. */
void rep_dns_add(struct rep *r, uint64_t requests, uint64_t duration_ns);
/* A process-wide counter of the period, sent now (n > 0): what scope
 * counts of itself, such as scope.io_uring.setup. */
void rep_counter_add(struct rep *r, const char *name, const char *unit, uint64_t n);
void rep_drops_add(struct rep *r, uint64_t events_dropped);
/* Events not sent because of the SCOPE_EVENT_MAXEPS rate limit. */
void rep_events_cut_add(struct rep *r, uint64_t cut);
/* A notice now, printf-formatted. */
void rep_notice(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Files whose paths the source stored cut to their first `kept` bytes,
 * with all of its `long_slots` buffers for longer ones in use. */
void rep_paths_stored_cut_add(struct rep *r, uint64_t files, unsigned kept, unsigned long_slots);

bool rep_events_wanted(const struct rep *r);

/* Log files (SCOPE_EVENT_FILE, SCOPE_EVENT_LOGFILE_NAME): is `path` one
 * whose writes become `file` events? Reporter thread only: it runs a
 * regex. */
bool rep_file_is_log(struct rep *r, const char *path);
/* A REP_EV_FILE event: text written to the log file `path`. */
void rep_file_event_put(struct rep *r, const char *path, const struct rep_event *ev);
/* Bytes written to log files that were not sent as events (the source
 * could not queue them before it knew the file was a log file). */
void rep_file_missed_add(struct rep *r, uint64_t bytes);
/* Calls on files and sockets the library had no record for (more open at
 * once than it keeps records of): not in fs.* and net.*, said in a
 * notice. */
void rep_unrecorded_add(struct rep *r, uint64_t calls);

/* Where to keep the descriptors the reporter writes to (-1 where none),
 * metrics' and events', so that the program's own closes can be kept off
 * them; updated at every (re)connect, on the reporter thread. */
void rep_fds_publish(struct rep *r, int fds[2]);

#endif
