/* ip.h: libscope's internal state, shared by its files (not installed).
 *
 * Three kinds of state, none of which a wrapper allocates or locks:
 *   - per thread (ip_thread): an event queue, claimed from a pool on the
 *     thread's first hooked call, given back after the thread exits and the
 *     reporter has drained it;
 *   - per open file description, a file or a socket (ip_rec, "the
 *     record"): path or addresses, and counters, so totals stay exact
 *     however many events are dropped; several fds share one record after
 *     dup. A wrapper adds to its thread's tally of the record (ip_tally:
 *     plain adds, no lock prefix); the reporter moves tallies into the
 *     record every drain;
 *   - per process (ip_proc): identity, configuration, the reporter.
 */
#ifndef IP_H
#define IP_H

#include <limits.h>
#include <stdbool.h>
#include "scope_ctl.h"
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "ip_paths.h"
#include "ip_queue.h"
#include "ip_sample.h"
#include "ip_tls_model.h"
#include "ip_vfork.h"
#include "rep.h"
#include "rep_lits.h"

#define IP_EXPORT __attribute__((visibility("default")))

/* ---- per thread --------------------------------------------------------- */

#define IP_THREADS_MAX 1024

enum ip_thread_state { IP_THREAD_FREE, IP_THREAD_ACTIVE, IP_THREAD_EXITED };

/* A thread's tally of one file record's counters. Only the thread adds to
 * `counts`, with single add instructions (a signal handler cannot split
 * them; no lock prefix: nobody else writes there). The reporter moves what
 * is new into the record's `live` each drain and notes it in `taken`. The
 * thread gives the tally to another record only once everything in it
 * was moved (or its record is gone), so a count is never lost nor mixed
 * into a record reused for another file. */
struct ip_tally {
    /* written by the thread */
    uint64_t key;               /* ip_rec_key() of the record; 0: none */
    uint32_t rekey_seq;         /* odd while the key changes */
    struct ip_sampler sampler;  /* which of its calls are timed */
    uint32_t sampled_move;      /* move_seq at its last timed call */
    /* per direction (enum ip_fast_dir): the key, once a call found the
     * record a file that direction's fast path may count (a write's: no
     * log file); 0 until then, and again when the key changes. Neither
     * changes during a record's use, so one compare on the fast path
     * stands for looking at the record (ip_call.h). */
    uint64_t fast_key[2];
    struct rep_io_counts counts;
    /* written by the reporter */
    _Alignas(64) uint32_t move_seq; /* odd while moving counts to the record */
    uint32_t taken_seq;         /* the rekey_seq that `taken` is about */
    struct rep_io_counts taken;
};

/* Tallies per thread, direct-mapped by record slot: a thread working on
 * up to this many files at once (by slot) never shares the record's
 * counters with other threads. 12 KiB a thread, touched as used; a server's
 * connections are rarely more (a colliding file is counted on its record,
 * with atomic adds). */
#define IP_TALLIES 32

/* In this order the tallies fill three whole pages after the queue's slots
 * (state before them would push their end onto a fourth). */
struct ip_thread {
    struct ip_queue queue;
    struct ip_tally tallies[IP_TALLIES];
    uint32_t state;             /* enum ip_thread_state, atomic */
};

struct ip_tls {
    struct ip_thread *thread;   /* NULL until the first hooked call */
    uint16_t claim_backoff;     /* calls before trying a full pool again */
    uint32_t sample_rng;        /* gaps between timed calls (ip_sample.h) */
    bool pushing;               /* between queue reserve and commit */
    bool ours;                  /* the reporter thread: never observed */
    bool tallying;              /* between finding a tally and adding to it */
    /* Inside a TLS library's record call (ip_wrap_tls.c): the socket
     * record its own reads and writes went to, for a library that keeps
     * no fd (curl's own BIO); and the last session it was found for. */
    bool in_tls;
    uint64_t tls_wire_key, tls_session_key;
    const void *tls_session;
};

/* A tiny block, reached without a call where the C library allows it
 * (ip_tls_model.h). */
extern IP_TLS struct ip_tls ip_tls;

int ip_threads_init(void);
struct ip_thread *ip_thread_self(void);
void ip_thread_unqueued(void);      /* an event had no queue to go to */
/* t's place in the pool, [0, IP_THREADS_MAX): per-thread state kept
 * elsewhere (the tap's rings) is found by it. */
unsigned ip_thread_index(const struct ip_thread *t);
void ip_threads_drain(struct rep *r);
uint64_t ip_threads_take_dropped(void);
void ip_threads_after_fork_child(void);
/* Detach, once nothing drains any more: give back the pages of the
 * drained queues' slots, so that attach and detach cycles do not make
 * the process grow (ip_queue_seal). */
void ip_threads_release_drained(void);
/* On the reporter thread as it starts: make detach's barrier cheap. */
void ip_threads_barrier_prepare(void);

/* ---- per file ----------------------------------------------------------- */

/* A path this long or longer is kept in a buffer of ip_paths.h. */
#define IP_PATH_MAX 256

/* CLAIMED: being filled by the thread that opened it, not yet in
 * ip_fd_map; the reporter folds only OPEN and CLOSED records. */
enum ip_rec_state { IP_REC_FREE, IP_REC_CLAIMED, IP_REC_OPEN, IP_REC_CLOSED };

/* A record is a file (fs.* metrics) or a socket (net.*: reads and writes
 * are rx and tx, whichever function moved the bytes). */
enum ip_rec_kind { IP_KIND_FILE, IP_KIND_SOCKET };

/* Is the file a log file, whose writes become `file` events? Its first
 * write looks for the literals every log file's path contains (rep_lits.h:
 * a regex may not run in a wrapper): without them it is no log file from
 * that write on. With them it may be one (MAYBE), and the reporter decides
 * with the regex, at the first write it sees. Until then, writes are
 * queued on the chance that it is, up to IP_LOG_PROBE_BYTES per file: a
 * fast writer of a data file must not fill the queue before the answer
 * comes. What a log file wrote past that is counted, and said in a
 * notice. */
enum ip_logfile { IP_LOG_UNKNOWN, IP_LOG_YES, IP_LOG_NO, IP_LOG_MAYBE };
#define IP_LOG_PROBE_BYTES 4096

/* The protocol tap of one channel of a socket: its bytes as they are on
 * the wire (IP_TAP_WIRE), or the plaintext a TLS library handed over
 * (IP_TAP_TLS). The reporter says once what protocol the channel speaks
 * (ip_tap.h); until then, and for one it parses, wrappers queue the bytes
 * that may hold a head. */
enum ip_tap_verdict { IP_TAP_UNKNOWN, IP_TAP_NOTHING, IP_TAP_PARSED };
enum { IP_TAP_WIRE, IP_TAP_TLS, IP_TAP_CHANS };
struct ip_tap_chan {
    uint32_t verdict;           /* enum ip_tap_verdict: the reporter's, atomic */
    uint32_t probe_bytes;       /* queued while IP_TAP_UNKNOWN, atomic */
    uint64_t pos[2];            /* bytes moved so far, read and written, atomic */
    uint64_t head_from[2];      /* reporter: bytes before this are body, atomic */
    uint32_t whole[2];          /* reporter: framing anywhere past head_from (a
                                 * chunked body): more of a call, atomic */
    uint64_t peeked;            /* received bytes handed over at a peek
                                 * (MSG_PEEK, SSL_peek), not read yet
                                 * (ip_tap.c), atomic */
};

struct ip_rec {
    uint32_t state;             /* enum ip_rec_state, atomic */
    uint32_t gen;               /* bumped on each reuse of the record */
    uint32_t refs;              /* fds naming it, atomic */
    uint32_t kind;              /* enum ip_rec_kind, set before publishing */
    uint32_t logfile;           /* enum ip_logfile, atomic */
    uint32_t log_probe_bytes;   /* queued while IP_LOG_UNKNOWN, atomic */
    uint32_t mapped;            /* mmap'd: 1 to be said, 2 said; atomic */
    uint64_t log_missed_bytes;  /* not queued past the probe, atomic */
    uint64_t open_ticks;        /* sockets: for the connection's lifetime */
    struct ip_sampler sampler;  /* calls made without their thread's tally */
    struct rep_sock sock;       /* sockets: what it is, addresses once known */
    struct ip_tap_chan tap[IP_TAP_CHANS];  /* sockets: the protocol tap */
    struct ip_rec *next_closed;    /* on the list of closed records */
    /* live counters: wrappers add, the reporter reads; duration_ns and
     * the *_timed_ns hold ticks (see ip_ticks) until the reporter
     * converts them */
    struct rep_io_counts live;
    /* what the reporter has already reported */
    struct rep_io_counts reported;
    uint32_t long_path;         /* ip_long_path() holds the path; 0: path[] */
    uint32_t path_cut;          /* the path was longer than what holds it */
    char path[IP_PATH_MAX];
};

/* A file record's path (set before the record is published, kept until
 * it is freed). */
static inline const char *ip_rec_path(const struct ip_rec *f)
{
    return f->long_path ? ip_long_path(f->long_path) : f->path;
}

/* A record's name as the reporter sends it: its path, ending in
 * IP_PATH_CUT_MARK when it was cut (reporter thread only). */
struct ip_rec_name {
    char buf[PATH_MAX + sizeof IP_PATH_CUT_MARK];
};
const char *ip_rec_name(const struct ip_rec *f, struct ip_rec_name *n);

/* What a wrapper remembers between before and after the real call. */
struct ip_rec_ref {
    struct ip_rec *file;
    uint32_t gen;
    uint32_t slot;              /* record index + 1 */
};

#define IP_RECS_MAX 16384
#define IP_FDS_MAX 65536

/* The records, and fd -> the record's key: its index + 1 and its
 * generation in one word (ip_rec_key), so that a lookup reads both at
 * once and cannot pair a slot with the generation of a later use of the
 * record. 0: unknown (learned at the fd's next read or write,
 * ip_files_learn_fd); IP_REC_KEY_NOTHING: learned, and nothing to count
 * (a pipe, a terminal, an eventfd). Inline lookups: every wrapped call
 * makes one. */
extern struct ip_rec *ip_rec_pool;
extern uint64_t *ip_fd_map;

int ip_files_init(void);

/* An fd we have no record of (opened before we were there, by an object
 * not patched yet, by a raw system call, inherited, 0-2 as the program
 * got them): what the kernel says it is. A file (fstat: regular,
 * directory, block, or a character device that is no terminal) or a
 * socket gets a record that counts no open; anything else the verdict
 * IP_REC_KEY_NOTHING. Returns the key fd has now (0: not an open fd).
 * Keeps errno; system calls only, no fd taken. */
uint64_t ip_files_learn_fd(int fd);

/* Calls that moved bytes on an fd with no record to count them against:
 * the record pool was out when it was opened or learned, or its number is
 * past IP_FDS_MAX. Counted (atomic), and said in a notice. */
extern uint64_t ip_files_unrecorded;

/* Slot 0 names no record: the verdict "nothing to count" for an fd, kept
 * in the map so that its calls pay no system call to learn it again. */
#define IP_REC_KEY_NOTHING ((uint64_t)1)

/* Does a key from the fd map name a record (not unknown, not nothing)? */
static inline bool ip_rec_key_names_rec(uint64_t key)
{
    return (key >> 32) != 0;
}

/* A record in one use: its slot and generation (never 0), the key of the
 * fd map and of the threads' tallies. */
static inline uint64_t ip_rec_key(struct ip_rec_ref ref)
{
    return (uint64_t)ref.slot << 32 | ref.gen;
}

/* The record a non-zero key names (in that use or a later one). */
static inline struct ip_rec *ip_rec_of_key(uint64_t key)
{
    return &ip_rec_pool[(key >> 32) - 1];
}

/* The use of a record that key names (none for 0 and IP_REC_KEY_NOTHING). */
static inline struct ip_rec_ref ip_rec_ref_of_key(uint64_t key)
{
    struct ip_rec_ref ref = { NULL, 0, 0 };

    if (ip_rec_key_names_rec(key)) {
        ref.file = ip_rec_of_key(key);
        ref.gen = (uint32_t)key;
        ref.slot = (uint32_t)(key >> 32);
    }
    return ref;
}

/* What fd names, learning it first when it is unknown and `learn` is
 * set. */
static inline struct ip_rec_ref ip_rec_of_fd(int fd, bool learn)
{
    if ((unsigned)fd >= IP_FDS_MAX) {
        if (learn)
            __atomic_fetch_add(&ip_files_unrecorded, 1, __ATOMIC_RELAXED);
        return ip_rec_ref_of_key(0);
    }
    uint64_t key = __atomic_load_n(&ip_fd_map[fd], __ATOMIC_ACQUIRE);
    if (__builtin_expect(key == 0, 0) && learn)
        key = ip_files_learn_fd(fd);
    return ip_rec_ref_of_key(key);
}

/* Is the record still in the use key names (not freed and reused)? */
static inline bool ip_rec_key_current(uint64_t key)
{
    return __atomic_load_n(&ip_rec_of_key(key)->gen, __ATOMIC_ACQUIRE) == (uint32_t)key;
}

/* Is ref's record still the one it was (not freed and reused)? */
static inline bool ip_rec_ref_valid(struct ip_rec_ref ref)
{
    return ref.file && __atomic_load_n(&ref.file->gen, __ATOMIC_RELAXED) == ref.gen;
}

/* A record's name (ip_paths.c), set while it is CLAIMED: path made
 * absolute and normal (ip_path_resolve), in a long-path buffer if the
 * record cannot hold it, cut and counted past that. reread: a learned
 * path that filled the record may be longer: read whole from link (a
 * /proc/self/fd entry) into a long-path buffer, not the stack (a wrapper
 * may run on a small signal stack). release: when the record is freed. */
void ip_rec_name_set(struct ip_rec *f, int dirfd, const char *path);
void ip_rec_name_reread(struct ip_rec *f, const char *link);
void ip_rec_name_release(struct ip_rec *f);

/* A new fd opened on path, relative to dirfd (AT_FDCWD: the working
 * directory) when relative: claim a record (or NULL when the pool is
 * out). t0: the open's ip_ticks() at its start (its duration), or 0. */
struct ip_rec *ip_rec_file_opened(int fd, int dirfd, const char *path, uint64_t t0);
/* A new socket fd (socket, accept, socketpair), described by s. */
struct ip_rec *ip_rec_socket_opened(int fd, const struct rep_sock *s);
/* fd, which named ref before the call, was closed: drop its reference
 * unless another thread already reused the fd number. Returns the record if
 * this was the last reference (the caller reports the close), else NULL. */
struct ip_rec *ip_rec_fd_closed(int fd, struct ip_rec_ref ref);
/* close_range closed [first, last]: records whose last fd went get their
 * close event. */
void ip_rec_fds_closed(unsigned first, unsigned last);
/* newfd now names what oldfd names (dup family); a file newfd named
 * before and nothing else did is closed (its close event). */
void ip_rec_fd_dup(int oldfd, int newfd);
/* A REP_EV_FILE event from a queue (reporter thread): decide once whether
 * its record is a log file, and hand it on if so. */
void ip_files_file_event(struct rep *r, const struct rep_event *ev);
/* Any other event (reporter thread): to rep_event_put, with the whole
 * path of a file whose path the event could not hold, when its record is
 * still in the same use. */
void ip_files_event_put(struct rep *r, const struct rep_event *ev);
/* At attach: forget every record (fds may have changed while detached) and
 * learn the fds already open from /proc/self/fd (ip_files_learn_fd), so
 * that sockets open now are in the gauges from the start. */
void ip_files_learn_open(void);
/* Every drain: fold the counts of files closed since the last drain into
 * the period and give their records back (after one more drain, for a
 * thread still finishing a call on them). */
void ip_files_reap(struct rep *r);
void ip_files_collect(struct rep *r);
void ip_files_after_fork_child(void);
/* ---- per-thread tallies (ip_tally.c) ------------------------------------ */

/* The one tally of t's that may hold ref's record (direct-mapped). */
static inline struct ip_tally *ip_tally_slot(struct ip_thread *t, struct ip_rec_ref ref)
{
    return &t->tallies[ref.slot % IP_TALLIES];
}

/* t's tally of ref's record, or NULL: no thread, or its slot holds
 * another record. */
static inline struct ip_tally *ip_tally_of(struct ip_thread *t, struct ip_rec_ref ref)
{
    struct ip_tally *e = t ? ip_tally_slot(t, ref) : NULL;

    return e && e->key == ip_rec_key(ref) ? e : NULL;
}

/* Take over tally e for `key` if it holds nothing unmoved; NULL if it
 * does (the caller adds to the record itself). The calling thread's own. */
struct rep_io_counts *ip_tally_claim(struct ip_tally *e, uint64_t key);
/* Reporter: move what is new in t's tallies into their records; the
 * timed calls of each file or socket among it go to r's distributions of
 * durations as one value per kind of call (rep_fs_duration_seen,
 * rep_net_duration_seen). */
void ip_tally_move(struct ip_thread *t, struct rep *r);
/* ref's counters as they stand, with what the calling thread has not had
 * moved yet (for the totals of a close event). */
void ip_tally_totals(struct ip_rec_ref ref, struct rep_io_counts *out);
/* Fork child: the forking thread's tallies so far are the parent's to
 * report (mine), every other thread's are gone. */
void ip_tally_after_fork_child(struct ip_thread *t, bool mine);

/* File counts that belong to no record: open errors, records out of
 * pool, stat calls on paths. */
extern struct rep_io_counts ip_files_orphan;
/* What changed in live since `reported` (which catches up) goes into d,
 * its duration converted from ticks to ns; false: nothing changed (d is
 * then not written). */
bool ip_counts_take(struct rep_io_counts *live, struct rep_io_counts *reported,
                    struct rep_io_counts *d);

/* Hand the count of cut events to the reporter (each second, and at the
 * last flush). */
void ip_events_cut_report(struct rep *r);
/* Events lost because a signal handler's event interrupted a push on the
 * same thread, since the last call. */
uint64_t ip_events_take_nested_drops(void);

/* ---- per process -------------------------------------------------------- */

#define IP_OUR_FDS 4

struct ip_proc {
    bool active;                /* patched and reporting */
    bool events;                /* an event destination is configured */
    pid_t pid;
    int our_fds[IP_OUR_FDS];    /* atomic: the reporter's metric and event
                                   descriptors, the log's and the host's pid
                                   namespace (ip_hostpid.h); the program's
                                   close must not take them (-1: none) */
    struct rep_ident ident;
    struct rep_config cfg;
    /* what every path of a log file contains (cfg's SCOPE_EVENT_LOGFILE_NAME):
     * a path without it is no log file, known at its open */
    struct rep_lits log_names;
    struct rep *rep;
};

extern struct ip_proc ip_proc;

/* Is fd one of the reporter's? (close, close_range leave those alone) */
static inline bool ip_fd_is_ours(int fd)
{
    for (int i = 0; i < IP_OUR_FDS; i++)
        if (fd >= 0 && fd == __atomic_load_n(&ip_proc.our_fds[i], __ATOMIC_ACQUIRE))
            return true;
    return false;
}

/* Around unshare(CLONE_NEWUSER) and setns into a user namespace, which a
 * multi-threaded process may not do: stop the reporter thread, then start
 * it again. */
bool ip_reporter_pause(void);
void ip_reporter_resume(void);

/* glibc's __libc_single_threaded, which our reporter thread clears: noted
 * at attach before the thread starts, set back at detach when the process
 * is single-threaded again (ip_single_thread.c). */
void ip_single_thread_note(void);
/* The program created or cancelled a thread (their wrappers): glibc
 * keeps the flag false after that, and so does detach. */
void ip_single_thread_spoil(void);
bool ip_single_thread_restore(void);

/* Under `scope run`: the environment exec gets keeps LD_PRELOAD (with
 * us, or our build for the other C library when the program exec'd,
 * `path`, runs on that one: ip_image.c) and the SCOPE_* settings.
 * ip_env_capture at load; for an exec, `out` needs ip_env_room(envp)
 * entries and `preload` one string. `search`: path is looked up in PATH
 * as execvp does. */
void ip_env_capture(void);
/* At attach, once notices are reset: say that /bin/sh runs unobserved,
 * if it does (ip_env.c). */
void ip_env_shell_notice(void);
/* One more "SCOPE_...=value" (a string that lives on) kept across exec. */
void ip_env_keep(const char *entry);
size_t ip_env_room(char *const envp[]);
char *const *ip_env_fix(char *const envp[], const char *path, bool search, char **out,
                        char *preload, size_t preload_cap);

/* ip_image.c: the program at path (for a script, its interpreter) runs
 * on musl: its dynamic linker is ld-musl-*. False when it cannot be read.
 * Reads the file only (open, pread): no allocation, safe in a vfork
 * child; errno is kept. */
bool ip_image_is_musl(const char *path, bool search);

/* Patch the objects loaded since the last patch, now, in the calling
 * thread (the dlopen and dlsym wrappers), unless attach, detach or the
 * reporter is patching already (it then covers them). errno is kept. */
void ip_objects_patch_now(void);

/* Flush what is pending, bounded in time: before exec, at exit, and from
 * a signal handler before the process dies (async-signal-safe). */
#define IP_EXIT_FLUSH_MS 2000
void ip_flush_before_exec(void);
void ip_flush_at_exit(void);
void ip_flush_at_signal(void);

/* ---- crash backtraces (ip_crash.c) ------------------------------------ */

/* Install the crash handler when cfg asks for backtraces. Returns NULL, or
 * a note for the operator about what will be missing. */
const char *ip_crash_enable(const struct rep_config *cfg);
/* Give the signals back to the program's own dispositions. */
void ip_crash_disable(void);
/* A thread's first hooked call: give it an alternate signal stack (record
 * `index`'s) unless it has one, so that a stack overflow is caught too. */
void ip_crash_thread_start(unsigned index);
/* Its record is being given back: stop using that alternate stack. */
void ip_crash_thread_end(void);

/* ---- helpers for wrappers ----------------------------------------------- */

static inline int64_t ip_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);   /* vDSO: no system call */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static inline int64_t ip_now_ns(void) { return ip_clock_ns(CLOCK_MONOTONIC); }
static inline int64_t ip_wall_ns(void) { return ip_clock_ns(CLOCK_REALTIME); }

/* Durations are taken in ticks: the TSC when it runs at a constant rate
 * (a few ns to read, against two vDSO clock reads), else nanoseconds. The
 * reporter converts ticks to ns with ip_ticks_to_ns(). */
extern bool ip_tsc_usable;
static inline uint64_t ip_ticks(void)
{
    return ip_tsc_usable ? __builtin_ia32_rdtsc() : (uint64_t)ip_now_ns();
}
void ip_ticks_calibrate_start(void);
void ip_ticks_recalibrate(void);    /* reporter, every drain */
uint64_t ip_ticks_to_ns(uint64_t ticks);

/* Should this call be observed at all? */
static inline bool ip_observing(void)
{
    if (__builtin_expect(ip_vforking, 0) && !ip_vfork_settle())
        return false;
    return __atomic_load_n(&ip_proc.active, __ATOMIC_RELAXED) && !ip_tls.ours;
}

#endif
