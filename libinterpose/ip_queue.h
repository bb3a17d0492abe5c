/* ip_queue.h: a bounded single-producer single-consumer queue of events.
 *
 * One per program thread: the thread's wrappers produce, the reporter
 * consumes. Lock-free and allocation-free: the producer claims a slot with
 * ip_queue_reserve(), fills it in place and publishes it with
 * ip_queue_commit(); when the queue is full the event is counted in
 * `dropped` instead, so that nothing is lost silently.
 */
#ifndef IP_QUEUE_H
#define IP_QUEUE_H

#include <stdint.h>
#include "rep_event.h"

#define IP_QUEUE_LEN 256            /* power of two */

struct ip_queue {
    _Alignas(64) uint64_t head;     /* next slot to write (producer) */
    _Alignas(64) uint64_t tail;     /* next slot to read (consumer) */
    _Alignas(64) uint64_t dropped;  /* producer adds, consumer reads */
    struct rep_event slots[IP_QUEUE_LEN];
};

/* Producer side. NULL when full (the drop is already counted). */
struct rep_event *ip_queue_reserve(struct ip_queue *q);
void ip_queue_commit(struct ip_queue *q);

/* Consumer side: call fn on each published event, oldest first; returns
 * how many were consumed. */
unsigned ip_queue_drain(struct ip_queue *q,
                        void (*fn)(void *arg, const struct rep_event *ev),
                        void *arg);

/* Consumer side: drops counted since the last call. */
uint64_t ip_queue_take_dropped(struct ip_queue *q);

/* Forget everything (after fork, and before reuse). Not concurrent. */
void ip_queue_reset(struct ip_queue *q);

#endif
