/* test_queue.c: the per-thread event queue: exact totals under concurrency,
 * order, drop accounting when full, and giving a drained queue's pages
 * back. */
#include "check_suite.h"
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "ip_queue.h"

#define PRODUCERS 8
#define EVENTS_PER_PRODUCER 200000

struct producer {
    struct ip_queue *q;
    int id;
};

static int producers_running;

static void event_fill(struct rep_event *ev, int id, int seq)
{
    ev->h.fd = id;
    ev->h.time_ns = seq;
    ev->h.text_len = (uint16_t)(seq % REP_EVENT_TEXT_MAX);
    memset(ev->text, (char)seq, ev->h.text_len);
}

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int seq = 0; seq < EVENTS_PER_PRODUCER; seq++) {
        struct rep_event *ev = ip_queue_reserve(p->q);
        if (!ev)
            continue;                   /* counted by the queue */
        event_fill(ev, p->id, seq);
        ip_queue_commit(p->q);
    }
    __atomic_sub_fetch(&producers_running, 1, __ATOMIC_RELEASE);
    return NULL;
}

struct tally {
    int id;
    long consumed;
    int64_t last_seq;
    int bad;
};

static void check_event(void *arg, const struct rep_event *ev)
{
    struct tally *t = arg;
    if (ev->h.fd != t->id || ev->h.time_ns <= t->last_seq ||
        ev->h.text_len != ev->h.time_ns % REP_EVENT_TEXT_MAX)
        t->bad++;
    for (unsigned i = 0; i < ev->h.text_len; i++)
        if (ev->text[i] != (char)ev->h.time_ns) {
            t->bad++;
            break;
        }
    t->last_seq = ev->h.time_ns;
    t->consumed++;
}

START_TEST(concurrent_producers_exact_totals)
{
    static struct ip_queue queues[PRODUCERS];
    struct producer prod[PRODUCERS];
    struct tally tally[PRODUCERS];
    pthread_t th[PRODUCERS];
    uint64_t dropped[PRODUCERS] = { 0 };

    producers_running = PRODUCERS;
    for (int i = 0; i < PRODUCERS; i++) {
        ip_queue_reset(&queues[i]);
        prod[i] = (struct producer){ &queues[i], i };
        tally[i] = (struct tally){ .id = i, .last_seq = -1 };
        ck_assert_int_eq(pthread_create(&th[i], NULL, produce, &prod[i]), 0);
    }
    /* The consumer races the producers, as the reporter does. */
    while (__atomic_load_n(&producers_running, __ATOMIC_ACQUIRE) > 0)
        for (int i = 0; i < PRODUCERS; i++) {
            ip_queue_drain(&queues[i], check_event, &tally[i]);
            dropped[i] += ip_queue_take_dropped(&queues[i]);
        }
    for (int i = 0; i < PRODUCERS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < PRODUCERS; i++) {
        ip_queue_drain(&queues[i], check_event, &tally[i]);
        dropped[i] += ip_queue_take_dropped(&queues[i]);
        ck_assert_int_eq(tally[i].bad, 0);
        ck_assert_int_eq(tally[i].consumed + (long)dropped[i], EVENTS_PER_PRODUCER);
        ck_assert_int_gt(tally[i].consumed, 0);
    }
}
END_TEST

START_TEST(full_queue_counts_every_drop)
{
    static struct ip_queue q;
    struct tally t = { .id = 7, .last_seq = -1 };

    ip_queue_reset(&q);
    for (int seq = 0; seq < IP_QUEUE_LEN + 10; seq++) {
        struct rep_event *ev = ip_queue_reserve(&q);
        if (seq < IP_QUEUE_LEN) {
            ck_assert_ptr_nonnull(ev);
            event_fill(ev, 7, seq);
            ip_queue_commit(&q);
        } else {
            ck_assert_ptr_null(ev);
        }
    }
    ck_assert_uint_eq(ip_queue_take_dropped(&q), 10);
    ck_assert_uint_eq(ip_queue_take_dropped(&q), 0);
    ck_assert_uint_eq(ip_queue_drain(&q, check_event, &t), IP_QUEUE_LEN);
    ck_assert_int_eq(t.bad, 0);
    ck_assert_int_eq(t.last_seq, IP_QUEUE_LEN - 1);
    /* Room again after the drain. */
    ck_assert_ptr_nonnull(ip_queue_reserve(&q));
}
END_TEST

START_TEST(reserved_but_uncommitted_is_invisible)
{
    static struct ip_queue q;
    struct tally t = { .id = 1, .last_seq = -1 };

    ip_queue_reset(&q);
    ck_assert_ptr_nonnull(ip_queue_reserve(&q));
    ck_assert_uint_eq(ip_queue_drain(&q, check_event, &t), 0);
}
END_TEST

/* A queue whose every slot was written, drained up to `at`. */
static void queue_used_up_to(struct ip_queue *q, int at)
{
    ip_queue_reset(q);
    memset(q->slots, 0x5a, sizeof q->slots);
    struct tally t = { .id = 3, .last_seq = -1 };
    for (int seq = 0; seq < at; seq++) {
        event_fill(ip_queue_reserve(q), 3, seq);
        ip_queue_commit(q);
        ck_assert_uint_eq(ip_queue_drain(q, check_event, &t), 1);
    }
    ck_assert_int_eq(t.bad, 0);
}

static bool slot_zero(const struct rep_event *ev)
{
    for (size_t i = 0; i < sizeof *ev; i++)
        if (((const unsigned char *)ev)[i])
            return false;
    return true;
}

START_TEST(sealed_queue_refuses_and_release_gives_slots_back)
{
    static struct ip_queue q;
    const int at = 300;                 /* wrapped once: slot 44 is next */
    struct tally t = { .id = 3, .last_seq = at - 1 };

    queue_used_up_to(&q, at);
    ck_assert(ip_queue_seal(&q));
    ck_assert_ptr_null(ip_queue_reserve(&q));
    ck_assert_uint_eq(ip_queue_take_dropped(&q), 1);
    ip_queue_release(&q, true);
    /* all zero but the page of the slot a push may be writing */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t busy = (uintptr_t)&q.slots[at % IP_QUEUE_LEN] / page;
    for (int i = 0; i < IP_QUEUE_LEN; i++)
        ck_assert_msg(slot_zero(&q.slots[i]) == ((uintptr_t)&q.slots[i] / page != busy),
                      "slot %d", i);
    /* open again, where it was */
    struct rep_event *ev = ip_queue_reserve(&q);
    ck_assert_ptr_eq(ev, &q.slots[at % IP_QUEUE_LEN]);
    event_fill(ev, 3, at);
    ip_queue_commit(&q);
    ck_assert_uint_eq(ip_queue_drain(&q, check_event, &t), 1);
    ck_assert_int_eq(t.bad, 0);
}
END_TEST

START_TEST(queue_with_events_is_not_sealed)
{
    static struct ip_queue q;

    queue_used_up_to(&q, 5);
    event_fill(ip_queue_reserve(&q), 3, 5);
    ip_queue_commit(&q);
    ck_assert(!ip_queue_seal(&q));
    ck_assert_ptr_nonnull(ip_queue_reserve(&q));
}
END_TEST

/* A push reserved before the seal and committed before the release: its
 * event is kept, and so are the pages. */
START_TEST(push_begun_before_seal_is_kept)
{
    static struct ip_queue q;
    struct tally t = { .id = 3, .last_seq = 9 };

    queue_used_up_to(&q, 10);
    struct rep_event *ev = ip_queue_reserve(&q);
    ck_assert(ip_queue_seal(&q));
    event_fill(ev, 3, 10);
    ip_queue_commit(&q);
    ip_queue_release(&q, true);
    ck_assert(!slot_zero(&q.slots[0]));
    ck_assert_uint_eq(ip_queue_drain(&q, check_event, &t), 1);
    ck_assert_int_eq(t.bad, 0);
    ck_assert_int_eq(t.last_seq, 10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ip_queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, concurrent_producers_exact_totals);
    tcase_add_test(tc, full_queue_counts_every_drop);
    tcase_add_test(tc, reserved_but_uncommitted_is_invisible);
    tcase_add_test(tc, sealed_queue_refuses_and_release_gives_slots_back);
    tcase_add_test(tc, queue_with_events_is_not_sealed);
    tcase_add_test(tc, push_begun_before_seal_is_kept);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
