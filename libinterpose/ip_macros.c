/* ip_macros.c: what the getc and putc macros move (see ip_macros.h). */
#include "ip_macros.h"
#include "ip_call.h"
#include "ip_pushback.h"
#include "ip_unseen.h"

#include <stdint.h>
#include <string.h>

bool ip_macros_used;

void ip_macros_note_patched(const char *name)
{
    if (!strcmp(name, "__uflow") || !strcmp(name, "__underflow") || !strcmp(name, "__overflow"))
        __atomic_store_n(&ip_macros_used, true, __ATOMIC_RELAXED);
}

#ifdef __GLIBC__
/* A stream's mark: where its pointers were after our last call on it.
 * Written only under the stream's lock. */
struct mark {
    FILE *f;                        /* atomic; NULL: never used; GONE: freed */
    char *rbase, *rptr, *wbase, *wptr;
};

#define GONE ((FILE *)1)

static struct mark marks[IP_MACRO_STREAMS];

_Static_assert((IP_MACRO_STREAMS & (IP_MACRO_STREAMS - 1)) == 0, "a power of two");

static unsigned home_of(FILE *f)
{
    uintptr_t h = (uintptr_t)f;
    return (unsigned)((h >> 4) ^ (h >> 12)) & (IP_MACRO_STREAMS - 1);
}

/* f's mark, or NULL. */
static struct mark *mark_find(FILE *f)
{
    for (unsigned i = 0, at = home_of(f); i < IP_MACRO_STREAMS; i++, at = (at + 1) % IP_MACRO_STREAMS) {
        FILE *g = __atomic_load_n(&marks[at].f, __ATOMIC_ACQUIRE);
        if (g == f)
            return &marks[at];
        if (!g)
            return NULL;
    }
    return NULL;
}

static void mark_set(struct mark *m, FILE *f)
{
    m->rbase = f->_IO_read_base;
    m->rptr = f->_IO_read_ptr;
    m->wbase = f->_IO_write_base;
    m->wptr = f->_IO_write_ptr;
}

/* A new mark for f, where its pointers are (what moved before is not
 * known), or NULL: every slot taken (said once). */
static struct mark *mark_claim(FILE *f)
{
    for (unsigned i = 0, at = home_of(f); i < IP_MACRO_STREAMS; i++, at = (at + 1) % IP_MACRO_STREAMS) {
        FILE *g = __atomic_load_n(&marks[at].f, __ATOMIC_ACQUIRE);
        while (!g || g == GONE) {
            if (__atomic_compare_exchange_n(&marks[at].f, &g, f, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                mark_set(&marks[at], f);
                return &marks[at];
            }
        }
    }
    ip_unseen_add(IP_UNSEEN_MACRO_STREAMS, 1);
    return NULL;
}

/* How far a pointer moved in the same buffer, within its end. */
static size_t moved(const char *base, const char *mark, const char *now_base,
                    const char *now, const char *end)
{
    return base == now_base && mark && now >= mark && now <= end ? (size_t)(now - mark) : 0;
}

IP_INLINE void macro_read_counted(const struct ip_call *c, struct rep_io_counts *k, bool own,
                                  int64_t n)
{
    (void)c;
    ip_count(&k->read_ops, 1, own);
    ip_count(&k->read_bytes, (uint64_t)n, own);
}

IP_INLINE void macro_write_counted(const struct ip_call *c, struct rep_io_counts *k, bool own,
                                   int64_t n)
{
    (void)c;
    ip_count(&k->write_ops, 1, own);
    ip_count(&k->write_bytes, (uint64_t)n, own);
}

/* Count what moved since m, against f's file. */
static void mark_count(const struct mark *m, FILE *f)
{
    ssize_t r = (ssize_t)moved(m->rbase, m->rptr, f->_IO_read_base, f->_IO_read_ptr,
                               f->_IO_read_end);
    ssize_t w = (ssize_t)moved(m->wbase, m->wptr, f->_IO_write_base, f->_IO_write_ptr,
                               f->_IO_write_end);
    struct ip_call c;

    if ((r || w) && ip_call_start(&c, ip_stream_fd(f), true)) {
        r = ip_pushback_less(f, r);
        if (r > 0)
            ip_call_count(&c, macro_read_counted, r);
        if (w > 0)
            ip_call_count(&c, macro_write_counted, w);
    }
}

/* fflush(NULL): every stream followed, each under its own lock. */
static void marks_all(bool count)
{
    for (unsigned i = 0; i < IP_MACRO_STREAMS; i++) {
        FILE *f = __atomic_load_n(&marks[i].f, __ATOMIC_ACQUIRE);
        if (!f || f == GONE)
            continue;
        flockfile(f);
        if (__atomic_load_n(&marks[i].f, __ATOMIC_ACQUIRE) == f) {
            if (count)
                mark_count(&marks[i], f);
            mark_set(&marks[i], f);
        }
        funlockfile(f);
    }
}

bool ip_macros_settle_slow(FILE *f)
{
    if (!ip_observing())
        return false;
    if (!f) {
        marks_all(true);
        return true;                /* every mark is set again after the call */
    }
    int saved = errno;
    flockfile(f);
    struct mark *m = mark_find(f);
    if (m)
        mark_count(m, f);
    else if (!mark_claim(f)) {
        funlockfile(f);
        errno = saved;
        return false;
    }
    errno = saved;
    return true;
}

void ip_macros_mark_slow(FILE *f, bool held)
{
    if (!f) {
        marks_all(false);
        return;
    }
    struct mark *m = mark_find(f);
    if (m)
        mark_set(m, f);
    if (held)
        funlockfile(f);
}

void ip_macros_forget(FILE *f, bool held)
{
    if (!held)
        return;
    struct mark *m = mark_find(f);
    if (m)
        __atomic_store_n(&m->f, GONE, __ATOMIC_RELEASE);
    funlockfile(f);
}

void ip_macros_reset(void)
{
    for (unsigned i = 0; i < IP_MACRO_STREAMS; i++)
        __atomic_store_n(&marks[i].f, NULL, __ATOMIC_RELEASE);
}
#else
/* musl's FILE is opaque, and its getc and putc are functions we wrap: no
 * program of it calls __uflow, __underflow or __overflow, so
 * ip_macros_used stays false and these are never reached with a stream. */
bool ip_macros_settle_slow(FILE *f)
{
    return false;
}

void ip_macros_mark_slow(FILE *f, bool held)
{
    if (f && held)
        funlockfile(f);
}

void ip_macros_forget(FILE *f, bool held)
{
    if (held)
        funlockfile(f);
}

void ip_macros_reset(void)
{
}
#endif
