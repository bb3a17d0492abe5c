/* ip_queue.c: per-thread SPSC event queue (see ip_queue.h). */
#include "ip_queue.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct rep_event *ip_queue_reserve(struct ip_queue *q)
{
    uint64_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    uint64_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);

    if (head - tail >= IP_QUEUE_LEN) {
        __atomic_fetch_add(&q->dropped, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    return &q->slots[head & (IP_QUEUE_LEN - 1)];
}

void ip_queue_commit(struct ip_queue *q)
{
    uint64_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
}

unsigned ip_queue_drain(struct ip_queue *q,
                        void (*fn)(void *arg, const struct rep_event *ev),
                        void *arg)
{
    uint64_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    uint64_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    unsigned n = 0;

    for (; tail != head; tail++, n++) {
        fn(arg, &q->slots[tail & (IP_QUEUE_LEN - 1)]);
        /* Free each slot as soon as it is formatted: a busy producer gets
         * room back before the whole batch is done. */
        __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
    }
    return n;
}

uint64_t ip_queue_take_dropped(struct ip_queue *q)
{
    return __atomic_exchange_n(&q->dropped, 0, __ATOMIC_RELAXED);
}

bool ip_queue_seal(struct ip_queue *q)
{
    uint64_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);

    if (__atomic_load_n(&q->head, __ATOMIC_ACQUIRE) != tail)
        return false;
    /* head - tail == IP_QUEUE_LEN: ip_queue_reserve refuses */
    __atomic_store_n(&q->tail, tail - IP_QUEUE_LEN, __ATOMIC_RELEASE);
    return true;
}

/* Give back the whole pages of slots [from, to). */
static void slots_release(struct ip_queue *q, uint64_t from, uint64_t to, uintptr_t page)
{
    uintptr_t start = ((uintptr_t)&q->slots[from] + page - 1) & ~(page - 1);
    uintptr_t end = (uintptr_t)&q->slots[to] & ~(page - 1);

    if (start < end)
        (void)madvise((void *)start, end - start, MADV_DONTNEED);
}

void ip_queue_release(struct ip_queue *q, bool give_back)
{
    uint64_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED) + IP_QUEUE_LEN;

    /* Still empty after the barrier: every push begun before it has
     * either committed (head moved: keep everything) or is writing the
     * slot at head, whose page stays; every later one saw the seal. */
    if (give_back && __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == tail) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uint64_t busy = tail & (IP_QUEUE_LEN - 1);
        slots_release(q, 0, busy, page);
        slots_release(q, busy + 1, IP_QUEUE_LEN, page);
    }
    __atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
}

void ip_queue_reset(struct ip_queue *q)
{
    q->head = q->tail = q->dropped = 0;
}
