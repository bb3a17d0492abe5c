/* ip_events.c: put an event on the calling thread's queue.
 *
 * Called from wrappers: no locks, no allocation. A full queue, a thread that
 * got no queue, or a signal handler that interrupts a push on the same
 * thread all count a drop; the reporter turns drops into a notice.
 */
#include "ip_call.h"
#include "ip_rec_pool.h"
#include "ip_sock.h"

#include <string.h>

static uint64_t nested_drops;

/* The rate limit (SCOPE_EVENT_MAXEPS) is a bucket of tokens, one per event,
 * refilled at the limit's rate. A budget of a whole second taken at the
 * start of each second was spent in a burst faster than the reporter
 * drains: the queues overflowed, the events dropped there had used the
 * budget, and the more was offered the less was sent (a tenth of the
 * limit at 20 times it). Refilled every REFILL_NS by the first taker that
 * finds it empty, and holding a tenth of a second at most, the bucket
 * lets the limit through in drain-sized pieces. */
#define REFILL_NS 10000000LL
static int64_t tokens;          /* a little below 0 when takers race */
static int64_t refilled_ns;     /* bucket_clock_ns() of the last refill */
static uint64_t events_cut;

/* The bucket's size, what a program that was quiet may send at once: a
 * tenth of a second of the limit (so a high limit is not capped by the
 * refill period), or a queue's worth when that is less than the limit. A
 * whole second's worth, at once, is what overflowed the queues. */
static int64_t tokens_max(void)
{
    int64_t tenth = ip_proc.cfg.maxeps / 10;
    int64_t queue = ip_proc.cfg.maxeps < IP_QUEUE_LEN ? ip_proc.cfg.maxeps : IP_QUEUE_LEN;

    return tenth > queue ? tenth : queue;
}

/* The bucket's clock: CLOCK_MONOTONIC as of the last timer tick (a few
 * ms at most behind, far finer than a second's budget), which the vDSO
 * reads without the TSC: a program past the limit asks it at every event
 * it makes. */
static int64_t bucket_clock_ns(void)
{
    return ip_clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* On an empty bucket: the tokens the time since the last refill earned,
 * when that is a refill's worth. Lock-free: one taker wins the refill. */
static bool tokens_refill(void)
{
    int64_t now = bucket_clock_ns(), last = __atomic_load_n(&refilled_ns, __ATOMIC_RELAXED);

    if (now - last < REFILL_NS)
        return false;
    if (!__atomic_compare_exchange_n(&refilled_ns, &last, now, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return __atomic_load_n(&tokens, __ATOMIC_RELAXED) > 0;     /* another refilled */
    int64_t elapsed = now - last < 1000000000 ? now - last : 1000000000;
    int64_t earned = (int64_t)ip_proc.cfg.maxeps * elapsed / 1000000000;
    __atomic_store_n(&tokens, earned < tokens_max() ? earned : tokens_max(), __ATOMIC_RELAXED);
    return true;
}

/* One token, or false: the event is cut (counted). */
static bool token_take(void)
{
    if ((__atomic_load_n(&tokens, __ATOMIC_RELAXED) > 0 || tokens_refill()) &&
        __atomic_sub_fetch(&tokens, 1, __ATOMIC_RELAXED) >= 0)
        return true;
    __atomic_fetch_add(&events_cut, 1, __ATOMIC_RELAXED);
    return false;
}

void ip_events_cut_report(struct rep *r)
{
    rep_events_cut_add(r, __atomic_exchange_n(&events_cut, 0, __ATOMIC_RELAXED));
}

/* A slot on this thread's queue, or NULL (the drop is counted). On success
 * the caller fills the slot and calls event_commit(). `limited`: it will
 * be sent, and is within SCOPE_EVENT_MAXEPS. */
static struct rep_event *slot_reserve(uint16_t kind, int fd, const char *op, bool limited)
{
    if (ip_tls.pushing) {
        __atomic_fetch_add(&nested_drops, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    struct ip_thread *t = ip_tls.thread;   /* a wrapper's ip_call_start claimed it */
    if (__builtin_expect(!t, 0))
        t = ip_thread_self();
    if (!t) {
        ip_thread_unqueued();
        return NULL;
    }
    /* The slot before the token: a full queue's drop (counted) spends
     * none, and a slot left unfilled costs nothing (only ip_queue_commit
     * publishes it), so no token is ever taken and given back. Pushing
     * from here on: a signal handler's event must not take this slot. */
    ip_tls.pushing = true;
    struct rep_event *ev = ip_queue_reserve(&t->queue);
    /* over the limit: a load and a clock read at most every REFILL_NS,
     * not a lock-prefixed add (a server past its limit comes here for
     * most of its opens and closes) */
    if (!ev || (limited && !token_take())) {
        ip_tls.pushing = false;
        return NULL;
    }
    memset(&ev->h, 0, sizeof ev->h);
    ev->h.kind = kind;
    ev->h.fd = fd;
    ev->h.op = op;
    ev->h.time_ns = ip_wall_ns();
    return ev;
}

static struct rep_event *event_reserve(uint16_t kind, int fd, const char *op)
{
    return slot_reserve(kind, fd, op, true);
}

static void event_commit(void)
{
    ip_queue_commit(&ip_tls.thread->queue);
    ip_tls.pushing = false;
}

/* A reserved event not sent after all (its record went while it was
 * filled): the slot stays free, and the loss is counted as a drop. */
static void event_abandon(void)
{
    __atomic_fetch_add(&ip_tls.thread->queue.dropped, 1, __ATOMIC_RELAXED);
    ip_tls.pushing = false;
}

uint64_t ip_events_take_nested_drops(void)
{
    return __atomic_exchange_n(&nested_drops, 0, __ATOMIC_RELAXED);
}

static void event_text_set(struct rep_event *ev, const char *text, size_t len)
{
    if (len > REP_EVENT_TEXT_MAX)
        len = REP_EVENT_TEXT_MAX;
    memcpy(ev->text, text, len);
    ev->h.text_len = (uint16_t)len;
}

/* A path: cut to what the record holds, and the cut said in text_cut
 * (the reporter marks and counts it). */
static void event_path_set(struct rep_event *ev, const char *path)
{
    size_t len = strlen(path);

    event_text_set(ev, path, len);
    if (len > ev->h.text_len)
        ev->h.text_cut = len - ev->h.text_len > UINT16_MAX ? UINT16_MAX
                                                           : (uint16_t)(len - ev->h.text_len);
}

/* A file record's path, and the record, where the reporter finds the
 * path whole if the event cannot hold it. */
static void event_rec_path_set(struct rep_event *ev, const struct ip_rec *f, uint32_t gen)
{
    event_path_set(ev, ip_rec_path(f));
    ev->h.rec_slot = ip_rec_slot(f);
    ev->h.rec_gen = gen;
}

/* Text longer than one event is split, never cut; file_index and gen name
 * the record of a REP_EV_FILE event. */
static void text_events(uint16_t kind, int fd, const char *text, size_t len,
                        uint32_t file_index, uint32_t file_gen)
{
    while (len > 0) {
        struct rep_event *ev = event_reserve(kind, fd, NULL);
        if (!ev)
            return;
        event_text_set(ev, text, len);
        ev->h.file_index = file_index;
        ev->h.file_gen = file_gen;
        text += ev->h.text_len;
        len -= ev->h.text_len;
        event_commit();
    }
}

void ip_event_console(int fd, const char *text, size_t len)
{
    if (ip_proc.events && rep_event_enabled(&ip_proc.cfg, REP_EV_CONSOLE))
        text_events(REP_EV_CONSOLE, fd, text, len, 0, 0);
}

/* A file's first write: MAYBE a log file if its path has the literals of
 * the log file pattern, else NO. Returns what the record says now (the
 * reporter, or another thread's first write, may have been first). */
static uint32_t logfile_screen(struct ip_rec *f)
{
    uint32_t was = IP_LOG_UNKNOWN;
    uint32_t now = rep_lits_may_match(&ip_proc.log_names, ip_rec_path(f)) ? IP_LOG_MAYBE
                                                                            : IP_LOG_NO;

    if (!__atomic_compare_exchange_n(&f->logfile, &was, now, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return was;
    return now;
}

/* The same split for text written to a file: the reporter keeps it if the
 * file is a log file. */
void ip_event_file(const struct ip_call *c, int fd, const char *text, size_t len)
{
    struct ip_rec *f = c->ref.file;
    uint32_t is_log = __atomic_load_n(&f->logfile, __ATOMIC_RELAXED);

    if (is_log == IP_LOG_UNKNOWN)
        is_log = logfile_screen(f);
    if (is_log == IP_LOG_NO)
        return;
    if (is_log == IP_LOG_MAYBE &&
        (__atomic_load_n(&f->log_probe_bytes, __ATOMIC_RELAXED) > IP_LOG_PROBE_BYTES ||
         __atomic_add_fetch(&f->log_probe_bytes, len, __ATOMIC_RELAXED) > IP_LOG_PROBE_BYTES)) {
        ip_add(&f->log_missed_bytes, len);
        return;
    }
    text_events(REP_EV_FILE, fd, text, len, c->ref.slot - 1, c->ref.gen);
}

/* fs.open or net.open, by what the record is. */
void ip_event_open(const char *op, int fd, const struct ip_rec *f)
{
    bool sock = f->kind == IP_KIND_SOCKET;
    uint16_t kind = sock ? REP_EV_NET_OPEN : REP_EV_FS_OPEN;

    if (!ip_proc.events || !rep_event_enabled(&ip_proc.cfg, kind))
        return;
    struct rep_event *ev = event_reserve(kind, fd, op);
    if (!ev)
        return;
    if (sock)
        ev->h.sock = f->sock;
    else
        event_rec_path_set(ev, f, __atomic_load_n(&f->gen, __ATOMIC_RELAXED));
    event_commit();
}

void ip_event_close(const char *op, int fd, struct ip_rec_ref ref)
{
    const struct ip_rec *f = ref.file;
    struct rep_io_counts totals;

    bool sock = f->kind == IP_KIND_SOCKET;
    uint16_t kind = sock ? REP_EV_NET_CLOSE : REP_EV_FS_CLOSE;

    if (!ip_proc.events || !rep_event_enabled(&ip_proc.cfg, kind))
        return;
    struct rep_event *ev = event_reserve(kind, fd, op);
    if (!ev)
        return;
    if (sock)
        ev->h.sock = f->sock;
    else
        event_rec_path_set(ev, f, ref.gen);
    ip_tally_totals(ref, &totals);
    ev->h.read_bytes = totals.read_bytes;
    ev->h.read_ops = totals.read_ops;
    ev->h.write_bytes = totals.write_bytes;
    ev->h.write_ops = totals.write_ops;
    /* AppScope's close events carry the mean duration of the calls */
    ev->h.duration_ns = totals.duration_ops ? ip_ticks_to_ns(totals.duration_ns) /
                                              totals.duration_ops : 0;
    /* The record is freed two drains after its close: a thread held up
     * that long read another file's path and counts, and says nothing. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (ip_rec_ref_valid(ref))
        event_commit();
    else
        event_abandon();
}

/* dns.req (addrs NULL) or dns.resp: the name, then the addresses, each
 * NUL-terminated, as far as they fit. */
void ip_event_dns(uint16_t kind, const char *name, const char *addrs, size_t addrs_len,
                  uint64_t duration_ns)
{
    if (!ip_proc.events || !rep_event_enabled(&ip_proc.cfg, kind))
        return;
    struct rep_event *ev = event_reserve(kind, -1, NULL);
    if (!ev)
        return;
    size_t n = strnlen(name, REP_EVENT_TEXT_MAX - 1);
    memcpy(ev->text, name, n);
    ev->text[n++] = '\0';
    /* Whole addresses only: cut after the last one that fits. */
    while (addrs_len > REP_EVENT_TEXT_MAX - n) {
        const char *end = memrchr(addrs, '\0', addrs_len - 1);
        addrs_len = end ? (size_t)(end - addrs) + 1 : 0;
    }
    memcpy(ev->text + n, addrs, addrs_len);
    ev->h.text_len = (uint16_t)(n + addrs_len);
    ev->h.duration_ns = duration_ns;
    event_commit();
}

void ip_event_delete(const char *op, const char *path)
{
    if (!ip_proc.events || !rep_event_enabled(&ip_proc.cfg, REP_EV_FS_DELETE) || !path)
        return;
    struct rep_event *ev = event_reserve(REP_EV_FS_DELETE, -1, op);
    if (!ev)
        return;
    event_path_set(ev, path);
    event_commit();
}

void ip_event_error(uint16_t kind, const char *op, const char *path)
{
    if (!ip_proc.events || !rep_event_enabled(&ip_proc.cfg, kind))
        return;
    struct rep_event *ev = event_reserve(kind, -1, op);
    if (!ev)
        return;
    if (path)
        event_path_set(ev, path);
    event_commit();
}

/* Sent as an event only when net events are on; else it carries the
 * datagram's peer to the metrics alone, outside the events' limit. */
bool ip_event_datagram(uint16_t kind, int fd, const struct ip_rec *f, const void *addr,
                       size_t len, uint64_t bytes)
{
    int saved = errno;
    bool sent = ip_proc.events && rep_event_enabled(&ip_proc.cfg, kind);
    struct rep_event *ev = slot_reserve(kind, fd, NULL, sent);

    if (ev) {
        ev->h.sock = f->sock;
        if (kind == REP_EV_NET_TX)
            ev->h.write_bytes = bytes;
        else
            ev->h.read_bytes = bytes;
        event_text_set(ev, addr, len);
        event_commit();
    }
    errno = saved;
    return ev != NULL;
}
