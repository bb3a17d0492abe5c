/* ip_tap.c: the protocol tap (ip_tap.h): pieces onto the thread's ring
 * in the wrappers, and on the reporter thread to each connection's
 * parser. */
#include "ip_tap.h"
#include "ip_ring.h"
#include "rep_log.h"
#include "rep_proto.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

bool ip_tap_enabled;

/* ---- in the wrappers ---------------------------------------------------- */

/* n bytes of src from byte `at` of the call into dst. */
static void src_copy(char *dst, const struct ip_tap_src *src, size_t at, size_t n)
{
    if (src->buf) {
        memcpy(dst, src->buf + at, n);
        return;
    }
    for (size_t i = 0; i < src->iovcnt && n; i++) {
        size_t len = src->iov[i].iov_len;
        if (at >= len) {
            at -= len;
            continue;
        }
        size_t take = len - at < n ? len - at : n;
        memcpy(dst, (const char *)src->iov[i].iov_base + at, take);
        dst += take;
        n -= take;
        at = 0;
    }
}

/* One piece as the ring holds it: stream bytes [offset, offset + len)
 * of one direction, the first `seen` of them given. */
struct tap_piece {
    uint32_t index, gen;            /* the record, in one use */
    uint64_t offset, len;
    int64_t mono_ns;                /* when the call returned */
    uint32_t seen;                  /* at most REP_PROTO_FOLLOW_MAX */
    uint8_t dir, chan;
    char bytes[];
};

/* Each thread's ring, by its index in the thread pool: mapped at the
 * first attach that taps, pages touched only by threads that tap. */
static struct ip_ring *rings;
static uint32_t rings_high;         /* rings [0, rings_high) were used */

/* Of `want` bytes of src from `at`, what a piece holds (copied to dst):
 * all when the reporter wants the stream whole (want is bounded so);
 * else the first IP_TAP_CALL_BYTES, or the first head_rest when more (a
 * head under way may end there); all, up to the longest head parsed,
 * when they start as a request or status line does (a capital letter)
 * and hold no end of a head in those first bytes: a long head read or
 * written at once is seen whole, and the common call, a short head and
 * a body, or a body alone, costs no more. Returns the bytes copied. */
static size_t piece_fill(char *dst, const struct ip_tap_src *src, size_t at, size_t want,
                         size_t head_rest, bool whole)
{
    size_t first = whole ? want : head_rest > IP_TAP_CALL_BYTES ? head_rest : IP_TAP_CALL_BYTES;

    if (first > want)
        first = want;
    src_copy(dst, src, at, first);
    if (first == want || dst[0] < 'A' || dst[0] > 'Z' || memmem(dst, first, "\r\n\r\n", 4))
        return first;
    src_copy(dst + first, src, at + first, want - first);
    return want;
}

static void piece_push(struct ip_rec_ref ref, unsigned chan, unsigned dir, uint64_t offset,
                       uint64_t len, const struct ip_tap_src *src, size_t at, size_t want,
                       size_t head_rest, bool whole)
{
    struct ip_thread *t = ip_tls.thread ? ip_tls.thread : ip_thread_self();

    /* a signal handler's call inside ours: its piece is lost (a gap the
     * reporter sees in the offsets) */
    if (!t || !rings || ip_tls.pushing)
        return;
    uint32_t i = ip_thread_index(t), high = __atomic_load_n(&rings_high, __ATOMIC_RELAXED);
    while (i >= high && !__atomic_compare_exchange_n(&rings_high, &high, i + 1, false,
                                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    ip_tls.pushing = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    struct tap_piece *p = ip_ring_reserve(&rings[i], (sizeof *p + want + 7) & ~(size_t)7);
    if (p) {
        size_t seen = piece_fill(p->bytes, src, at, want, head_rest, whole);
        p->index = ref.slot - 1;
        p->gen = ref.gen;
        p->offset = offset;
        p->len = len;
        p->mono_ns = ip_now_ns();
        p->seen = (uint32_t)seen;
        p->dir = (uint8_t)dir;
        p->chan = (uint8_t)chan;
        ip_ring_commit(&rings[i], (sizeof *p + seen + 7) & ~(size_t)7);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ip_tls.pushing = false;
}

/* Each byte received goes to the tap once, when the program first sees
 * it: a peek shows bytes a read returns again. Of n bytes received, the
 * first ones handed over already, at a peek: those to skip. The stream's
 * offsets count bytes handed over, so the peeked ones are ahead of what
 * the program took. */
static size_t peek_skip(struct ip_tap_chan *ch, size_t n, bool peek)
{
    uint64_t ahead = __atomic_load_n(&ch->peeked, __ATOMIC_RELAXED);

    if (!ahead && !peek)
        return 0;                   /* the common read: one load */
    size_t skip = n < ahead ? n : (size_t)ahead;
    __atomic_store_n(&ch->peeked, peek ? ahead + (n - skip) : ahead - skip, __ATOMIC_RELAXED);
    return skip;
}

/* Of a call starting at stream byte `start`, what may still be a head
 * the reporter saw begin at `from` (it says where the head it gathers
 * began) in an earlier call: bytes up to the longest head parsed from
 * there. 0: no head is known to be under way (the call starts where
 * heads may, or past that bound). */
static size_t head_rest(uint64_t from, uint64_t start)
{
    return from < start && start - from < REP_PROTO_HEAD_MAX
           ? (size_t)(from + REP_PROTO_HEAD_MAX - start) : 0;
}

void ip_tap_moved(struct ip_rec_ref ref, unsigned chan, unsigned dir,
                  const struct ip_tap_src *src, size_t n, bool peek)
{
    if (!ip_rec_ref_valid(ref))
        return;
    int saved = errno;
    struct ip_tap_chan *ch = &ref.file->tap[chan];
    /* datagrams are no protocol we parse (and MSG_TRUNC may say more
     * bytes than the buffer holds) */
    if (ref.file->sock.type != SOCK_STREAM) {
        __atomic_store_n(&ch->verdict, IP_TAP_NOTHING, __ATOMIC_RELAXED);
        goto out;
    }
    size_t skip = dir == IP_TAP_RX ? peek_skip(ch, n, peek) : 0;
    if (skip == n)
        goto out;
    n -= skip;
    uint64_t off = __atomic_fetch_add(&ch->pos[dir], n, __ATOMIC_RELAXED);
    uint64_t from = __atomic_load_n(&ch->head_from[dir], __ATOMIC_RELAXED);
    uint64_t end = off + n;

    /* All body: the offsets of the next piece say so. The call that ends
     * a body is handed over (with nothing of it, when it ends there):
     * its time is the response's last byte. */
    if (end < from)
        goto out;
    uint64_t start = off > from ? off : from;
    /* a chunked body's lines may be anywhere in the call: more of it */
    bool whole = __atomic_load_n(&ch->whole[dir], __ATOMIC_RELAXED);
    size_t bound = whole ? REP_PROTO_FOLLOW_MAX : REP_PROTO_HEAD_MAX;
    size_t want = end - start < bound ? (size_t)(end - start) : bound;
    if (!src->buf && !src->iov)
        want = 0;
    if (__atomic_load_n(&ch->verdict, __ATOMIC_RELAXED) == IP_TAP_UNKNOWN &&
        (__atomic_load_n(&ch->probe_bytes, __ATOMIC_RELAXED) > IP_TAP_PROBE_BYTES ||
         __atomic_add_fetch(&ch->probe_bytes, want, __ATOMIC_RELAXED) > IP_TAP_PROBE_BYTES))
        goto out;
    piece_push(ref, chan, dir, start, end - start, src, skip + (size_t)(start - off), want,
               head_rest(from, start), whole);
out:
    errno = saved;
}

/* ---- on the reporter thread --------------------------------------------- */

/* The parsers of one record's use (gen), per channel. */
struct tap_conn {
    bool used;
    uint32_t gen;
    struct rep_conn *chan[IP_TAP_CHANS];
};

static struct tap_conn *conns;      /* by record index, made on first use */
static uint32_t conns_high;         /* indices below it may be in use */

/* A TLS connection none of whose plaintext reached us: its TLS library
 * is not one whose calls we see. */
static bool tls_unseen(const struct tap_conn *tc)
{
    struct rep_conn *wire = tc->chan[IP_TAP_WIRE];

    return wire && !tc->chan[IP_TAP_TLS] && rep_conn_proto(wire) &&
           !strcmp(rep_conn_proto(wire), "tls");
}

static void conn_end(struct rep *r, struct tap_conn *tc)
{
    if (r && tls_unseen(tc))
        rep_tls_unseen(r);
    for (unsigned i = 0; i < IP_TAP_CHANS; i++) {
        if (tc->chan[i])
            rep_conn_close(r, tc->chan[i]);
        tc->chan[i] = NULL;
    }
    tc->used = false;
}

/* The verdict, where heads may start and how much of a call is wanted,
 * for the wrappers. */
static void verdict_store(struct ip_tap_chan *ch, enum rep_proto_verdict v,
                          const struct rep_tap_want *want)
{
    if (v == REP_PROTO_NO) {
        __atomic_store_n(&ch->verdict, IP_TAP_NOTHING, __ATOMIC_RELAXED);
        return;
    }
    if (v != REP_PROTO_YES)
        return;
    __atomic_store_n(&ch->verdict, IP_TAP_PARSED, __ATOMIC_RELAXED);
    for (unsigned d = 0; d < 2; d++) {
        if (want->head_from[d] > __atomic_load_n(&ch->head_from[d], __ATOMIC_RELAXED))
            __atomic_store_n(&ch->head_from[d], want->head_from[d], __ATOMIC_RELAXED);
        __atomic_store_n(&ch->whole[d], want->whole[d], __ATOMIC_RELAXED);
    }
}

struct drain_ctx {
    struct rep *r;
    int64_t wall_minus_mono;        /* ns: a piece's wall clock from its mono */
};

static void piece_take(void *arg, const void *rec, size_t n)
{
    struct drain_ctx *dc = arg;
    const struct tap_piece *tp = rec;
    uint32_t i = tp->index;

    if (n < sizeof *tp || i >= IP_RECS_MAX || tp->chan >= IP_TAP_CHANS || tp->dir > IP_TAP_TX)
        return;
    struct ip_rec *f = &ip_rec_pool[i];
    if (__atomic_load_n(&f->gen, __ATOMIC_ACQUIRE) != tp->gen)
        return;                     /* gone: its parser was finished */
    if (!conns && !(conns = calloc(IP_RECS_MAX, sizeof *conns)))
        return;
    struct tap_conn *tc = &conns[i];
    if (tc->used && tc->gen != tp->gen)
        conn_end(dc->r, tc);
    tc->used = true;
    tc->gen = tp->gen;
    if (i >= conns_high)
        conns_high = i + 1;
    struct rep_conn **c = &tc->chan[tp->chan];
    if (!*c && !(*c = rep_conn_open(&f->sock, tp->chan == IP_TAP_TLS)))
        return;
    struct rep_tap_piece p = {
        .dir = tp->dir == IP_TAP_RX ? REP_TAP_RX : REP_TAP_TX,
        .offset = tp->offset, .len = tp->len,
        .bytes = tp->bytes, .seen = tp->seen,
        .mono_ns = tp->mono_ns, .time = (double)(tp->mono_ns + dc->wall_minus_mono) / 1e9,
    };
    struct rep_tap_want want;
    enum rep_proto_verdict v = rep_conn_feed(dc->r, *c, &p, &want);
    verdict_store(&f->tap[tp->chan], v, &want);
}

void ip_tap_drain(struct rep *r)
{
    struct drain_ctx dc = { r, ip_wall_ns() - ip_now_ns() };
    uint32_t high = __atomic_load_n(&rings_high, __ATOMIC_RELAXED);
    uint64_t dropped = 0;

    for (uint32_t i = 0; i < high; i++) {
        ip_ring_drain(&rings[i], piece_take, &dc);
        dropped += ip_ring_take_dropped(&rings[i]);
    }
    if (dropped)
        rep_tap_dropped(r, dropped);
}

/* A record is freed (its generation bumped) two drains after its close:
 * by then every piece its calls handed over was drained. Not at the
 * close itself: a piece pushed just before it may still be in a ring. */
void ip_tap_collect(struct rep *r)
{
    for (uint32_t i = 0; i < conns_high; i++) {
        struct tap_conn *tc = &conns[i];
        if (tc->used && __atomic_load_n(&ip_rec_pool[i].gen, __ATOMIC_ACQUIRE) != tc->gen)
            conn_end(r, tc);
        /* the last cycle: a connection still open (or closed too late to
         * be freed) says it too */
        else if (tc->used && rep_last_cycle(r) && tls_unseen(tc))
            rep_tls_unseen(r);
    }
}

void ip_tap_configure(void)
{
    const struct rep_config *cfg = &ip_proc.cfg;

    /* a new attach: the records were forgotten, so are their parsers,
     * without a word (no reporter runs yet) */
    for (uint32_t i = 0; i < conns_high; i++)
        if (conns[i].used)
            conn_end(NULL, &conns[i]);
    conns_high = 0;
    bool on = (ip_proc.events && cfg->ev_http) || (cfg->metric_enable && cfg->metric_http);
    if (on && !rings) {
        void *p = mmap(NULL, IP_THREADS_MAX * sizeof *rings, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        rings = p == MAP_FAILED ? NULL : p;
        if (!rings)
            rep_log(REP_LOG_WARNING, "no address space for the protocol tap's rings "
                    "(%zu MiB): HTTP is not observed", IP_THREADS_MAX * sizeof *rings >> 20);
    }
    __atomic_store_n(&ip_tap_enabled, on && rings, __ATOMIC_RELAXED);
}
