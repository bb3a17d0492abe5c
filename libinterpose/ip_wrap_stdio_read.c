/* ip_wrap_stdio_read.c: the read side of stdio: ungetc, the line and
 * byte readers, the macros' own calls when a buffer is empty or full, and
 * the scanf family. Bytes are counted when stdio hands them to the
 * program, less those it hands again after an ungetc (ip_pushback.h). */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_macros.h"
#include "ip_pushback.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ungetc moves no bytes; a success is known on glibc by the stream's read
 * pointer having moved (back in its buffer, or into the backup area).
 * musl's FILE is opaque, and its ungetc fails with EOF and nothing else:
 * a result other than EOF is a byte pushed back. */
int ip_wrap_ungetc(int ch, FILE *f)
{
#ifdef __GLIBC__
    char *before = f ? f->_IO_read_ptr : NULL;
    int rc = IP_STREAM_CALL(f, ip_real_ungetc(ch, f));
    bool pushed = rc != EOF && f && f->_IO_read_ptr != before;
#else
    int rc = IP_STREAM_CALL(f, ip_real_ungetc(ch, f));
    bool pushed = rc != EOF && f;
#endif
    if (pushed)
        ip_pushback_note(f);
    return rc;
}

/* getline returns -1 at end of file too, and fgets NULL: only ferror
 * makes it an error. */
static ssize_t getline_result(ssize_t rc, FILE *f)
{
    if (rc >= 0)
        return rc;
    int saved = errno;
    int failed = ferror(f);
    errno = saved;
    return failed ? -1 : 0;
}

#define WRAP_FGETS(name)                                                 \
    char *ip_wrap_##name(char *s, int n, FILE *f)                        \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                                 \
        char *rc = IP_STREAM_CALL(f, ip_real_##name(s, n, f));                  \
        ip_call_read_end(&c, rc ? ip_pushback_less(f, (ssize_t)strlen(rc)) : getline_result(-1, f)); \
        return rc;                                                       \
    }

WRAP_FGETS(fgets)
WRAP_FGETS(fgets_unlocked)

#define WRAP_FGETS_CHK(name)                                             \
    char *ip_wrap_##name(char *s, size_t size, int n, FILE *f)           \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                              \
        char *rc = IP_STREAM_CALL(f, ip_real_##name(s, size, n, f));     \
        ip_call_read_end(&c, rc ? ip_pushback_less(f, (ssize_t)strlen(rc)) : getline_result(-1, f)); \
        return rc;                                                       \
    }

WRAP_FGETS_CHK(__fgets_chk)
WRAP_FGETS_CHK(__fgets_unlocked_chk)

ssize_t ip_wrap_getline(char **line, size_t *n, FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, ip_stream_fd(f));
    ssize_t rc = IP_STREAM_CALL(f, ip_real_getline(line, n, f));
    ip_call_read_end(&c, ip_pushback_less(f, getline_result(rc, f)));
    return rc;
}

#define WRAP_GETDELIM(name)                                              \
    ssize_t ip_wrap_##name(char **line, size_t *n, int delim, FILE *f)   \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                                 \
        ssize_t rc = IP_STREAM_CALL(f, ip_real_##name(line, n, delim, f));               \
        ip_call_read_end(&c, ip_pushback_less(f, getline_result(rc, f)));                     \
        return rc;                                                       \
    }

WRAP_GETDELIM(getdelim)
WRAP_GETDELIM(__getdelim)

#define WRAP_FGETC(name)                                                 \
    int ip_wrap_##name(FILE *f)                                          \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                                 \
        int rc = IP_STREAM_CALL(f, ip_real_##name(f));                  \
        ip_call_read_end(&c, rc == EOF ? getline_result(-1, f) : ip_pushback_less(f, 1)); \
        return rc;                                                       \
    }

WRAP_FGETC(fgetc)
WRAP_FGETC(getc)
WRAP_FGETC(_IO_getc)
WRAP_FGETC(fgetc_unlocked)

/* The macros' own calls, when a stream's buffer is empty (__uflow takes
 * a byte, __underflow only looks at it: the macro that takes it moves
 * the read pointer, counted at the next call) or full (__overflow). */
int ip_wrap___uflow(FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, ip_stream_fd(f));
    int rc = IP_STREAM_CALL(f, ip_real___uflow(f));
    ip_call_read_end(&c, rc == EOF ? getline_result(-1, f) : ip_pushback_less(f, 1));
    return rc;
}

int ip_wrap___underflow(FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, ip_stream_fd(f));
    int rc = IP_STREAM_CALL(f, ip_real___underflow(f));
    ip_call_read_end(&c, rc == EOF ? getline_result(-1, f) : 0);
    return rc;
}

int ip_wrap___overflow(FILE *f, int c)
{
    struct ip_call call;
    int fd = ip_stream_fd(f);
    ip_call_begin(&call, fd);
    int rc = IP_STREAM_CALL(f, ip_real___overflow(f, c));
    char byte = (char)c;
    ip_call_write_end(&call, fd, &byte, rc == EOF ? -1 : c == EOF ? 0 : 1);
    return rc;
}

/* A flush empties the write buffer: the macros' bytes before it are
 * counted first. It moves nothing else of its own. */
int ip_wrap_fflush(FILE *f)
{
    return IP_STREAM_CALL(f, ip_real_fflush(f));
}

int ip_wrap_fflush_unlocked(FILE *f)
{
    return IP_STREAM_CALL(f, ip_real_fflush_unlocked(f));
}

/* The scanf family returns items, not bytes: what it took is how far the
 * stream's position moved (asked of stdio before and after, only on a
 * file's stream: pipes and the console count nothing anyway). */
static off_t stream_pos(FILE *f)
{
    int saved = errno;
    off_t pos = ftello(f);
    errno = saved;
    return pos;
}

static int vfscanf_observed(FILE *f, bool c99, const char *fmt, va_list ap)
{
    struct ip_call c;
    ip_call_begin(&c, ip_stream_fd(f));
    bool measured = c.observed && c.ref.file && c.ref.file->kind == IP_KIND_FILE;
    off_t before = measured ? stream_pos(f) : -1;
    int rc = IP_STREAM_CALL(f, c99 ? ip_real___isoc99_vfscanf(f, fmt, ap)
                                   : ip_real_vfscanf(f, fmt, ap));
    off_t after = before >= 0 ? stream_pos(f) : -1;
    ssize_t took = after >= before && before >= 0 ? (ssize_t)(after - before) : 0;
    ip_call_read_end(&c, rc == EOF && took == 0 ? getline_result(-1, f)
                                                : ip_pushback_less(f, took));
    return rc;
}

int ip_wrap_vfscanf(FILE *f, const char *fmt, va_list ap)
{
    return vfscanf_observed(f, false, fmt, ap);
}

int ip_wrap___isoc99_vfscanf(FILE *f, const char *fmt, va_list ap)
{
    return vfscanf_observed(f, true, fmt, ap);
}

int ip_wrap_vscanf(const char *fmt, va_list ap)
{
    return vfscanf_observed(stdin, false, fmt, ap);
}

int ip_wrap___isoc99_vscanf(const char *fmt, va_list ap)
{
    return vfscanf_observed(stdin, true, fmt, ap);
}

/* The parameters before fmt come last, with their comma (none: scanf,
 * on stdin). */
#define WRAP_SCANF(name, c99, stream, ...)                               \
    int ip_wrap_##name(__VA_ARGS__ const char *fmt, ...)                 \
    {                                                                    \
        va_list ap;                                                      \
        va_start(ap, fmt);                                               \
        int rc = vfscanf_observed(stream, c99, fmt, ap);                 \
        va_end(ap);                                                      \
        return rc;                                                       \
    }

WRAP_SCANF(fscanf, false, f, FILE *f,)
WRAP_SCANF(__isoc99_fscanf, true, f, FILE *f,)
WRAP_SCANF(scanf, false, stdin)
WRAP_SCANF(__isoc99_scanf, true, stdin)

