/* test_ring.c: the protocol tap's byte ring: every record read once, in
 * order, under concurrency (with a consumer late at times, so that the
 * producer rewinds with records unread); the whole ring usable after
 * rewinds, one from near the start too; and the pages a burst used past the kept ones given back, the
 * kept ones not. */
#include "check_suite.h"
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ip_ring.h"

#define PAGE 4096

static struct ip_ring *ring_new(void)
{
    void *p = mmap(NULL, sizeof(struct ip_ring), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return p;
}

/* A record is its sequence number, then `size` bytes of it. */
struct reader {
    uint64_t next, bad, bytes;
};

static void record_check(void *arg, const void *rec, size_t n)
{
    struct reader *rd = arg;
    uint64_t seq;

    memcpy(&seq, rec, sizeof seq);
    for (size_t i = sizeof seq; i < n; i++)
        if (((const unsigned char *)rec)[i] != (unsigned char)seq) {
            rd->bad++;
            break;
        }
    rd->bad += seq != rd->next;
    rd->next = seq + 1;
    rd->bytes += n;
}

/* One record of n bytes (a multiple of 8) holding seq; false: full. */
static bool record_put(struct ip_ring *r, uint64_t seq, size_t n)
{
    unsigned char *p = ip_ring_reserve(r, n);
    if (!p)
        return false;
    memcpy(p, &seq, sizeof seq);
    memset(p + sizeof seq, (unsigned char)seq, n - sizeof seq);
    ip_ring_commit(r, n);
    return true;
}

/* Records of n bytes from *seq on until the ring is full; bytes put. */
static size_t fill(struct ip_ring *r, uint64_t *seq, size_t n)
{
    size_t put = 0;
    while (record_put(r, *seq, n)) {
        ++*seq;
        put += n + sizeof(uint64_t);
    }
    ck_assert_uint_eq(ip_ring_take_dropped(r), 1);
    return put;
}

struct producer {
    struct ip_ring *r;
    uint64_t records, put;
    int done;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    unsigned s = 1;

    for (uint64_t seq = 0; seq < p->records;) {
        s = s * 1103515245 + 12345;
        size_t n = 8 + ((s >> 8) % 512) * 8;   /* 8 B .. 4 KiB */
        if (record_put(p->r, seq, n))
            seq++;
    }
    __atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

START_TEST(every_record_once_in_order)
{
    struct producer p = { ring_new(), 2000000, 0, 0 };
    struct reader rd = { 0, 0, 0 };
    pthread_t t;

    ck_assert_int_eq(pthread_create(&t, NULL, produce, &p), 0);
    for (int i = 0; !__atomic_load_n(&p.done, __ATOMIC_ACQUIRE); i++) {
        ip_ring_drain(p.r, record_check, &rd);
        usleep(i % 3 ? 50 : 2000);      /* late sometimes: rewinds with records unread */
    }
    pthread_join(t, NULL);
    ip_ring_drain(p.r, record_check, &rd);
    ck_assert_uint_eq(rd.bad, 0);
    ck_assert_uint_eq(rd.next, p.records);
}
END_TEST

START_TEST(whole_ring_usable_after_rewinds)
{
    struct ip_ring *r = ring_new();
    struct reader rd = { 0, 0, 0 };
    uint64_t seq = 0;

    for (int round = 0; round < 4; round++) {
        size_t put = fill(r, &seq, round % 2 ? 4088 : 1000);
        /* all but the last record's worth of the ring */
        ck_assert_uint_gt(put, IP_RING_BYTES - 4096 - 8);
        ip_ring_drain(r, record_check, &rd);
        /* a few records, read: the next one rewinds */
        for (int i = 0; i < 3; i++)
            ck_assert(record_put(r, seq++, 96));
        ip_ring_drain(r, record_check, &rd);
    }
    ck_assert_uint_eq(rd.bad, 0);
    ck_assert_uint_eq(rd.next, seq);
}
END_TEST

/* A rewind from near the start skips almost a whole lap: the room it
 * skipped is not taken from the producer while the consumer stands at it. */
START_TEST(rewind_from_near_the_start_costs_no_room)
{
    struct ip_ring *r = ring_new();
    struct reader rd = { 0, 0, 0 };
    uint64_t seq = 0;

    ck_assert(record_put(r, seq++, 2000));
    ip_ring_drain(r, record_check, &rd);
    /* 2008 bytes in, room for a 1000-byte record before the consumer: a
     * rewind, then the rest of the ring */
    ck_assert_uint_gt(fill(r, &seq, 1000), IP_RING_BYTES - 2 * 1008);
    ip_ring_drain(r, record_check, &rd);
    ck_assert_uint_eq(rd.bad, 0);
    ck_assert_uint_eq(rd.next, seq);
}
END_TEST

static size_t resident_pages(struct ip_ring *r, size_t from, size_t to)
{
    static unsigned char vec[IP_RING_BYTES / PAGE];
    size_t n = 0;

    ck_assert_int_eq(mincore(r->data, IP_RING_BYTES, vec), 0);
    for (size_t i = from / PAGE; i < to / PAGE; i++)
        n += vec[i] & 1;
    return n;
}

START_TEST(burst_pages_given_back_kept_ones_not)
{
    struct ip_ring *r = ring_new();
    struct reader rd = { 0, 0, 0 };
    uint64_t seq = 0;

    fill(r, &seq, 4088);
    ck_assert_uint_gt(resident_pages(r, IP_RING_KEPT, IP_RING_BYTES), 0);
    ip_ring_drain(r, record_check, &rd);
    ck_assert_uint_eq(rd.bad, 0);
    /* the burst's pages are back; the first ones stay, and are used again */
    ck_assert_uint_le(resident_pages(r, IP_RING_KEPT, IP_RING_BYTES), 1);
    ck_assert_uint_eq(resident_pages(r, 0, IP_RING_KEPT), IP_RING_KEPT / PAGE);
    ck_assert(record_put(r, seq, 4088));
    ck_assert_uint_le(resident_pages(r, IP_RING_KEPT, IP_RING_BYTES), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_record_once_in_order);
    tcase_add_test(tc, whole_ring_usable_after_rewinds);
    tcase_add_test(tc, rewind_from_near_the_start_costs_no_room);
    tcase_add_test(tc, burst_pages_given_back_kept_ones_not);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
