/* ip_macros.h: bytes the getc and putc macros move, counted once.
 *
 * glibc's getc_unlocked and putc_unlocked (and the functions they stand
 * for when inlined, and every getc and putc under gnulib's unlocked-io,
 * which coreutils, sed and tar build with) read and write a stream's
 * buffer in the program's own code: a function is called only when the
 * buffer is empty (__uflow, __underflow) or full (__overflow). So each
 * stream's read and write pointers are remembered after every call of
 * ours on it (its mark), and the next call on it, whichever, first counts
 * how far each pointer moved since: the bytes the macros moved.
 *
 * Only in a process where some object calls __uflow, __underflow or
 * __overflow (seen when it is patched): nothing is remembered, and no
 * call pays more than a load, anywhere else. Marks live in a fixed table
 * keyed by FILE * (no allocation, no lock of ours: the stream's own lock,
 * which its calls take anyway, is held from the count to the new mark,
 * so that another thread's call cannot move the pointers in between).
 * With every slot taken, a stream is not followed, and that is said.
 * Pushed-back bytes the macros read again are taken away (ip_pushback).
 */
#ifndef IP_MACROS_H
#define IP_MACROS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#define IP_MACRO_STREAMS 128

extern bool ip_macros_used;

/* At patch time: hook `name` was patched into some object. */
void ip_macros_note_patched(const char *name);

/* The out-of-line parts of the two below. */
bool ip_macros_settle_slow(FILE *f);
void ip_macros_mark_slow(FILE *f, bool held);

/* Before a stdio call on f (NULL: every stream, fflush(NULL)): count
 * what the macros moved on f since its mark. True: f's lock is held, for
 * ip_macros_mark to let go. */
static inline bool ip_macros_settle(FILE *f)
{
    if (__builtin_expect(__atomic_load_n(&ip_macros_used, __ATOMIC_RELAXED), 0))
        return ip_macros_settle_slow(f);
    return false;
}

/* After it: f's mark is where its pointers are now. */
static inline void ip_macros_mark(FILE *f, bool held)
{
    if (__builtin_expect(held || !f, 0))
        ip_macros_mark_slow(f, held);
}

/* The real call of a stdio function on stream f, between the two. */
#define IP_STREAM_CALL(f, call)                                         \
    ({                                                                  \
        bool held_ = ip_macros_settle(f);                               \
        __typeof__(call) rc_ = (call);                                  \
        ip_macros_mark(f, held_);                                       \
        rc_;                                                            \
    })

/* fileno(), which sets errno on streams without an fd (fmemopen): the
 * program's is put back. Not the FILE's own _fileno field: open_memstream
 * leaves it as the heap had it, and only fileno() knows (from glibc's
 * private flags) whether it means anything. */
static inline int ip_stream_fd(FILE *f)
{
    int saved = errno;
    int fd = f ? fileno(f) : -1;
    errno = saved;
    return fd;
}

/* f is about to be closed (held: what ip_macros_settle said): its slot
 * is free, its lock let go. */
void ip_macros_forget(FILE *f, bool held);

/* Attach: marks from an earlier attach mean nothing now. */
void ip_macros_reset(void);

#endif
