/* ip_wrap_stdio.c: wrappers of the stdio functions programs print with.
 *
 * Inside libc, fwrite and printf reach the kernel through libc's internal
 * write, never through a GOT, so patching write's GOT slots cannot see it:
 * the stream functions themselves are the only place to see this I/O. Bytes are counted when the
 * program hands them to stdio, against the file under the stream's fd.
 */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_macros.h"
#include "ip_pushback.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Console text of one printf call, formatted a second time into the
 * wrapper's stack; longer output is cut at this size. */
#define CONSOLE_PRINTF_MAX 2048

/* What /proc/self/fd says fd is; path is left as it was if nothing. */
static void fd_path(int fd, char *path, size_t cap)
{
    char link[32];
    int saved = errno;

    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, cap - 1);
    if (n > 0)
        path[n] = '\0';
    errno = saved;
}

#define WRAP_FOPEN(name)                                                \
    FILE *ip_wrap_##name(const char *path, const char *mode)            \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin_open(&c);                                         \
        FILE *f = ip_real_##name(path, mode);                           \
        ip_call_open_end(&c, #name, f ? ip_stream_fd(f) : -1, path);       \
        return f;                                                       \
    }

WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

/* tmpfile's file has no name (O_TMPFILE, or unlinked at once): it is
 * named as the kernel names it, "/tmp/#123 (deleted)", and numbered: the
 * kernel gives a closed one's inode, and so its name, to the next. */
static unsigned long tmpfiles_opened;

static void tmpfile_name(int fd, char *path, size_t cap)
{
    fd_path(fd, path, cap);
    size_t n = strlen(path);
    snprintf(path + n, cap - n, " [tmpfile %lu]",
             __atomic_add_fetch(&tmpfiles_opened, 1, __ATOMIC_RELAXED));
}

#define WRAP_TMPFILE(name)                                              \
    FILE *ip_wrap_##name(void)                                          \
    {                                                                   \
        struct ip_call c;                                               \
        char path[IP_PATH_MAX] = "tmpfile";                             \
        ip_call_begin_open(&c);                                         \
        FILE *f = ip_real_##name();                                     \
        int fd = f ? ip_stream_fd(f) : -1;                                 \
        if (c.observed && fd >= 0)                                      \
            tmpfile_name(fd, path, sizeof path);                        \
        ip_call_open_end(&c, #name, fd, path);                          \
        return f;                                                       \
    }

WRAP_TMPFILE(tmpfile)
WRAP_TMPFILE(tmpfile64)

int ip_wrap_fclose(FILE *f)
{
    struct ip_call c;
    int fd = ip_stream_fd(f);
    ip_macros_forget(f, ip_macros_settle(f));
    ip_call_begin(&c, fd);
    ip_pushback_forget(f);
    int rc = ip_real_fclose(f);
    ip_call_close_end(&c, "fclose", fd, rc == EOF ? -1 : 0);
    return rc;
}

/* fread and fwrite return items; what moved is items * size bytes. */
static ssize_t items_bytes(size_t items, size_t size)
{
    return (ssize_t)(items * size);
}

/* A short fread or fwrite is an error only when the stream says so (else:
 * end of file). Asked after the call, so errno is the program's own again. */
static ssize_t items_result(size_t items, size_t size, size_t asked, FILE *f)
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
    ip_call_begin(&c, ip_stream_fd(f));
    size_t rc = IP_STREAM_CALL(f, ip_real_fread(buf, size, n, f));
    ip_call_read_end(&c, ip_pushback_less(f, items_result(rc, size, n, f)));
    return rc;
}

size_t ip_wrap_fread_unlocked(void *buf, size_t size, size_t n, FILE *f)
{
    struct ip_call c;
    ip_call_begin(&c, ip_stream_fd(f));
    size_t rc = IP_STREAM_CALL(f, ip_real_fread_unlocked(buf, size, n, f));
    ip_call_read_end(&c, ip_pushback_less(f, items_result(rc, size, n, f)));
    return rc;
}

#define WRAP_FREAD_CHK(name)                                            \
    size_t ip_wrap_##name(void *buf, size_t buflen, size_t size, size_t n, FILE *f) \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, ip_stream_fd(f));                             \
        size_t rc = IP_STREAM_CALL(f, ip_real_##name(buf, buflen, size, n, f)); \
        ip_call_read_end(&c, ip_pushback_less(f, items_result(rc, size, n, f))); \
        return rc;                                                      \
    }

WRAP_FREAD_CHK(__fread_chk)
WRAP_FREAD_CHK(__fread_unlocked_chk)

/* The fast path (ip_call.h) in the wrapper, the others (general, or
 * timed: ip_call_begin_slow) in a function of its own, not inlined, so
 * that the wrapper's frame is only what the fast path needs; its own
 * parameters go after the call's, six in all, so that the wrapper jumps
 * to it (the stream's fd is looked up again there: two loads). */
#define WRAP_FWRITE(name)                                               \
    static __attribute__((noinline)) size_t name##_slow(                \
        const void *buf, size_t size, size_t n, FILE *f,                \
        struct ip_tally *e, uint64_t key)                               \
    {                                                                   \
        struct ip_call c;                                               \
        int fd = ip_stream_fd(f);                                       \
        ip_call_begin_slow(&c, fd, e, key);                             \
        size_t rc = IP_STREAM_CALL(f, ip_real_##name(buf, size, n, f)); \
        ip_call_write_end_in(&c, fd, buf, items_result(rc, size, n, f), \
                             "ip_wrap_" #name);                         \
        return rc;                                                      \
    }                                                                   \
                                                                        \
    size_t ip_wrap_##name(const void *buf, size_t size, size_t n, FILE *f) \
    {                                                                   \
        struct ip_tally *e;                                             \
        uint64_t key;                                                   \
        if (!ip_call_fast_begin(ip_stream_fd(f), IP_FAST_WRITE, &e, &key)) \
            return name##_slow(buf, size, n, f, NULL, 0);               \
        if (!ip_call_fast_skip(e))                                      \
            return name##_slow(buf, size, n, f, e, key);                \
        size_t rc = IP_STREAM_CALL(f, ip_real_##name(buf, size, n, f)); \
        return ip_call_fast_end(e, key, items_result(rc, size, n, f),   \
                                IP_FAST_WRITE, __func__, rc);           \
    }

WRAP_FWRITE(fwrite)
WRAP_FWRITE(fwrite_unlocked)

/* fputs and puts return a non-negative number on success, not a count. */
#define WRAP_FPUTS(name)                                                \
    int ip_wrap_##name(const char *s, FILE *f)                          \
    {                                                                   \
        struct ip_call c;                                               \
        int fd = ip_stream_fd(f);                                          \
        ip_call_begin(&c, fd);                                          \
        int rc = IP_STREAM_CALL(f, ip_real_##name(s, f));                 \
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
    int fd = ip_stream_fd(stdout);

    ip_call_begin(&c, fd);
    int rc = IP_STREAM_CALL(stdout, ip_real_puts(s));
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
        int fd = ip_stream_fd(f);                                          \
        ip_call_begin(&c, fd);                                          \
        int rc = IP_STREAM_CALL(f, ip_real_##name(ch, f));                 \
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
    int fd = ip_stream_fd(stdout);
    ip_call_begin(&c, fd);
    int rc = IP_STREAM_CALL(stdout, ip_real_putchar(ch));
    char byte = (char)ch;
    ip_call_write_end(&c, fd, &byte, rc == EOF ? -1 : 1);
    return rc;
}

/* The printf family on the console. To have the text for the event, it is
 * formatted once, here, and written with fwrite: formatting twice would
 * run the program's registered printf handlers twice, store %n twice and
 * show %m another errno. Output that fits the stack buffer (nearly all)
 * costs nothing more; longer output is formatted into a cookie stream
 * that passes it on to the real stream and keeps the head for the event. */

struct console_tee {
    FILE *to;                       /* the program's stream */
    char head[CONSOLE_PRINTF_MAX];  /* what the event shows */
    size_t head_len;
};

static ssize_t tee_write(void *cookie, const char *buf, size_t n)
{
    struct console_tee *t = cookie;
    size_t keep = sizeof t->head - t->head_len;

    if (keep > n)
        keep = n;
    memcpy(t->head + t->head_len, buf, keep);
    t->head_len += keep;
    return ip_real_fwrite(buf, 1, n, t->to) == n ? (ssize_t)n : -1;
}

/* Does fmt hold a conversion that does more than format: %n (stores), or
 * one that is not standard (a handler the program registered)? */
static bool printf_has_side_effects(const char *fmt)
{
    for (const char *p = strchr(fmt, '%'); p; p = strchr(p + 1, '%')) {
        p++;
        p += strspn(p, "0123456789.*$#'+- hlLqjzZtI");
        if (*p == '\0')
            return false;
        if (*p != '%' && !strchr("diouxXeEfFgGaAcCsSpm", *p))
            return true;
    }
    return false;
}

/* The long case: one formatting pass through a tee. */
static int console_printf_long(const struct ip_call *c, FILE *f, int fd, int flag,
                               bool chk, const char *fmt, va_list ap)
{
    static const cookie_io_functions_t io = { .write = tee_write };
    struct console_tee t = { .to = f, .head_len = 0 };
    FILE *tee = fopencookie(&t, "w", io);

    if (!tee) {                     /* no memory: print, count, no text */
        int rc = chk ? ip_real___vfprintf_chk(f, flag, fmt, ap) : ip_real_vfprintf(f, fmt, ap);
        ip_call_write_end(c, fd, NULL, rc < 0 ? -1 : rc);
        return rc;
    }
    setvbuf(tee, NULL, _IONBF, 0);
    int rc = chk ? ip_real___vfprintf_chk(tee, flag, fmt, ap) : ip_real_vfprintf(tee, fmt, ap);
    int saved = errno;
    fclose(tee);
    errno = saved;
    ip_call_write_end(c, fd, t.head, rc < 0 ? -1 : (ssize_t)t.head_len);
    return rc;
}

/* vsnprintf, or for the fortified calls glibc's checking one with their
 * flag. musl has no fortified calls: none of them is hooked there. */
static int format_in(char *text, size_t size, bool chk, int flag, const char *fmt, va_list ap)
{
#ifdef __GLIBC__
    if (chk)
        return __vsnprintf_chk(text, size, flag, size, fmt, ap);
#else
    (void)chk;
    (void)flag;
#endif
    return vsnprintf(text, size, fmt, ap);
}

static int console_printf(const struct ip_call *c, FILE *f, int fd, int flag, bool chk,
                          const char *fmt, va_list ap)
{
    char text[CONSOLE_PRINTF_MAX];
    va_list again;

    va_copy(again, ap);
    /* A second pass (output too long for the buffer) must not run the
     * program's handlers again: only a format whose conversions are all
     * standard is tried in the buffer first; any other goes through the
     * tee at once. */
    if (!printf_has_side_effects(fmt)) {
        int n = format_in(text, sizeof text, chk, flag, fmt, ap);
        if (n >= 0 && (size_t)n < sizeof text) {
            va_end(again);
            int rc = ip_real_fwrite(text, 1, (size_t)n, f) == (size_t)n ? n : -1;
            ip_call_write_end(c, fd, text, rc < 0 ? -1 : rc);
            return rc;
        }
    }
    int rc = console_printf_long(c, f, fd, flag, chk, fmt, again);
    va_end(again);
    return rc;
}

static int vfprintf_observed(FILE *f, int flag, bool chk, const char *fmt, va_list ap)
{
    struct ip_call c;
    int fd = ip_stream_fd(f), rc;
    bool held = ip_macros_settle(f);

    ip_call_begin(&c, fd);
    if (c.observed && ip_proc.events && ip_call_is_console(&c, fd)) {
        rc = console_printf(&c, f, fd, flag, chk, fmt, ap);
    } else {
        rc = chk ? ip_real___vfprintf_chk(f, flag, fmt, ap) : ip_real_vfprintf(f, fmt, ap);
        ip_call_write_end(&c, fd, NULL, rc < 0 ? -1 : rc);
    }
    ip_macros_mark(f, held);
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

/* dprintf formats straight to an fd (no console text: the stream wrappers'
 * tee needs a FILE). */
static int vdprintf_observed(int fd, int flag, bool chk, const char *fmt, va_list ap)
{
    struct ip_call c;

    ip_call_begin(&c, fd);
    int rc = chk ? ip_real___vdprintf_chk(fd, flag, fmt, ap) : ip_real_vdprintf(fd, fmt, ap);
    ip_call_write_end(&c, fd, NULL, rc < 0 ? -1 : rc);
    return rc;
}

int ip_wrap_vdprintf(int fd, const char *fmt, va_list ap)
{
    return vdprintf_observed(fd, 0, false, fmt, ap);
}

int ip_wrap___vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
    return vdprintf_observed(fd, flag, true, fmt, ap);
}

int ip_wrap_dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdprintf_observed(fd, 0, false, fmt, ap);
    va_end(ap);
    return rc;
}

int ip_wrap___dprintf_chk(int fd, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vdprintf_observed(fd, flag, true, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- seeking a stream ------------------------------------------------------ */

#define WRAP_FSEEK(name, off_type)                                       \
    int ip_wrap_##name(FILE *f, off_type off, int whence)                \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                                 \
        int rc = IP_STREAM_CALL(f, ip_real_##name(f, off, whence));                  \
        if (rc == 0)                                                     \
            ip_pushback_forget(f);                                          \
        ip_call_seek_end(&c, rc);                                        \
        return rc;                                                       \
    }

WRAP_FSEEK(fseek, long)
WRAP_FSEEK(fseeko, off_t)
WRAP_FSEEK(fseeko64, off64_t)

#define WRAP_FTELL(name, off_type)                                       \
    off_type ip_wrap_##name(FILE *f)                                     \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, ip_stream_fd(f));                                 \
        off_type rc = ip_real_##name(f);                                 \
        ip_call_seek_end(&c, rc < 0 ? -1 : 0);                           \
        return rc;                                                       \
    }

WRAP_FTELL(ftell, long)
WRAP_FTELL(ftello, off_t)
WRAP_FTELL(ftello64, off64_t)

void ip_wrap_rewind(FILE *f)
{
    struct ip_call c;
    bool held = ip_macros_settle(f);
    ip_call_begin(&c, ip_stream_fd(f));
    ip_real_rewind(f);
    ip_macros_mark(f, held);
    ip_pushback_forget(f);
    ip_call_seek_end(&c, 0);
}

/* ---- a stream given another file --------------------------------------------- */

/* freopen closes the stream's file and opens path on it (often on the same
 * fd number: stdout sent to a log file is no longer the console). */
#define WRAP_FREOPEN(name)                                               \
    FILE *ip_wrap_##name(const char *path, const char *mode, FILE *f)    \
    {                                                                    \
        struct ip_call closing, opening;                                 \
        int old_fd = ip_stream_fd(f);                                       \
        ip_call_begin(&closing, old_fd);                                 \
        ip_call_begin_open(&opening);                                    \
        ip_pushback_forget(f);                                              \
        FILE *rc = IP_STREAM_CALL(f, ip_real_##name(path, mode, f));                  \
        if (path) {                                                      \
            ip_call_close_end(&closing, #name, old_fd, 0);               \
            ip_call_open_end(&opening, #name, rc ? ip_stream_fd(rc) : -1, path); \
        }                                                                \
        return rc;                                                       \
    }

WRAP_FREOPEN(freopen)
WRAP_FREOPEN(freopen64)
