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

#include <stdbool.h>

#define IP_QUEUE_LEN 256            /* power of two */

/* The slots start on a page of their own and fill whole pages, so that
 * ip_queue_release() can give them back without touching the indices. */
#define IP_QUEUE_SLOTS_ALIGN 4096

struct ip_queue {
    _Alignas(64) uint64_t head;     /* next slot to write (producer) */
    _Alignas(64) uint64_t tail;     /* next slot to read (consumer) */
    _Alignas(64) uint64_t dropped;  /* producer adds, consumer reads */
    _Alignas(IP_QUEUE_SLOTS_ALIGN) struct rep_event slots[IP_QUEUE_LEN];
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

/* Giving a drained queue's pages back (detach, no consumer running). The
 * indices only grow, so each attach writes slots the last one did not:
 * without this, every cycle touches new pages until the whole ring is
 * resident. In two steps around a barrier on every thread of the process
 * (which the producer, on its hot path, does not pay for):
 *   ip_queue_seal: if the queue is empty, make it look full to a reserve
 *     that starts after the barrier (such a push counts a drop, as on a
 *     full queue); returns false, sealing nothing, if it is not empty;
 *   ip_queue_release: after the barrier, unless something was committed
 *     since the seal, release the slots' pages but the one holding the
 *     slot a push begun before the barrier may be writing; then unseal
 *     (give_back false: only unseal).
 * The pages come back zero-filled on the next write. */
bool ip_queue_seal(struct ip_queue *q);
void ip_queue_release(struct ip_queue *q, bool give_back);

/* Forget everything (after fork, and before reuse). Not concurrent. */
void ip_queue_reset(struct ip_queue *q);

#endif
