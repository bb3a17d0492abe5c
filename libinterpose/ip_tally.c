/* ip_tally.c: per-thread tallies of the file records' counters.
 *
 * A wrapped call adds to its thread's tally of the record (see ip_call.h):
 * plain add instructions on memory nobody else writes, where an atomic add
 * on the shared record would cost a lock-prefixed instruction per counter.
 * The reporter moves what is new into the records every drain, before it
 * folds or frees any record, so totals stay exact:
 *   - the thread changes a tally's key only when everything in it was
 *     moved, or its record was freed (what is left is a call that outlived
 *     the close by two drains: dropped, as the generation check always did);
 *   - the reporter reads key and counts under rekey_seq, and a thread reads
 *     the record and its own unmoved counts under move_seq, so neither sees
 *     the other half-way.
 */
#include "ip.h"

#include <string.h>

/* The counters are walked as an array (rep_counters.def; rep.h checks
 * that the struct is one). */
#define FIELDS REP_COUNTS_N
/* Looks at a close's totals while the reporter moves the same tally. */
#define TOTALS_TRIES 64

/* ip.h: the tallies fill three whole pages after the queue's slots. */
_Static_assert(sizeof(struct ip_tally) * IP_TALLIES == 3 * 4096, "tallies: three pages");

static uint64_t *fields(struct rep_io_counts *c)
{
    return rep_io_counts_array(c);
}

/* The thread's view: is `taken` about the tally's current key (else the
 * reporter has moved nothing of it yet)? */
static bool taken_current(struct ip_tally *e)
{
    return __atomic_load_n(&e->taken_seq, __ATOMIC_ACQUIRE) == e->rekey_seq;
}

/* The thread's view: what counter i holds that was not moved yet
 * (current: taken_current(e)). */
static uint64_t unmoved(struct ip_tally *e, bool current, size_t i)
{
    uint64_t now = fields(&e->counts)[i];

    return now - (current ? __atomic_load_n(&fields(&e->taken)[i], __ATOMIC_RELAXED) : 0);
}

/* The thread's view: nothing it added is still waiting to be moved. */
static bool tally_moved(struct ip_tally *e)
{
    bool current = taken_current(e);

    for (size_t i = 0; i < FIELDS; i++)
        if (unmoved(e, current, i))
            return false;
    return true;
}

struct rep_io_counts *ip_tally_claim(struct ip_tally *e, uint64_t key)
{
    if (e->key && ip_rec_key_current(e->key) && !tally_moved(e))
        return NULL;
    uint32_t seq = e->rekey_seq;
    uint64_t *now = fields(&e->counts);

    __atomic_store_n(&e->rekey_seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    /* the new key's file is looked at by its first call (ip_call.h) */
    e->fast_key[0] = e->fast_key[1] = 0;
    __atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
    for (size_t i = 0; i < FIELDS; i++)
        __atomic_store_n(&now[i], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&e->rekey_seq, seq + 2, __ATOMIC_RELEASE);
    /* a new file's sample starts here; the calls this thread made on it
     * before were sampled on its record (what was skipped there stays) */
    e->sampler = (struct ip_sampler){ 0, ip_sample_gap(&ip_tls.sample_rng) };
    e->sampled_move = __atomic_load_n(&e->move_seq, __ATOMIC_RELAXED);
    return &e->counts;
}

/* Reporter: key and counts as of one moment; false while the thread is
 * changing the key (it does so only when nothing is left to move). */
static bool tally_read(struct ip_tally *e, uint64_t *key, uint32_t *seq,
                       struct rep_io_counts *out)
{
    uint32_t s = __atomic_load_n(&e->rekey_seq, __ATOMIC_ACQUIRE);
    uint64_t *now = fields(&e->counts), *o = fields(out);

    if (s & 1)
        return false;
    *key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
    if (*key == 0)
        return true;                /* never used */
    for (size_t i = 0; i < FIELDS; i++)
        o[i] = __atomic_load_n(&now[i], __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *seq = s;
    return __atomic_load_n(&e->rekey_seq, __ATOMIC_RELAXED) == s;
}

/* A file's or a socket's timed calls since the last move, by kind: at
 * most one drain's worth of one thread's samples, the finest the reporter
 * can see them without adding to the wrappers. */
static void durations_seen(struct rep *r, const struct ip_rec *f, const uint64_t *d)
{
    struct rep_io_counts c;
    struct ip_rec_name name;
    const char *file = NULL;
    bool socket = f->kind == IP_KIND_SOCKET;

    memcpy(&c, d, sizeof c);
    for (int op = 0; op < REP_OP_N; op++) {
        uint64_t ops, ticks;

        rep_io_counts_timed(&c, socket, op, &ops, &ticks);
        if (ops == 0)
            continue;
        if (socket)
            rep_net_duration_seen(r, &f->sock, op, ops, ip_ticks_to_ns(ticks));
        else
            rep_fs_duration_seen(r, file ? file : (file = ip_rec_name(f, &name)), op, ops,
                                 ip_ticks_to_ns(ticks));
    }
}

static void tally_move_one(struct ip_tally *e, struct rep *r)
{
    struct rep_io_counts now_counts;
    uint64_t key, *now = fields(&now_counts), *taken = fields(&e->taken), d[FIELDS];
    uint32_t seq;
    bool any = false;

    if (!tally_read(e, &key, &seq, &now_counts) || key == 0)
        return;
    bool fresh = e->taken_seq != seq;      /* a new key since the last move */
    for (size_t i = 0; i < FIELDS; i++) {
        d[i] = now[i] - (fresh ? 0 : taken[i]);
        any |= d[i] != 0;
    }
    if (!any && !fresh)
        return;
    struct ip_rec *f = ip_rec_key_current(key) ? ip_rec_of_key(key) : NULL;
    uint64_t *live = f ? fields(&f->live) : NULL;
    __atomic_store_n(&e->move_seq, e->move_seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (size_t i = 0; i < FIELDS; i++) {
        if (live && d[i])
            __atomic_fetch_add(&live[i], d[i], __ATOMIC_RELAXED);
        __atomic_store_n(&taken[i], now[i], __ATOMIC_RELAXED);
    }
    __atomic_store_n(&e->taken_seq, seq, __ATOMIC_RELEASE);
    __atomic_store_n(&e->move_seq, e->move_seq + 1, __ATOMIC_RELEASE);
    if (f)
        durations_seen(r, f, d);
}

void ip_tally_move(struct ip_thread *t, struct rep *r)
{
    for (size_t i = 0; i < IP_TALLIES; i++)
        tally_move_one(&t->tallies[i], r);
}

/* The record's counters plus what this thread has not had moved: exact
 * for the thread's own calls; another thread's last calls on the file
 * (at most one drain's worth) show in the metrics, not here. */
void ip_tally_totals(struct ip_rec_ref ref, struct rep_io_counts *out)
{
    struct ip_tally *e = ip_tally_of(ip_tls.thread, ref);
    uint64_t *live = fields(&ref.file->live), *o = fields(out);

    for (int tries = 0;; tries++) {
        uint32_t m = e ? __atomic_load_n(&e->move_seq, __ATOMIC_ACQUIRE) : 0;
        for (size_t i = 0; i < FIELDS; i++)
            o[i] = __atomic_load_n(&live[i], __ATOMIC_RELAXED);
        if (e) {
            bool current = taken_current(e);
            for (size_t i = 0; i < FIELDS; i++)
                o[i] += unmoved(e, current, i);
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        /* A reporter stopped in the middle of a move (preempted) is not
         * waited for: the event's totals are then approximate. */
        if (!e || tries == TOTALS_TRIES ||
            (!(m & 1) && __atomic_load_n(&e->move_seq, __ATOMIC_RELAXED) == m))
            return;
    }
}

void ip_tally_after_fork_child(struct ip_thread *t, bool mine)
{
    for (size_t i = 0; i < IP_TALLIES; i++) {
        struct ip_tally *e = &t->tallies[i];
        if (!mine) {
            memset(e, 0, sizeof *e);
            continue;
        }
        e->taken = e->counts;
        e->taken_seq = e->rekey_seq;
        e->move_seq = (e->move_seq + 1) & ~1u;  /* a move the fork cut short */
    }
}
