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

/* Is any object using the macros (the one load every stdio call pays
 * when none is)? */
static inline bool ip_macros_on(void)
{
    return __builtin_expect(__atomic_load_n(&ip_macros_used, __ATOMIC_RELAXED), 0);
}

/* Before a stdio call on f (NULL: every stream, fflush(NULL)): count
 * what the macros moved on f since its mark. True: f's lock is held, for
 * ip_macros_mark to let go (for NULL: every mark is to be set again). */
static inline bool ip_macros_settle(FILE *f)
{
    return ip_macros_on() && ip_macros_settle_slow(f);
}

/* After it: f's mark is where its pointers are now. */
static inline void ip_macros_mark(FILE *f, bool held)
{
    if (__builtin_expect(held, 0))
        ip_macros_mark_slow(f, held);
}

/* The real call of a stdio function on stream f, between the two; in a
 * process that does not use the macros, the call alone, after one load
 * (the settle and mark, and what they keep across the call, are the
 * cold branch). */
#define IP_STREAM_CALL(f, call)                                         \
    ({                                                                  \
        __typeof__(call) rc_;                                           \
        if (ip_macros_on()) {                                           \
            bool held_ = ip_macros_settle_slow(f);                      \
            rc_ = (call);                                               \
            ip_macros_mark(f, held_);                                   \
        } else {                                                        \
            rc_ = (call);                                               \
        }                                                               \
        rc_;                                                            \
    })

/* fileno(), which sets errno on streams without an fd (fmemopen): the
 * program's is put back. Not the FILE's own _fileno field alone:
 * open_memstream leaves it as the heap had it, and only glibc's private
 * flags say whether it means anything. On glibc, what fileno() does,
 * inline and without touching errno: the fd of a stream that is a file
 * (_IO_IS_FILEBUF, a flag of glibc's ABI since libio began: programs
 * built against the old headers test it), else -1. */
#ifdef __GLIBC__
#define IP_GLIBC_IO_IS_FILEBUF 0x2000
static inline int ip_stream_fd(FILE *f)
{
    if (!f || !(f->_flags & IP_GLIBC_IO_IS_FILEBUF) || f->_fileno < 0)
        return -1;
    return f->_fileno;
}
#else
static inline int ip_stream_fd(FILE *f)
{
    int saved = errno;
    int fd = f ? fileno(f) : -1;
    errno = saved;
    return fd;
}
#endif

/* f is about to be closed (held: what ip_macros_settle said): its slot
 * is free, its lock let go. */
void ip_macros_forget(FILE *f, bool held);

/* Attach: marks from an earlier attach mean nothing now. */
void ip_macros_reset(void);

#endif
