/* ip_queue.c: per-thread SPSC event queue (see ip_queue.h). */
#include "ip_queue.h"

#include <string.h>

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

void ip_queue_reset(struct ip_queue *q)
{
    q->head = q->tail = q->dropped = 0;
}
