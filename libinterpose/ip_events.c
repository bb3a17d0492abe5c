/* ip_events.c: put an event on the calling thread's queue.
 *
 * Called from wrappers: no locks, no allocation. A full queue, a thread that
 * got no queue, or a signal handler that interrupts a push on the same
 * thread all count a drop; the reporter turns drops into a notice.
 */
#include "ip_call.h"

#include <string.h>

static uint64_t nested_drops;
/* The rate limit: events this second (the reporter starts a new second),
 * and those cut over it. */
static uint64_t events_this_second, events_cut;

void ip_events_new_second(struct rep *r)
{
    __atomic_store_n(&events_this_second, 0, __ATOMIC_RELAXED);
    ip_events_cut_report(r);
}

void ip_events_cut_report(struct rep *r)
{
    rep_events_cut_add(r, __atomic_exchange_n(&events_cut, 0, __ATOMIC_RELAXED));
}

/* A slot on this thread's queue, or NULL (the drop is counted). On success
 * the caller fills the slot and calls event_commit(). */
static struct rep_event *event_reserve(uint16_t kind, int fd, const char *op)
{
    if (ip_tls.pushing) {
        __atomic_fetch_add(&nested_drops, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    /* over the limit: a load, not a second lock-prefixed add (a server
     * past its limit comes here for most of its opens and closes) */
    if (__atomic_load_n(&events_this_second, __ATOMIC_RELAXED) >= ip_proc.cfg.maxeps ||
        __atomic_add_fetch(&events_this_second, 1, __ATOMIC_RELAXED) > ip_proc.cfg.maxeps) {
        __atomic_fetch_add(&events_cut, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    struct ip_thread *t = ip_thread_self();
    if (!t) {
        ip_thread_unqueued();
        return NULL;
    }
    ip_tls.pushing = true;
    struct rep_event *ev = ip_queue_reserve(&t->queue);
    if (!ev) {
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
    if (ip_proc.events && ip_proc.cfg.ev_console)
        text_events(REP_EV_CONSOLE, fd, text, len, 0, 0);
}

/* The same split for text written to a file: the reporter keeps it if the
 * file is a log file. */
void ip_event_file(const struct ip_call *c, int fd, const char *text, size_t len)
{
    struct ip_rec *f = c->ref.file;

    if (__atomic_load_n(&f->logfile, __ATOMIC_RELAXED) == IP_LOG_UNKNOWN &&
        (__atomic_load_n(&f->log_probe_bytes, __ATOMIC_RELAXED) > IP_LOG_PROBE_BYTES ||
         __atomic_add_fetch(&f->log_probe_bytes, len, __ATOMIC_RELAXED) > IP_LOG_PROBE_BYTES)) {
        ip_add(&f->log_missed_bytes, len);
        return;
    }
    text_events(REP_EV_FILE, fd, text, len, c->ref.slot - 1, c->ref.gen);
}

/* Does the operator want events of this record's kind? */
static bool kind_wanted(const struct ip_rec *f)
{
    return f->kind == IP_KIND_SOCKET ? ip_proc.cfg.ev_net : ip_proc.cfg.ev_fs;
}

/* fs.open or net.open, by what the record is. */
void ip_event_open(const char *op, int fd, const struct ip_rec *f)
{
    if (!ip_proc.events || !kind_wanted(f))
        return;
    bool sock = f->kind == IP_KIND_SOCKET;
    struct rep_event *ev = event_reserve(sock ? REP_EV_NET_OPEN : REP_EV_FS_OPEN, fd, op);
    if (!ev)
        return;
    if (sock)
        ev->h.sock = f->sock;
    else
        event_text_set(ev, f->path, strlen(f->path));
    event_commit();
}

void ip_event_close(const char *op, int fd, struct ip_rec_ref ref)
{
    const struct ip_rec *f = ref.file;
    struct rep_fs_counts totals;

    if (!ip_proc.events || !kind_wanted(f))
        return;
    bool sock = f->kind == IP_KIND_SOCKET;
    struct rep_event *ev = event_reserve(sock ? REP_EV_NET_CLOSE : REP_EV_FS_CLOSE, fd, op);
    if (!ev)
        return;
    if (sock)
        ev->h.sock = f->sock;
    else
        event_text_set(ev, f->path, strlen(f->path));
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
    if (!ip_proc.events || !ip_proc.cfg.ev_dns)
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
    if (!ip_proc.events || !ip_proc.cfg.ev_fs || !path)
        return;
    struct rep_event *ev = event_reserve(REP_EV_FS_DELETE, -1, op);
    if (!ev)
        return;
    event_text_set(ev, path, strlen(path));
    event_commit();
}

void ip_event_error(uint16_t kind, const char *op, const char *path)
{
    bool net = kind == REP_EV_NET_ERROR;
    if (!ip_proc.events || !(net ? ip_proc.cfg.ev_net : ip_proc.cfg.ev_fs))
        return;
    struct rep_event *ev = event_reserve(kind, -1, op);
    if (!ev)
        return;
    if (path)
        event_text_set(ev, path, strlen(path));
    event_commit();
}
