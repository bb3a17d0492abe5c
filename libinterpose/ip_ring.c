/* ip_ring.c: see ip_ring.h. Each record is its size (8 bytes) and then
 * its bytes; a size of SKIP says the rest of the ring up to its end is
 * unused. */
#include "ip_ring.h"

#include <sys/mman.h>

#define SKIP UINT64_MAX
#define MASK (IP_RING_BYTES - 1)
#define PAGE 4096

void *ip_ring_reserve(struct ip_ring *r, size_t n)
{
    uint64_t head = r->head;        /* ours alone */
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    size_t need = n + sizeof(uint64_t);
    size_t to_end = IP_RING_BYTES - (head & MASK);
    size_t skip = need > to_end ? to_end : 0;

    if ((n & 7) || need > IP_RING_BYTES / 4 || head + skip + need - tail > IP_RING_BYTES) {
        __atomic_fetch_add(&r->dropped, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    if (skip) {                     /* published with the record */
        *(uint64_t *)(r->data + (head & MASK)) = SKIP;
        head += skip;
    }
    r->record = head;
    return r->data + (head & MASK) + sizeof(uint64_t);
}

void ip_ring_commit(struct ip_ring *r, size_t used)
{
    *(uint64_t *)(r->data + (r->record & MASK)) = used;
    __atomic_store_n(&r->head, r->record + sizeof(uint64_t) + used, __ATOMIC_RELEASE);
}

/* Give back the whole pages read by this drain, [old, tail), before
 * the new tail is published: until then the producer writes below old
 * plus the ring's size, never there. (Pages read by earlier drains it
 * may be writing again.) A ring so holds about what is not read yet. */
static void release(struct ip_ring *r, uint64_t old, uint64_t tail)
{
    uint64_t from = (old + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    uint64_t to = tail & ~(uint64_t)(PAGE - 1);

    if (to <= from)
        return;
    size_t a = from & MASK, b = to & MASK;
    if (to - from >= IP_RING_BYTES)
        madvise(r->data, IP_RING_BYTES, MADV_DONTNEED);
    else if (a < b)
        madvise(r->data + a, b - a, MADV_DONTNEED);
    else {
        madvise(r->data + a, IP_RING_BYTES - a, MADV_DONTNEED);
        if (b)
            madvise(r->data, b, MADV_DONTNEED);
    }
}

void ip_ring_drain(struct ip_ring *r, void (*fn)(void *arg, const void *rec, size_t n),
                   void *arg)
{
    uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->tail;

    while (tail < head) {
        uint64_t n = *(const uint64_t *)(r->data + (tail & MASK));
        if (n == SKIP) {
            tail += IP_RING_BYTES - (tail & MASK);
            continue;
        }
        fn(arg, r->data + (tail & MASK) + sizeof(uint64_t), (size_t)n);
        tail += n + sizeof(uint64_t);
    }
    release(r, r->tail, tail);
    __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
}

uint64_t ip_ring_take_dropped(struct ip_ring *r)
{
    return __atomic_exchange_n(&r->dropped, 0, __ATOMIC_RELAXED);
}
