/* ip_wrap_stdio.c: wrappers of the stdio functions programs print with.
 *
 * Inside libc, fwrite and printf reach the kernel through libc's internal
 * write, never through a GOT (INTERPOSITION-NOTES 9): the stream functions
 * themselves are the only place to see this I/O. Bytes are counted when the
 * program hands them to stdio, against the file under the stream's fd.
 */
#include "ip_call.h"
#include "ip_hooks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Console text of one printf call, formatted a second time into the
 * wrapper's stack; longer output is cut at this size. */
#define CONSOLE_PRINTF_MAX 2048

/* fileno() sets errno on streams without an fd (fmemopen); the callers
 * restore the program's errno afterwards. */
static int stream_fd(FILE *f)
{
    int saved = errno;
    int fd = f ? fileno(f) : -1;
    errno = saved;
    return fd;
}

#define WRAP_FOPEN(name)                                                \
    FILE *ip_wrap_##name(const char *path, const char *mode)            \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, -1);                                          \
        FILE *f = ip_real_##name(path, mode);                           \
        ip_call_open_end(&c, #name, f ? stream_fd(f) : -1, path);       \
        return f;                                                       \
    }

WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

int ip_wrap_fclose(FILE *f)
{
    struct ip_call c;
    int fd = stream_fd(f);
    ip_call_begin(&c, fd);
    int rc = ip_real_fclose(f);
    ip_call_close_end(&c, "fclose", fd, rc == EOF ? -1 : 0);
    return rc;
}

/* fread and fwrite return items; what moved is items * size bytes. */
static ssize_t items_bytes(size_t items, size_t size)
{
    return (ssize_t)(items * size);
}

/* A short fread is an error only when the stream says so (else: end of
 * file). Asked after the call, so errno is the program's own again. */
static ssize_t fread_result(size_t items, size_t size, size_t asked, FILE *f)
{
    if (items < asked && f) {
        int saved = errno;
        int failed = ferror(f);
        errno = saved;
        if (failed && items == 0)
            return -1;
    }
    return items_bytes(items, size);
}

size_t ip_wrap_fread(void *buf, size_t size, size_t n, FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, stream_fd(f));
    size_t rc = ip_real_fread(buf, size, n, f);
    ip_call_read_end(&c, fread_result(rc, size, n, f));
    return rc;
}

size_t ip_wrap___fread_chk(void *buf, size_t buflen, size_t size, size_t n, FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, stream_fd(f));
    size_t rc = ip_real___fread_chk(buf, buflen, size, n, f);
    ip_call_read_end(&c, fread_result(rc, size, n, f));
    return rc;
}

#define WRAP_FWRITE(name)                                               \
    size_t ip_wrap_##name(const void *buf, size_t size, size_t n, FILE *f) \
    {                                                                   \
        struct ip_call c;                                               \
        int fd = stream_fd(f);                                          \
        ip_call_begin(&c, fd);                                          \
        size_t rc = ip_real_##name(buf, size, n, f);                    \
        ip_call_write_end(&c, fd, buf, items_bytes(rc, size));          \
        return rc;                                                      \
    }

WRAP_FWRITE(fwrite)
WRAP_FWRITE(fwrite_unlocked)

/* fputs and puts return a non-negative number on success, not a count. */
#define WRAP_FPUTS(name)                                                \
    int ip_wrap_##name(const char *s, FILE *f)                          \
    {                                                                   \
        struct ip_call c;                                               \
        int fd = stream_fd(f);                                          \
        ip_call_begin(&c, fd);                                          \
        int rc = ip_real_##name(s, f);                                  \
        ip_call_write_end(&c, fd, s, rc == EOF ? -1 : (ssize_t)strlen(s)); \
        return rc;                                                      \
    }

WRAP_FPUTS(fputs)
WRAP_FPUTS(fputs_unlocked)

int ip_wrap_puts(const char *s)
{
    struct ip_call c;
    char line[CONSOLE_PRINTF_MAX];
    const char *text = NULL;
    int fd = stream_fd(stdout);

    ip_call_begin(&c, fd);
    int rc = ip_real_puts(s);
    ssize_t n = rc == EOF ? -1 : (ssize_t)strlen(s) + 1;
    if (n > 0 && c.observed && ip_call_is_console(&c, fd)) {
        /* puts writes s and a newline: one console event for both, cut
         * at the buffer (console output is not counted in bytes). */
        size_t len = (size_t)n - 1 < sizeof line - 1 ? (size_t)n - 1 : sizeof line - 1;
        memcpy(line, s, len);
        line[len] = '\n';
        text = line;
        n = (ssize_t)len + 1;
    }
    ip_call_write_end(&c, fd, text, n);
    return rc;
}

#define WRAP_FPUTC(name)                                                \
    int ip_wrap_##name(int ch, FILE *f)                                 \
    {                                                                   \
        struct ip_call c;                                               \
        int fd = stream_fd(f);                                          \
        ip_call_begin(&c, fd);                                          \
        int rc = ip_real_##name(ch, f);                                 \
        char byte = (char)ch;                                           \
        ip_call_write_end(&c, fd, &byte, rc == EOF ? -1 : 1);           \
        return rc;                                                      \
    }

WRAP_FPUTC(fputc)
WRAP_FPUTC(fputc_unlocked)
WRAP_FPUTC(putc)
WRAP_FPUTC(_IO_putc)

int ip_wrap_putchar(int ch)
{
    struct ip_call c;
    int fd = stream_fd(stdout);
    ip_call_begin(&c, fd);
    int rc = ip_real_putchar(ch);
    char byte = (char)ch;
    ip_call_write_end(&c, fd, &byte, rc == EOF ? -1 : 1);
    return rc;
}

/* The printf family. The real function prints; when the stream is the
 * console the text is formatted once more for the event (only then: a
 * printf to a file costs no second formatting). */
static void printf_end(const struct ip_call *c, int fd, int rc,
                       const char *fmt, va_list ap)
{
    char text[CONSOLE_PRINTF_MAX];
    const char *shown = NULL;

    if (c->observed && rc > 0 && ip_proc.events && ip_call_is_console(c, fd)) {
        int saved = errno;
        vsnprintf(text, sizeof text, fmt, ap);
        errno = saved;
        shown = text;
        if ((size_t)rc >= sizeof text)
            rc = sizeof text - 1;
    }
    ip_call_write_end(c, fd, shown, rc < 0 ? -1 : rc);
}

static int vfprintf_observed(FILE *f, int flag, bool chk, const char *fmt, va_list ap)
{
    struct ip_call c;
    va_list again;
    int fd = stream_fd(f);

    ip_call_begin(&c, fd);
    va_copy(again, ap);
    int rc = chk ? ip_real___vfprintf_chk(f, flag, fmt, ap)
                 : ip_real_vfprintf(f, fmt, ap);
    printf_end(&c, fd, rc, fmt, again);
    va_end(again);
    return rc;
}

int ip_wrap_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    return vfprintf_observed(f, 0, false, fmt, ap);
}

int ip_wrap___vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
    return vfprintf_observed(f, flag, true, fmt, ap);
}

int ip_wrap_vprintf(const char *fmt, va_list ap)
{
    return vfprintf_observed(stdout, 0, false, fmt, ap);
}

int ip_wrap___vprintf_chk(int flag, const char *fmt, va_list ap)
{
    return vfprintf_observed(stdout, flag, true, fmt, ap);
}

int ip_wrap_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf_observed(stdout, 0, false, fmt, ap);
    va_end(ap);
    return rc;
}

int ip_wrap_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf_observed(f, 0, false, fmt, ap);
    va_end(ap);
    return rc;
}

int ip_wrap___printf_chk(int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf_observed(stdout, flag, true, fmt, ap);
    va_end(ap);
    return rc;
}

int ip_wrap___fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf_observed(f, flag, true, fmt, ap);
    va_end(ap);
    return rc;
}
