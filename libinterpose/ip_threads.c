/* ip_threads.c: the pool of per-thread records and their event queues.
 *
 * The pool is one anonymous mapping made at attach; pages are touched only
 * by threads that use them. A thread claims a record with one CAS on its
 * first hooked call; a pthread key destructor marks it exited, and the
 * reporter frees it once its queue is empty and its tallies are moved.
 * Detach gives the pages of the drained queues' slots back.
 */
#include "ip.h"

#include <pthread.h>
#include <string.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

IP_TLS struct ip_tls ip_tls;

static struct ip_thread *pool;
static uint32_t pool_high;          /* records [0, pool_high) were ever used */
static uint64_t unqueued_drops;     /* events of threads that got no record */
static pthread_key_t exit_key;
static bool sealing;                /* ip_threads_release_drained under way */

/* A child forked while detach had the queues sealed would keep them
 * sealed, and drop every event of a later attach: what they hold is the
 * parent's anyway. */
static void child_unseal(void)
{
    if (!sealing)
        return;
    sealing = false;
    for (uint32_t i = 0; i < pool_high; i++)
        ip_queue_reset(&pool[i].queue);
}

static void thread_exited(void *arg)
{
    struct ip_thread *t = arg;

    ip_tls.thread = NULL;
    /* The record (and its alternate signal stack) goes to another thread
     * soon: this one must not take a signal on that stack any more. */
    ip_crash_thread_end();
    __atomic_store_n(&t->state, IP_THREAD_EXITED, __ATOMIC_RELEASE);
}

int ip_threads_init(void)
{
    if (pool)
        return 0;
    void *p = mmap(NULL, IP_THREADS_MAX * sizeof(struct ip_thread),
                   PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (pthread_key_create(&exit_key, thread_exited) != 0) {
        munmap(p, IP_THREADS_MAX * sizeof(struct ip_thread));
        return -1;
    }
    pthread_atfork(NULL, NULL, child_unseal);
    pool = p;
    return 0;
}

static void pool_high_raise(uint32_t used)
{
    uint32_t high = __atomic_load_n(&pool_high, __ATOMIC_RELAXED);
    while (high < used &&
           !__atomic_compare_exchange_n(&pool_high, &high, used, true,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

static struct ip_thread *record_claim(void)
{
    for (uint32_t i = 0; i < IP_THREADS_MAX; i++) {
        uint32_t expect = IP_THREAD_FREE;
        if (__atomic_compare_exchange_n(&pool[i].state, &expect,
                                        IP_THREAD_ACTIVE, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            pool_high_raise(i + 1);
            return &pool[i];
        }
    }
    return NULL;
}

/* Calls a thread that found the pool full makes before it looks again:
 * a scan of 1024 records on every call would cost the program. */
#define CLAIM_RETRY_CALLS 4096

/* The caller's record, claimed on first use; NULL when the pool is out (the
 * caller counts its event as dropped with ip_thread_unqueued()). */
struct ip_thread *ip_thread_self(void)
{
    struct ip_thread *t = ip_tls.thread;

    if (t)
        return t;
    if (ip_tls.claim_backoff > 0) {
        ip_tls.claim_backoff--;
        return NULL;
    }
    t = record_claim();
    if (!t) {
        ip_tls.claim_backoff = CLAIM_RETRY_CALLS;
        return NULL;
    }
    ip_tls.thread = t;
    /* its own sequence of sampling gaps, different in each run */
    ip_tls.sample_rng = (uint32_t)(ip_ticks() ^ ((uintptr_t)t << 7)) | 1;
    pthread_setspecific(exit_key, t);
    ip_crash_thread_start((unsigned)(t - pool));
    return t;
}

static void event_forward(void *arg, const struct rep_event *ev)
{
    if (ev->h.kind == REP_EV_FILE)
        ip_files_file_event(arg, ev);
    else
        ip_files_event_put(arg, ev);
}

void ip_threads_drain(struct rep *r)
{
    uint32_t high = __atomic_load_n(&pool_high, __ATOMIC_ACQUIRE);

    for (uint32_t i = 0; i < high; i++) {
        struct ip_thread *t = &pool[i];
        uint32_t state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
        if (state == IP_THREAD_FREE)
            continue;
        ip_tally_move(t, r);
        ip_queue_drain(&t->queue, event_forward, r);
        if (state == IP_THREAD_EXITED) {
            /* The thread is gone: nothing can be pushed or added after
             * the drain and the move. */
            rep_drops_add(r, ip_queue_take_dropped(&t->queue));
            ip_queue_reset(&t->queue);
            memset(t->tallies, 0, sizeof t->tallies);
            __atomic_store_n(&t->state, IP_THREAD_FREE, __ATOMIC_RELEASE);
        }
    }
}

unsigned ip_thread_index(const struct ip_thread *t)
{
    return (unsigned)(t - pool);
}

void ip_thread_unqueued(void)
{
    __atomic_fetch_add(&unqueued_drops, 1, __ATOMIC_RELAXED);
}

uint64_t ip_threads_take_dropped(void)
{
    uint32_t high = __atomic_load_n(&pool_high, __ATOMIC_ACQUIRE);
    uint64_t n = __atomic_exchange_n(&unqueued_drops, 0, __ATOMIC_RELAXED);

    for (uint32_t i = 0; i < high; i++)
        if (__atomic_load_n(&pool[i].state, __ATOMIC_ACQUIRE) != IP_THREAD_FREE)
            n += ip_queue_take_dropped(&pool[i].queue);
    return n;
}

/* Registering for the private expedited barrier waits for an RCU grace
 * period (~10 ms here). Done by the reporter thread as it starts, it costs
 * the program nothing; done at detach, the program would stand stopped
 * for it. The registration is the process's (a fork's child or an exec
 * starts without it): barrier_all_threads registers when it finds none. */
void ip_threads_barrier_prepare(void)
{
    int saved = errno;

    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
    errno = saved;
}

/* A full memory barrier on every thread of the process, now: each has
 * made visible what it wrote before, and sees what we wrote, from its
 * next instruction on. False when the kernel offers none. */
static bool barrier_all_threads(void)
{
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return true;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return true;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0;
}

void ip_threads_release_drained(void)
{
    static bool sealed[IP_THREADS_MAX];
    uint32_t high = __atomic_load_n(&pool_high, __ATOMIC_ACQUIRE);
    int saved = errno;

    if (!pool)
        return;
    __atomic_store_n(&sealing, true, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < high; i++)
        sealed[i] = ip_queue_seal(&pool[i].queue);
    /* A thread may still be inside a wrapper that began before detach,
     * about to push: after the barrier it either pushes on to the slot
     * it reserved before, or sees its queue sealed. */
    bool give_back = barrier_all_threads();
    for (uint32_t i = 0; i < high; i++)
        if (sealed[i])
            ip_queue_release(&pool[i].queue, give_back);
    __atomic_store_n(&sealing, false, __ATOMIC_RELAXED);
    errno = saved;
}

/* Only the forking thread exists in the child: every other record is free,
 * and nothing the parent queued may be sent again under the child's pid. */
void ip_threads_after_fork_child(void)
{
    uint32_t high = pool_high;

    for (uint32_t i = 0; i < high; i++) {
        struct ip_thread *t = &pool[i];
        if (t->state == IP_THREAD_FREE)
            continue;
        ip_queue_reset(&t->queue);
        ip_tally_after_fork_child(t, t == ip_tls.thread);
        if (t != ip_tls.thread)
            t->state = IP_THREAD_FREE;
    }
    unqueued_drops = 0;
}
