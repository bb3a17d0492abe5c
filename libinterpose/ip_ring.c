/* ip_ring.c: see ip_ring.h. Each record is its size (8 bytes) and then
 * its bytes; a size of SKIP says the rest of the ring up to its end is
 * unused, as rewind_at does for a rewind. */
#include "ip_ring.h"

#include <stdbool.h>
#include <sys/mman.h>

#define SKIP UINT64_MAX
#define MASK (IP_RING_BYTES - 1)
#define PAGE 4096

/* Where to start a lap, the next multiple of the ring's size. */
static uint64_t lap_after(uint64_t pos)
{
    return (pos | MASK) + 1;
}

/* Did the producer rewind at pos (and write nothing from there to the
 * next lap)? */
static bool rewound_at(const struct ip_ring *r, uint64_t pos)
{
    return (pos & MASK) && pos == __atomic_load_n(&r->rewind_at, __ATOMIC_RELAXED);
}

/* Is a rewind at head wanted, and allowed? Wanted when everything is
 * read, or past the kept pages; allowed once the consumer has passed the
 * last one (rewind_at names one), and when the record fits at the start. */
static bool rewind_fits(const struct ip_ring *r, uint64_t head, uint64_t tail, size_t need)
{
    uint64_t last = __atomic_load_n(&r->rewind_at, __ATOMIC_RELAXED);

    if (!(head & MASK) || (head != tail && (head & MASK) < IP_RING_KEPT))
        return false;
    if ((last & MASK) && last >= tail)
        return false;               /* not passed yet */
    return lap_after(head) + need - tail <= IP_RING_BYTES;
}

void *ip_ring_reserve(struct ip_ring *r, size_t n)
{
    uint64_t head = r->head;        /* ours alone */
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    size_t need = n + sizeof(uint64_t);

    r->rewind_record = 0;
    if ((n & 7) || need > IP_RING_BYTES / 4)
        goto full;
    if (rewind_fits(r, head, tail, need)) {
        r->rewind_record = head;    /* published with the record */
        r->record = lap_after(head);
        return r->data + sizeof(uint64_t);
    }
    /* Until the consumer has passed a rewind it stands at, nothing it
     * has to read is below the lap the producer went on at. */
    uint64_t unread_from = rewound_at(r, tail) ? lap_after(tail) : tail;
    size_t to_end = IP_RING_BYTES - (head & MASK);
    size_t skip = need > to_end ? to_end : 0;
    if (head + skip + need - unread_from > IP_RING_BYTES)
        goto full;
    if (skip) {                     /* published with the record */
        *(uint64_t *)(r->data + (head & MASK)) = SKIP;
        head += skip;
    }
    r->record = head;
    return r->data + (head & MASK) + sizeof(uint64_t);
full:
    __atomic_fetch_add(&r->dropped, 1, __ATOMIC_RELAXED);
    return NULL;
}

void ip_ring_commit(struct ip_ring *r, size_t used)
{
    *(uint64_t *)(r->data + (r->record & MASK)) = used;
    if (r->rewind_record)
        __atomic_store_n(&r->rewind_at, r->rewind_record, __ATOMIC_RELAXED);
    __atomic_store_n(&r->head, r->record + sizeof(uint64_t) + used, __ATOMIC_RELEASE);
}

/* Give back the pages of [a, b) (offsets in the ring) past IP_RING_KEPT. */
static void pages_give_back(struct ip_ring *r, size_t a, size_t b)
{
    if (a < IP_RING_KEPT)
        a = IP_RING_KEPT;
    if (a < b)
        madvise(r->data + a, b - a, MADV_DONTNEED);
}

/* Give back the whole pages read by this drain in [from, to), before
 * the new tail is published: until then the producer writes below the
 * old tail plus the ring's size (below the lap after a rewind it has not
 * seen passed, plus the size), never there. (Pages read by earlier
 * drains it may be writing again.) A ring so holds its kept pages and
 * what is not read yet. */
static void release(struct ip_ring *r, uint64_t from, uint64_t to)
{
    from = (from + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    to &= ~(uint64_t)(PAGE - 1);
    if (to <= from)
        return;
    size_t a = from & MASK, b = to & MASK;
    if (to - from >= IP_RING_BYTES)
        pages_give_back(r, 0, IP_RING_BYTES);
    else if (a < b)
        pages_give_back(r, a, b);
    else {
        pages_give_back(r, a, IP_RING_BYTES);
        pages_give_back(r, 0, b);
    }
}

void ip_ring_drain(struct ip_ring *r, void (*fn)(void *arg, const void *rec, size_t n),
                   void *arg)
{
    uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint64_t tail = r->tail, read_from = tail;

    while (tail < head) {
        if (rewound_at(r, tail)) {
            /* what was skipped the producer may be writing now, in the
             * lap it went on at: not given back */
            release(r, read_from, tail);
            tail = read_from = lap_after(tail);
            continue;
        }
        uint64_t n = *(const uint64_t *)(r->data + (tail & MASK));
        if (n == SKIP) {
            tail += IP_RING_BYTES - (tail & MASK);
            continue;
        }
        fn(arg, r->data + (tail & MASK) + sizeof(uint64_t), (size_t)n);
        tail += n + sizeof(uint64_t);
    }
    release(r, read_from, tail);
    __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
}

uint64_t ip_ring_take_dropped(struct ip_ring *r)
{
    return __atomic_exchange_n(&r->dropped, 0, __ATOMIC_RELAXED);
}
