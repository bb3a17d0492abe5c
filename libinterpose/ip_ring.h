/* ip_ring.h: a bounded single-producer single-consumer ring of records of
 * any size (the protocol tap's bytes: a 40-byte request costs 40 bytes
 * and a header, not a 512-byte event slot).
 *
 * One per program thread, like its event queue: the thread writes, the
 * reporter reads. Lock-free, allocation-free: ip_ring_reserve() gives room
 * for a record, the producer fills it in place and publishes what it
 * used of it with ip_ring_commit(); when there is no room the record is
 * counted in `dropped`. A record never wraps around the end: the rest of the ring is
 * skipped (a marker says so; at a rewind, `rewind_at` does).
 */
#ifndef IP_RING_H
#define IP_RING_H

#include <stddef.h>
#include <stdint.h>

/* Room for a burst the reporter is late for (it shares the CPUs with
 * the program: nginx under wrk on two busy cores needed more than 1 MiB):
 * address space, touched as used. A producer that finds everything read,
 * or that is past IP_RING_KEPT with room at the start, starts again at
 * the ring's start (a rewind), so a ring uses its first pages over and
 * over, about one drain's worth; those below IP_RING_KEPT stay, the
 * pages of a burst past it are given back as they are read.
 * (Giving every page back after each drain made the producer fault each
 * one in again: a page fault every three nginx requests with HTTP on,
 * most of what the tap cost its thread.) */
#define IP_RING_BYTES (4 * 1024 * 1024)  /* power of two */
#define IP_RING_KEPT (2 * 1024 * 1024)   /* a multiple of the page size */

struct ip_ring {
    _Alignas(64) uint64_t head;     /* bytes written (producer) */
    uint64_t record;                /* producer: where the reserved record starts */
    uint64_t rewind_record;         /* producer: the reserved record's rewind, or 0 */
    /* The last rewind: the producer wrote nothing from rewind_at (never
     * a multiple of the ring's size; 0: none yet) to the next one, where
     * it went on. Written by the producer before the head that follows. */
    uint64_t rewind_at;
    _Alignas(64) uint64_t tail;     /* bytes read (consumer) */
    _Alignas(64) uint64_t dropped;  /* producer adds, consumer takes */
    _Alignas(4096) unsigned char data[IP_RING_BYTES];   /* whole pages: given back */
};

/* Producer: room for a record of at most n bytes (8-aligned, at most a
 * quarter of the ring), or NULL when full (counted); then the record,
 * published as its first `used` bytes (8-aligned, at most n). */
void *ip_ring_reserve(struct ip_ring *r, size_t n);
void ip_ring_commit(struct ip_ring *r, size_t used);

/* Consumer: fn on each published record, oldest first (n: the size it
 * was published with). */
void ip_ring_drain(struct ip_ring *r, void (*fn)(void *arg, const void *rec, size_t n),
                   void *arg);
uint64_t ip_ring_take_dropped(struct ip_ring *r);

#endif
