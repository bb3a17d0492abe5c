/* ip_call.h: what every wrapper does around the real call.
 *
 *     struct ip_call c;
 *     ip_call_begin(&c, fd);           // which file, and when
 *     rc = ip_real_xxx(...);
 *     ip_call_read_end(&c, rc);        // count it; errno is preserved
 *
 * Inline because this is the hot path: a few loads, plain adds to the
 * thread's own tally of the file (ip_tally.c), and two TSC reads on the
 * calls that are timed (a sample: ip_sample.h). No locks,
 * no lock-prefixed instructions, no allocation, no syscalls, and errno is
 * only read (on failure), never written. The epilogues are macros that
 * pass the wrapper's __func__, which names the failed call in an error
 * event (ip_op_of); events are made after the counting, never inside it.
 */
#ifndef IP_CALL_H
#define IP_CALL_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "ip.h"
#include "ip_sample.h"

/* Inlined into every wrapper whatever its size: a call saved is a
 * noticeable part of what a wrapper costs. */
#define IP_INLINE static inline __attribute__((always_inline))

/* The two directions of the fast path (below). */
enum ip_fast_dir { IP_FAST_READ, IP_FAST_WRITE };

struct ip_call {
    bool observed;
    uint32_t weight;                /* timed: the calls it stands for; 0: not */
    struct ip_rec_ref ref;
    /* a call on a file or socket that may be timed: the thread's tally
     * of ref's record when the call began, or NULL; found once, for both
     * the sample and the count (other calls find it when they count) */
    struct ip_tally *tally;
    uint64_t t0;                    /* ip_ticks(), when timed */
};

/* Is this call on c's file timed (ip_sample.h), and for how many calls?
 * With the thread's own tally of the file, its sampler, and the first call
 * after each drain that moved the tally is timed (a file used in a report
 * period has a duration in it); else the record's sampler, which other
 * threads share. */
IP_INLINE uint32_t ip_call_weight(const struct ip_call *c)
{
    struct ip_tally *e = c->tally;

    if (!e)
        return ip_sample_step(&c->ref.file->sampler, false, &ip_tls.sample_rng);
    uint32_t moved = __atomic_load_n(&e->move_seq, __ATOMIC_RELAXED);
    uint32_t weight = ip_sample_step(&e->sampler, moved != e->sampled_move,
                                     &ip_tls.sample_rng);
    if (weight)
        e->sampled_move = moved;
    return weight;
}

/* What every call on fd needs: whether it is observed, and fd's record
 * (fd -1: none), learned first if fd is unknown and `learn` is set (the
 * calls that move bytes). False: not observed. */
IP_INLINE bool ip_call_start(struct ip_call *c, int fd, bool learn)
{
    c->observed = ip_observing();
    c->weight = 0;
    c->t0 = 0;
    c->tally = NULL;
    if (!c->observed)
        return false;
    if (__builtin_expect(ip_tls.thread == NULL, 0))
        ip_thread_self();           /* once per thread: queue, alternate stack */
    c->ref = fd >= 0 ? ip_rec_of_fd(fd, learn) : (struct ip_rec_ref){ NULL, 0, 0 };
    return true;
}

/* A call whose duration counts. The clock is read only for a call on a
 * file or a socket, and only when it is sampled: an fd we know nothing of
 * (a pipe, the console) costs no time stamp. A socket's timed calls count
 * only as receives and sends (ip_io_counted): its duration_* are its
 * lifetime. */
IP_INLINE void ip_call_begin_in(struct ip_call *c, int fd, bool learn)
{
    if (ip_call_start(c, fd, learn) && c->ref.file) {
        c->tally = ip_tally_of(ip_tls.thread, c->ref);
        if ((c->weight = ip_call_weight(c)) != 0)
            c->t0 = ip_ticks();
    }
}

/* Reads, writes, seeks, the socket calls: an unknown fd is learned. */
IP_INLINE void ip_call_begin(struct ip_call *c, int fd)
{
    ip_call_begin_in(c, fd, true);
}

/* close: an fd about to go is not worth learning. */
IP_INLINE void ip_call_begin_close(struct ip_call *c, int fd)
{
    ip_call_begin_in(c, fd, false);
}

/* A call with no duration to report (stat, dup): it takes no sample. */
IP_INLINE void ip_call_begin_untimed(struct ip_call *c, int fd)
{
    ip_call_start(c, fd, false);
}

/* The open family: no record yet, and every open is timed (weight 1). */
IP_INLINE void ip_call_begin_open(struct ip_call *c)
{
    if (!ip_call_start(c, -1, false))
        return;
    c->weight = 1;
    c->t0 = ip_ticks();
}

/* Shared counters (a record's `live`, the orphans): other threads add too. */
static inline void ip_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* The thread's own tally: one add instruction, which a signal handler
 * cannot split; the reporter only reads it. */
static inline void ip_tally_add(uint64_t *counter, uint64_t n)
{
    __asm__("addq %1, %0" : "+m"(*counter) : "er"(n));
}

/* Add to a tally (own) or to shared counters. Inlined with `own` constant,
 * so each counting function below exists once and compiles twice. */
IP_INLINE void ip_count(uint64_t *counter, uint64_t n, bool own)
{
    if (own)
        ip_tally_add(counter, n);
    else
        ip_add(counter, n);
}

/* The calling thread's tally of the call's file (as found when the call
 * began, if it was), or NULL: it has none, its slot was taken over since
 * (by a signal handler's call during the real one), or inside another
 * wrapper's counting (a signal handler's call), which must not take the
 * tally away from under it. Non-NULL: ip_call_tally_done() once added. */
IP_INLINE struct rep_io_counts *ip_call_tally(const struct ip_call *c)
{
    struct ip_tally *e = c->tally;

    if (!e) {
        struct ip_thread *t = ip_tls.thread;
        if (!t)
            return NULL;
        e = ip_tally_slot(t, c->ref);
    }
    if (ip_tls.tallying)
        return NULL;
    ip_tls.tallying = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect(e->key == ip_rec_key(c->ref), 1))
        return &e->counts;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ip_tls.tallying = false;
    return NULL;
}

IP_INLINE void ip_call_tally_done(void)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ip_tls.tallying = false;
}

/* What a counting function adds for a call: to k, own tally or not. */
typedef void ip_counter_fn(const struct ip_call *c, struct rep_io_counts *k, bool own,
                           int64_t rc);

/* No tally found when the call began, or no longer its: take the tally's
 * slot over for the file when it can be, else count against the record
 * itself (out of line: a thread's first call on a file, or rare). */
bool ip_call_count_slow(const struct ip_call *c, ip_counter_fn *fn, int64_t rc);

/* Count the call with fn against its file: the thread's tally, else the
 * record itself. False: no file to count against. */
IP_INLINE bool ip_call_count(const struct ip_call *c, ip_counter_fn *fn, int64_t rc)
{
    if (!c->ref.file)
        return false;               /* the console, a pipe, a path: no record */
    struct rep_io_counts *k = ip_call_tally(c);
    if (__builtin_expect(k == NULL, 0))
        return ip_call_count_slow(c, fn, rc);
    fn(c, k, true, rc);
    ip_call_tally_done();
    return true;
}

/* ops and ns add up the weights and the weighted durations of the timed
 * calls (ip_sample.h); a file's duration_* have them all, and a read's or
 * a write's are also in their direction's (read_timed_*, write_timed_*),
 * for distributions per kind of call. Only timed calls get here. */
IP_INLINE void ip_call_timed(const struct ip_call *c, uint64_t took, uint64_t *ops,
                             uint64_t *ns, bool own)
{
    ip_count(ops, c->weight, own);
    ip_count(ns, took * c->weight, own);
}

/* A file's call that is neither a read nor a write (open, close, seek; a
 * failed open has no record); on a socket it counts no duration (its
 * duration_* are its lifetime). */
IP_INLINE void ip_call_duration(const struct ip_call *c, struct rep_io_counts *k, bool own)
{
    if (!c->weight || (c->ref.file && c->ref.file->kind == IP_KIND_SOCKET))
        return;                     /* not timed, or a socket's */
    ip_call_timed(c, ip_ticks() - c->t0, &k->duration_ops, &k->duration_ns, own);
}

/* A failed read or write; waiting (EAGAIN) and interruptions are not
 * errors of the file. */
static inline bool ip_io_failed(void)
{
    return errno != EAGAIN && errno != EINTR;
}

/* Console: stdout/stderr when they are a terminal, a pipe or anything
 * else with nothing to count (learned: ip_files_learn_fd). A file or a
 * socket there, redirected by the shell or put there by the program
 * (dd's dup2 onto fd 1), is that file or socket, with no console events. */
static inline bool ip_call_is_console(const struct ip_call *c, int fd)
{
    return (fd == 1 || fd == 2) && !c->ref.file;
}

/* The hooked function a wrapper stands for, for an error event: the
 * wrapper's own name without "ip_wrap_" (the epilogues below are macros
 * that pass __func__); a helper shared by several wrappers says
 * `fallback`. Only on the error path. */
static inline const char *ip_op_of(const char *func, const char *fallback)
{
    return strncmp(func, "ip_wrap_", 8) == 0 ? func + 8 : fallback;
}

/* A call failed: an fs.error event (class by kind) for a file, or a
 * net.error event for a connection; path may be NULL. Counting is the
 * caller's. */
void ip_event_error(uint16_t kind, const char *op, const char *path);
/* A call on c's record failed: an fs.error event of class `kind` for a
 * file (sockets' rx/tx errors are only counted: AppScope's net.error
 * events are about connections). errno is kept. */
void ip_call_file_error(const struct ip_call *c, uint16_t kind, const char *op);

void ip_event_console(int fd, const char *text, size_t len);
/* Text written to a file that may be a log file (see ip_logfile). */
void ip_event_file(const struct ip_call *c, int fd, const char *text, size_t len);

/* Would text written through c become a `file` event? Not once the
 * reporter has said the file is no log file. */
static inline bool ip_call_may_log(const struct ip_call *c)
{
    /* the record's answer first: after a file's first write it is
     * nearly always "no log file", and this runs on every write */
    return __builtin_expect(__atomic_load_n(&c->ref.file->logfile, __ATOMIC_RELAXED) !=
                            IP_LOG_NO, 0) &&
           ip_proc.events && ip_proc.cfg.ev_file && c->ref.file->kind == IP_KIND_FILE;
}
void ip_event_open(const char *op, int fd, const struct ip_rec *f);
/* ref: the record the last fd naming it just closed. */
void ip_event_close(const char *op, int fd, struct ip_rec_ref ref);
void ip_event_dns(uint16_t kind, const char *name, const char *addrs, size_t addrs_len,
                  uint64_t duration_ns);

/* A read or a write of rc bytes: ops and bytes are k's counters of one
 * direction, timed that direction's timed ops, then ns (read_timed_* or
 * write_timed_*, in that order in rep_counters.def); a file's timed calls
 * are in duration_* too. */
IP_INLINE void ip_io_counted(const struct ip_call *c, struct rep_io_counts *k, bool own,
                             int64_t rc, uint64_t *ops, uint64_t *bytes, uint64_t *timed)
{
    if (rc >= 0) {
        ip_count(ops, 1, own);
        ip_count(bytes, (uint64_t)rc, own);
    } else if (ip_io_failed()) {
        ip_count(&k->err_read_write, 1, own);
    }
    if (!c->weight)
        return;
    uint64_t took = ip_ticks() - c->t0;
    ip_call_timed(c, took, &timed[0], &timed[1], own);
    if (c->ref.file->kind == IP_KIND_FILE)
        ip_call_timed(c, took, &k->duration_ops, &k->duration_ns, own);
}

/* Counted in the call's own tally (own; inside its window, so no signal
 * handler's call can take the tally over meanwhile): if the record is a
 * file whose calls of direction dir the fast path may count (a write's:
 * its text can become no event), that path takes its next ones. */
IP_INLINE void ip_call_fast_arm(const struct ip_call *c, struct rep_io_counts *k, bool own,
                                enum ip_fast_dir dir)
{
    const struct ip_rec *f = c->ref.file;

    if (!own || f->kind != IP_KIND_FILE ||
        (dir == IP_FAST_WRITE && __atomic_load_n(&f->logfile, __ATOMIC_RELAXED) != IP_LOG_NO))
        return;
    struct ip_tally *e = (struct ip_tally *)((char *)k - offsetof(struct ip_tally, counts));
    e->fast_key[dir] = e->key;
}

IP_INLINE void ip_read_counted(
    const struct ip_call *c, struct rep_io_counts *k, bool own, int64_t rc)
{
    ip_io_counted(c, k, own, rc, &k->read_ops, &k->read_bytes, &k->read_timed_ops);
    ip_call_fast_arm(c, k, own, IP_FAST_READ);
}

#define ip_call_read_end(c, rc) ip_call_read_end_in(c, rc, __func__)
IP_INLINE void ip_call_read_end_in(const struct ip_call *c, ssize_t rc, const char *func)
{
    if (c->observed && ip_call_count(c, ip_read_counted, rc) &&
        __builtin_expect(rc < 0, 0) && ip_io_failed())
        ip_call_file_error(c, REP_EV_FS_ERROR_READ_WRITE, ip_op_of(func, "read"));
}

IP_INLINE void ip_write_counted(
    const struct ip_call *c, struct rep_io_counts *k, bool own, int64_t rc)
{
    ip_io_counted(c, k, own, rc, &k->write_ops, &k->write_bytes, &k->write_timed_ops);
    ip_call_fast_arm(c, k, own, IP_FAST_WRITE);
}

/* `text` is what was written (for console and log file events; NULL when
 * the caller reports it itself), `rc` bytes of it. */
#define ip_call_write_end(c, fd, text, rc) ip_call_write_end_in(c, fd, text, rc, __func__)
IP_INLINE void ip_call_write_end_in(const struct ip_call *c, int fd, const void *text,
                                    ssize_t rc, const char *func)
{
    if (!c->observed)
        return;
    if (ip_call_count(c, ip_write_counted, rc)) {
        if (__builtin_expect(rc < 0, 0) && ip_io_failed()) {
            ip_call_file_error(c, REP_EV_FS_ERROR_READ_WRITE, ip_op_of(func, "write"));
        } else if (rc > 0 && text && ip_call_may_log(c) && ip_rec_ref_valid(c->ref)) {
            int saved = errno;
            ip_event_file(c, fd, text, (size_t)rc);
            errno = saved;
        }
    } else if (rc > 0 && text && ip_call_is_console(c, fd)) {
        int saved = errno;
        ip_event_console(fd, text, (size_t)rc);
        errno = saved;
    }
}

IP_INLINE void ip_seek_counted(
    const struct ip_call *c, struct rep_io_counts *k, bool own, int64_t rc)
{
    ip_count(rc >= 0 ? &k->seek_ops : &k->err_read_write, 1, own);
    ip_call_duration(c, k, own);
}

#define ip_call_seek_end(c, rc) ip_call_seek_end_in(c, rc, __func__)
IP_INLINE void ip_call_seek_end_in(const struct ip_call *c, off_t rc, const char *func)
{
    if (c->observed && ip_call_count(c, ip_seek_counted, rc) && rc < 0)
        ip_call_file_error(c, REP_EV_FS_ERROR_READ_WRITE, ip_op_of(func, "lseek"));
}

IP_INLINE void ip_stat_counted(
    const struct ip_call *c, struct rep_io_counts *k, bool own, int64_t rc)
{
    ip_count(rc == 0 ? &k->stat_ops : &k->err_stat, 1, own);
}

/* stat family and access: rc 0 is success. Counted against the file when
 * the call names an fd we know, else process-wide. path: what the call
 * named (NULL for the fd forms), for the fs.error event. */
#define ip_call_stat_end(c, rc, path) ip_call_stat_end_in(c, rc, path, __func__)
IP_INLINE void ip_call_stat_end_in(const struct ip_call *c, int rc, const char *path,
                                   const char *func)
{
    if (!c->observed)
        return;
    if (!ip_call_count(c, ip_stat_counted, rc))
        ip_stat_counted(c, &ip_files_orphan, false, rc);
    if (rc != 0) {
        int saved = errno;
        if (!path && ip_rec_ref_valid(c->ref))
            path = ip_rec_path(c->ref.file);
        ip_event_error(REP_EV_FS_ERROR_STAT, ip_op_of(func, "stat"), path);
        errno = saved;
    }
}

void ip_event_delete(const char *op, const char *path);

/* open family: fd is the result; path as the program gave it, relative
 * to the working directory (ip_call_open_end) or to dirfd (openat). */
void ip_call_open_end(const struct ip_call *c, const char *op, int fd,
                      const char *path);
void ip_call_openat_end(const struct ip_call *c, const char *op, int fd, int dirfd,
                        const char *path);
/* close family: rc is the result of the real close. */
void ip_call_close_end(const struct ip_call *c, const char *op, int fd, int rc);
/* dup family: newfd now names what oldfd named; a file newfd named before
 * and nothing else did is closed (fs.close event). */
void ip_call_dup_end(const struct ip_call *c, int oldfd, int newfd);

/* ---- the fast path of a read or a write on a file ---------------------
 *
 * Most calls a program makes are on a file its thread already has a tally
 * of, not timed, and (writes) on no log file. For them a wrapper skips the
 * general path (ip_call_begin, its struct kept across the real call), and
 * keeps two values across the real call, not a dozen:
 *
 *     struct ip_tally *e;
 *     uint64_t key;
 *     if (!ip_call_fast_begin(fd, IP_FAST_WRITE, &e, &key))
 *         return write_slow(fd, buf, n, NULL, 0);     // not inlined: its frame
 *     if (!ip_call_fast_skip(e))
 *         return write_slow(fd, buf, n, e, key);      // timed
 *     ssize_t rc = ip_real_write(fd, buf, n);
 *     return ip_call_fast_end(e, key, rc, IP_FAST_WRITE, __func__, rc);
 *
 * ip_call_fast_begin looks at no record: the tally's fast_key says that
 * an earlier call found fd's record a file this direction may count
 * (ip_call_fast_arm). False: nothing was done, and the general path
 * decides everything. The slow function begins with ip_call_begin_slow
 * (a timed call: ip_call_fast_timed) and ends as a general call. */

/* The calling thread's tally of fd's record and its key, when the fast
 * path of dir may count the call (the first call after a drain moved the
 * tally is timed by the general path); else false. A vfork child's call, or one in the
 * vforking parent before the child is gone, takes the general path (it
 * settles which one it is). */
IP_INLINE bool ip_call_fast_begin(int fd, enum ip_fast_dir dir, struct ip_tally **tally,
                                  uint64_t *key)
{
    struct ip_thread *t = ip_tls.thread;

    if (__builtin_expect(!t || (unsigned)fd >= IP_FDS_MAX || ip_vforking ||
                         !__atomic_load_n(&ip_proc.active, __ATOMIC_RELAXED) || ip_tls.ours, 0))
        return false;
    uint64_t k = __atomic_load_n(&ip_fd_map[fd], __ATOMIC_ACQUIRE);
    uint32_t slot = (uint32_t)(k >> 32);
    if (!slot)
        return false;               /* unknown, or nothing to count */
    struct ip_tally *e = &t->tallies[slot % IP_TALLIES];
    if (e->fast_key[dir] != k ||
        __atomic_load_n(&e->move_seq, __ATOMIC_RELAXED) != e->sampled_move)
        return false;
    /* e and k alone are kept across the real call: without these empty
     * asm statements the compiler keeps what it computed them from too,
     * spilled to the stack and loaded back */
    __asm__("" : "+r"(e));
    __asm__("" : "+r"(k));
    *tally = e;
    *key = k;
    return true;
}

/* True: the call is not timed (counted as skipped by e's sampler). */
IP_INLINE bool ip_call_fast_skip(struct ip_tally *e)
{
    uint32_t skipped = __atomic_load_n(&e->sampler.skipped, __ATOMIC_RELAXED);

    if (__builtin_expect(skipped >= __atomic_load_n(&e->sampler.gap, __ATOMIC_RELAXED), 0))
        return false;
    __atomic_store_n(&e->sampler.skipped, skipped + 1, __ATOMIC_RELAXED);
    return true;
}

/* A timed call on the fast path's e (ip_call_fast_skip said no): c as
 * ip_call_begin would have made it, the clock read last; the general
 * epilogue ends it. */
IP_INLINE void ip_call_fast_timed(struct ip_call *c, struct ip_tally *e, uint64_t key)
{
    c->observed = true;
    c->ref = ip_rec_ref_of_key(key);
    c->tally = e;
    c->weight = ip_sample_step(&e->sampler, false, &ip_tls.sample_rng);
    e->sampled_move = __atomic_load_n(&e->move_seq, __ATOMIC_RELAXED);
    c->t0 = ip_ticks();
}

/* A call the fast path did not take (e NULL: ip_call_fast_begin said
 * no; else ip_call_fast_skip did, and it is timed), begun as such. */
IP_INLINE void ip_call_begin_slow(struct ip_call *c, int fd, struct ip_tally *e, uint64_t key)
{
    if (e)
        ip_call_fast_timed(c, e, key);
    else
        ip_call_begin(c, fd);
}

/* A fast call that ip_call_fast_end could not count: the general
 * epilogue (errors, a tally taken over meanwhile), out of line. func: the
 * wrapper's, for an error event. Returns ret (see ip_call_fast_end). */
uint64_t ip_call_fast_missed(struct ip_tally *e, uint64_t key, int64_t rc,
                             enum ip_fast_dir dir, const char *func, uint64_t ret);

/* After the real call: rc bytes moved on e's file (negative: failed, or
 * moved what the general epilogue must judge). Counted in the tally when
 * it can be added to now (not inside another wrapper's counting, not
 * taken over by a signal handler's call during the real one), else by
 * ip_call_fast_missed. errno is the real call's. Returns ret, what the
 * wrapper returns: handed through ip_call_fast_missed, whose call is
 * then the wrapper's last, so nothing is kept across it. */
IP_INLINE uint64_t ip_call_fast_end(struct ip_tally *e, uint64_t key, int64_t rc,
                                    enum ip_fast_dir dir, const char *func, uint64_t ret)
{
    if (__builtin_expect(rc >= 0 && !ip_tls.tallying, 1)) {
        ip_tls.tallying = true;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (__builtin_expect(e->key == key, 1)) {
            struct rep_io_counts *k = &e->counts;
            ip_tally_add(dir == IP_FAST_READ ? &k->read_ops : &k->write_ops, 1);
            ip_tally_add(dir == IP_FAST_READ ? &k->read_bytes : &k->write_bytes,
                         (uint64_t)rc);
            ip_call_tally_done();
            return ret;
        }
        ip_call_tally_done();
    }
    return ip_call_fast_missed(e, key, rc, dir, func, ret);
}

#endif
