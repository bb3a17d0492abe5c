/* rep_thread.c: the reporter thread: when to drain, collect, format and
 * write; flush and stop, bounded; the crash path; after fork. */
#include "rep_internal.h"
#include "rep_clock.h"
#include "rep_proc.h"
#include "rep_log.h"
#include "rep_start_msg.h"
#include "rep_http.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* At stop, per destination, for a slow or absent reader to take what was
 * kept: with the connect tries and the loss notice, the exit flush stays
 * under 2 s (IP_EXIT_FLUSH_MS). */
#define REP_FINISH_MS 700
#define REP_THREAD_GONE_MS 50

static int period_due(struct rep *r)
{
    if (rep_monotonic_ns() < rep_ts_ns(r->next_period))
        return 0;
    r->next_period = rep_monotonic_after_ms(r->cfg.period_s * 1000);
    return 1;
}

/* The event stream opens with who we are (AppScope's start message),
 * once per process, on this thread: it reads the user database. */
static void start_msg_add(struct rep *r)
{
    char line[REP_LINE_MAX];
    size_t n = rep_start_msg_json(line, sizeof line, &r->ident, &r->cfg, &r->metrics,
                                  &r->events);

    if (n == 0)
        r->lines_unformatted++;
    rep_batch_add(&r->ebatch, &r->events, line, n);
    r->start_msg_sent = 1;
}

static void cycle_run(struct rep *r, int force_period)
{
    if (!r->start_msg_sent)
        start_msg_add(r);
    if (__atomic_exchange_n(&r->crash_pending, 0, __ATOMIC_ACQUIRE))
        rep_batch_add(&r->ebatch, &r->events, r->crash_line, r->crash_len);
    r->src.drain(r->src.ctx, r);
    if (force_period || period_due(r))
        rep_period_emit(r);
    rep_notices_add(r);
    rep_batch_write_out(&r->ebatch, &r->events);
    rep_losses_tell_all(r);
}

/* The end: wait (bounded) for the destinations to take what was kept, then
 * tell what they lost, which they take at once if they took the rest. */
static void finish_all(struct rep *r)
{
    rep_transport_finish(&r->metrics, REP_FINISH_MS);
    rep_transport_finish(&r->events, REP_FINISH_MS);
    rep_losses_tell_all(r);
    rep_transport_finish(&r->metrics, REP_FINISH_MS / 10);
    rep_transport_finish(&r->events, REP_FINISH_MS / 10);
}

static void *reporter_main(void *arg)
{
    struct rep *r = arg;

    /* before rep_start returns (fd_table_own); the system call, as musl
     * before 1.2.2 has no gettid */
    r->thread_tid = (pid_t)syscall(SYS_gettid);
    /* The name tells `scope attach` (and operators in top -H) which thread
     * is ours: never the one to hijack for a detach. Named by itself (one
     * prctl) before rep_start returns, not by the thread that started it:
     * under attach that one is held stopped, and naming another thread
     * costs it an open, a write and a close, each round trips. */
    pthread_setname_np(pthread_self(), REP_THREAD_NAME);
    rep_fd_table_own(r);
    r->src.thread_enter(r->src.ctx);
    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct timespec tick = rep_monotonic_after_ms(REP_DRAIN_MS);
        while (!r->stop_requested && r->flush_requested == r->flush_completed &&
               pthread_cond_timedwait(&r->wake, &r->lock, &tick) != ETIMEDOUT)
            ;
        uint64_t flush_target = r->flush_requested;
        uint64_t signal_target = __atomic_load_n(&r->signal_flush_requested, __ATOMIC_ACQUIRE);
        int stopping = r->stop_requested;
        pthread_mutex_unlock(&r->lock);

        r->last_cycle = stopping;
        cycle_run(r, stopping || flush_target != r->flush_completed ||
                     signal_target != r->signal_flush_completed);
        if (stopping) {
            finish_all(r);
            /* Before anyone sees `stopped` and runs a cycle inline. */
            rep_transport_own_table(&r->metrics, 0);
            rep_transport_own_table(&r->events, 0);
        }
        __atomic_store_n(&r->signal_flush_completed, signal_target, __ATOMIC_RELEASE);

        pthread_mutex_lock(&r->lock);
        r->flush_completed = flush_target;
        if (stopping)
            r->stopped = 1;
        pthread_cond_broadcast(&r->done);
        if (stopping)
            break;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static int reporter_init(struct rep *r, const struct rep_config *cfg,
                         const struct rep_ident *ident,
                         const struct rep_source *src, char *err, size_t errlen)
{
    pthread_condattr_t ca;

    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->ident = *ident;
    rep_ident_json_make(&r->ident_json, ident);
    r->src = *src;
    if (rep_transport_open(&r->metrics, cfg->metric_enable ? cfg->metric_dest : "",
                           err, errlen) < 0)
        return -1;
    rep_transport_set_maxlen(&r->metrics, cfg->statsd_maxlen);
    if (rep_transport_open(&r->events, cfg->event_enable ? cfg->event_dest : "",
                           err, errlen) < 0) {
        rep_transport_close(&r->metrics);
        return -1;
    }
    rep_event_filters_compile(r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    r->next_period = rep_monotonic_after_ms(cfg->period_s * 1000);
    /* proc.cpu counts from now: under attach, not the process's past. */
    rep_proc_cpu_us(&r->cpu_us_before);
    r->period_start_ns = rep_monotonic_ns();
    return 0;
}

struct rep *rep_create(const struct rep_config *cfg, const struct rep_ident *ident,
                       const struct rep_source *src, char *err, size_t errlen)
{
    struct rep *r = malloc(sizeof *r);

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (reporter_init(r, cfg, ident, src, err, errlen) < 0) {
        free(r);
        return NULL;
    }
    return r;
}

int rep_start(struct rep *r)
{
    sigset_t all, old;
    int rc;

    /* The program's signals are the program's: none may land on our thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, reporter_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0) {
        r->thread_started = 1;
        rep_fd_table_split_wait(r);     /* named by then, unless the wait timed out */
    }
    return -rc;
}

/* Bounded even if the lock is held forever: a signal handler may call
 * _exit on a thread that was inside rep_flush. */
static int lock_within(struct rep *r, unsigned timeout_ms)
{
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline = rep_ts_after_ms(deadline, timeout_ms);
    return pthread_mutex_timedlock(&r->lock, &deadline) == 0 ? 0 : -1;
}

static int wait_done(struct rep *r, uint64_t target, unsigned timeout_ms)
{
    struct timespec deadline = rep_monotonic_after_ms(timeout_ms);
    int rc = 0;

    while (r->flush_completed < target && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&r->done, &r->lock, &deadline);
    return r->flush_completed >= target ? 0 : -1;
}

/* A cycle on the calling thread, when there is no reporter thread (any
 * more): one caller at a time; another one meanwhile skips (the data is
 * being written anyway). */
static void cycle_run_inline(struct rep *r)
{
    if (__atomic_exchange_n(&r->inline_cycle, 1, __ATOMIC_ACQUIRE))
        return;
    /* on a program thread: lines go out or are kept, but nothing waits
     * for a name lookup or a connect */
    r->metrics.connect_ok = r->events.connect_ok = 0;
    cycle_run(r, 1);
    r->metrics.connect_ok = r->events.connect_ok = 1;
    __atomic_store_n(&r->inline_cycle, 0, __ATOMIC_RELEASE);
}

int rep_flush(struct rep *r, unsigned timeout_ms)
{
    int rc;

    if (!r->thread_started || r->stopped) {
        cycle_run_inline(r);
        return 0;
    }
    if (lock_within(r, timeout_ms) < 0)
        return -1;
    uint64_t target = ++r->flush_requested;
    pthread_cond_signal(&r->wake);
    rc = wait_done(r, target, timeout_ms);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* pthread_join returns a moment before the kernel takes the thread out of
 * the process. Wait (bounded) for that too: a caller that needs the process
 * single-threaded again (unshare(CLONE_NEWUSER), detach giving glibc its
 * single-threaded mode back) must not still see it. */
static void thread_gone_wait(pid_t tid)
{
    struct timespec ms = { 0, 1000000 };
    char task[64];

    snprintf(task, sizeof task, "/proc/self/task/%d", (int)tid);
    for (int waited = 0; waited < REP_THREAD_GONE_MS && access(task, F_OK) == 0; waited++)
        nanosleep(&ms, NULL);
}

static int stop_thread(struct rep *r, unsigned timeout_ms)
{
    int rc;

    if (!r->thread_started) {
        if (!r->stopped)
            cycle_run_inline(r);
        r->stopped = 1;
        return 0;
    }
    if (lock_within(r, timeout_ms) < 0)
        return -1;
    if (r->stopped) {
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    r->stop_requested = 1;
    uint64_t target = ++r->flush_requested;
    pthread_cond_signal(&r->wake);
    rc = wait_done(r, target, timeout_ms);
    int joinable = r->stopped;
    pthread_mutex_unlock(&r->lock);
    if (joinable) {
        pthread_join(r->thread, NULL);
        thread_gone_wait(r->thread_tid);
        r->thread_started = 0;
    }
    return rc;
}

bool rep_last_cycle(const struct rep *r)
{
    return r->last_cycle;
}

int rep_stop(struct rep *r, unsigned timeout_ms)
{
    int rc = stop_thread(r, timeout_ms);

    if (!r->thread_started) {       /* else it still writes: no race on counts */
        rep_losses_log(&r->metrics, "metric", &r->metric_lines_told);
        rep_losses_log(&r->events, "event", &r->event_lines_told);
    }
    return rc;
}

int rep_flush_from_signal(struct rep *r, unsigned timeout_ms)
{
    struct timespec ms = { 0, 1000000 };

    if (!r->thread_started || r->stopped)
        return -1;
    uint64_t target = __atomic_add_fetch(&r->signal_flush_requested, 1, __ATOMIC_ACQ_REL);
    for (unsigned waited = 0; waited < timeout_ms; waited++) {
        if (__atomic_load_n(&r->signal_flush_completed, __ATOMIC_ACQUIRE) >= target)
            return 0;
        nanosleep(&ms, NULL);
    }
    return -1;
}

void rep_crash_event_write(struct rep *r, const struct rep_crash *c, double time)
{
    static char line[64 * 1024];    /* static: the handler runs on a small stack */
    size_t n = rep_fmt_crash_json(line, sizeof line, &r->ident_json, time, c);

    if (r->thread_started && !r->stopped) {
        r->crash_line = line;
        r->crash_len = n;
        __atomic_store_n(&r->crash_pending, 1, __ATOMIC_RELEASE);
        return;
    }
    if (__atomic_exchange_n(&r->inline_cycle, 1, __ATOMIC_ACQUIRE))
        return;                     /* a flush is writing: not ours to touch */
    if (r->events.kind == REP_TRANSPORT_FILE && r->events.pending_len == 0)
        rep_transport_write(&r->events, line, n);
    __atomic_store_n(&r->inline_cycle, 0, __ATOMIC_RELEASE);
}

void rep_destroy(struct rep *r)
{
    if (!r || r->thread_started)
        return;
    rep_transport_close(&r->metrics);
    rep_transport_close(&r->events);
    rep_agg_free(&r->agg);
    rep_event_filters_free(r);
    rep_http_state_free(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->done);
    free(r);
}

int rep_restart(struct rep *r)
{
    if (r->thread_started)
        return 0;
    r->stop_requested = 0;
    r->stopped = 0;
    return rep_start(r);
}

struct rep *rep_recreate_in_child(struct rep *old, const struct rep_ident *ident)
{
    char err[256];
    struct rep_config *cfg = malloc(sizeof *cfg);
    struct rep *r = NULL;

    /* A handed destination is reached through the copy the child inherited,
     * not by the number scope gave its parent (closed since). */
    if (cfg) {
        *cfg = old->cfg;
        rep_transport_child_url(&old->metrics, cfg->metric_dest, sizeof cfg->metric_dest);
        rep_transport_child_url(&old->events, cfg->event_dest, sizeof cfg->event_dest);
        r = rep_create(cfg, ident, &old->src, err, sizeof err);
        free(cfg);
    }

    /* The parent's descriptors are ours to close in the child; its memory
     * (queued lines, the locked mutex) is abandoned on purpose. */
    rep_transport_abandon(&old->metrics);
    rep_transport_abandon(&old->events);
    if (r && rep_start(r) != 0)
        r->thread_started = 0;
    return r;
}
