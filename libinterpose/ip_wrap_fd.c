/* ip_wrap_fd.c: wrappers of the fd-level file functions.
 *
 * Each one: begin, the real call with exactly the caller's arguments, end.
 * Return values and errno are the real function's, untouched.
 */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_tap.h"
#include "rep_fd.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <unistd.h>

/* The mode argument exists only with O_CREAT or O_TMPFILE; reading it
 * otherwise would take garbage, which is harmless but is not what the
 * program passed. (glibc's __OPEN_NEEDS_MODE; musl has no name for it.) */
#define OPEN_NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)
#define OPEN_MODE_ARG(flags, last, mode)            \
    do {                                            \
        if (OPEN_NEEDS_MODE(flags)) {               \
            va_list ap;                             \
            va_start(ap, last);                     \
            mode = va_arg(ap, int);                 \
            va_end(ap);                             \
        }                                           \
    } while (0)

#define WRAP_OPEN(name)                                                 \
    int ip_wrap_##name(const char *path, int flags, ...)                \
    {                                                                   \
        struct ip_call c;                                               \
        int mode = 0;                                                   \
        OPEN_MODE_ARG(flags, flags, mode);                              \
        ip_call_begin_open(&c);                                         \
        int fd = ip_real_##name(path, flags, mode);                     \
        ip_call_open_end(&c, #name, fd, path);                          \
        return fd;                                                      \
    }

#define WRAP_OPENAT(name)                                               \
    int ip_wrap_##name(int dirfd, const char *path, int flags, ...)     \
    {                                                                   \
        struct ip_call c;                                               \
        int mode = 0;                                                   \
        OPEN_MODE_ARG(flags, flags, mode);                              \
        ip_call_begin_open(&c);                                         \
        int fd = ip_real_##name(dirfd, path, flags, mode);              \
        ip_call_openat_end(&c, #name, fd, dirfd, path);                 \
        return fd;                                                      \
    }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

#define WRAP_CREAT(name)                                                \
    int ip_wrap_##name(const char *path, mode_t mode)                   \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin_open(&c);                                         \
        int fd = ip_real_##name(path, mode);                            \
        ip_call_open_end(&c, #name, fd, path);                          \
        return fd;                                                      \
    }

WRAP_CREAT(creat)
WRAP_CREAT(creat64)

/* Fortified opens: the compiler proved there is no mode argument. */
#define WRAP_OPEN_2(name)                                               \
    int ip_wrap_##name(const char *path, int flags)                     \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin_open(&c);                                         \
        int fd = ip_real_##name(path, flags);                           \
        ip_call_open_end(&c, "open", fd, path);                         \
        return fd;                                                      \
    }

#define WRAP_OPENAT_2(name)                                             \
    int ip_wrap_##name(int dirfd, const char *path, int flags)          \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin_open(&c);                                         \
        int fd = ip_real_##name(dirfd, path, flags);                    \
        ip_call_openat_end(&c, "openat", fd, dirfd, path);              \
        return fd;                                                      \
    }

WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)
WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)

int ip_wrap_close(int fd)
{
    struct ip_call c;
    /* A daemon closing every fd must not take the reporter's: it is left
     * open and the program told it was closed (as AppScope does). */
    if (__builtin_expect(ip_fd_is_ours(fd), 0))
        return 0;
    ip_call_begin_close(&c, fd);
    int rc = ip_real_close(fd);
    ip_call_close_end(&c, "close", fd, rc);
    return rc;
}

/* close_range around the reporter's fds: the range is cut into the pieces
 * that do not hold them. */
static int close_range_sparing_ours(unsigned int first, unsigned int last, int flags)
{
    int ours[IP_OUR_FDS];

    for (int i = 0; i < IP_OUR_FDS; i++)
        ours[i] = __atomic_load_n(&ip_proc.our_fds[i], __ATOMIC_ACQUIRE);
    return rep_close_range_sparing(first, last, flags, ours, IP_OUR_FDS, ip_real_close_range);
}

int ip_wrap_close_range(unsigned int first, unsigned int last, int flags)
{
    int rc = flags & CLOSE_RANGE_CLOEXEC ? ip_real_close_range(first, last, flags)
                                         : close_range_sparing_ours(first, last, flags);
    if (rc == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && ip_observing()) {
        int saved = errno;
        ip_rec_fds_closed(first, last);
        errno = saved;
    }
    return rc;
}

int ip_wrap_dup(int fd)
{
    struct ip_call c;
    ip_call_begin_untimed(&c, fd);
    int rc = ip_real_dup(fd);
    ip_call_dup_end(&c, fd, rc);
    return rc;
}

int ip_wrap_dup2(int fd, int fd2)
{
    struct ip_call c;
    ip_call_begin_untimed(&c, fd);
    int rc = ip_real_dup2(fd, fd2);
    ip_call_dup_end(&c, fd, rc);
    return rc;
}

int ip_wrap_dup3(int fd, int fd2, int flags)
{
    struct ip_call c;
    ip_call_begin_untimed(&c, fd);
    int rc = ip_real_dup3(fd, fd2, flags);
    ip_call_dup_end(&c, fd, rc);
    return rc;
}

/* fcntl's third argument is an int or a pointer depending on cmd; both
 * travel in the same register, so it is passed on as a pointer-sized word,
 * as glibc itself does. Only F_DUPFD* change what an fd names. */
#define WRAP_FCNTL(name)                                                \
    int ip_wrap_##name(int fd, int cmd, ...)                            \
    {                                                                   \
        va_list ap;                                                     \
        va_start(ap, cmd);                                              \
        void *arg = va_arg(ap, void *);                                 \
        va_end(ap);                                                     \
        if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)                   \
            return ip_real_##name(fd, cmd, arg);                        \
        struct ip_call c;                                               \
        ip_call_begin_untimed(&c, fd);                                  \
        int rc = ip_real_##name(fd, cmd, arg);                          \
        ip_call_dup_end(&c, fd, rc);                                    \
        return rc;                                                      \
    }

WRAP_FCNTL(fcntl)
WRAP_FCNTL(fcntl64)

/* UNPAREN (a, b) -> a, b: a parameter or argument list inside another */
#define UNPAREN(...) __VA_ARGS__

/* read, __read_chk and write: the fast path (ip_call.h) in the wrapper,
 * the others (general, or timed: ip_call_begin_slow) in a function of its
 * own, not inlined, so that the wrapper's frame is only what the fast
 * path needs; its own parameters go after the call's, which so stay in
 * the registers they came in. `end`: the general epilogue, with c and rc. */
#define WRAP_FAST(name, dir, params, args, end)                         \
    static __attribute__((noinline)) ssize_t name##_slow(               \
        UNPAREN params, struct ip_tally *e, uint64_t key)               \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin_slow(&c, fd, e, key);                             \
        ssize_t rc = ip_real_##name args;                               \
        end;                                                            \
        return rc;                                                      \
    }                                                                   \
                                                                        \
    ssize_t ip_wrap_##name params                                       \
    {                                                                   \
        struct ip_tally *e;                                             \
        uint64_t key;                                                   \
        if (!ip_call_fast_begin(fd, dir, &e, &key))                     \
            return name##_slow(UNPAREN args, NULL, 0);                  \
        if (!ip_call_fast_skip(e))                                      \
            return name##_slow(UNPAREN args, e, key);                   \
        ssize_t rc = ip_real_##name args;                               \
        return (ssize_t)ip_call_fast_end(e, key, rc, dir, __func__,     \
                                         (uint64_t)rc);                 \
    }

#define READ_END(name)                                                  \
    ip_call_read_end_in(&c, rc, "ip_wrap_" #name);                      \
    ip_tap_buf(&c, IP_TAP_RX, buf, rc)

WRAP_FAST(read, IP_FAST_READ, (int fd, void *buf, size_t n), (fd, buf, n), READ_END(read))
WRAP_FAST(__read_chk, IP_FAST_READ, (int fd, void *buf, size_t n, size_t buflen),
          (fd, buf, n, buflen), READ_END(__read_chk))
WRAP_FAST(write, IP_FAST_WRITE, (int fd, const void *buf, size_t n), (fd, buf, n),
          ip_call_write_end_in(&c, fd, buf, rc, "ip_wrap_write");
          ip_tap_buf(&c, IP_TAP_TX, buf, rc))

#define WRAP_PREAD(name)                                                \
    ssize_t ip_wrap_##name(int fd, void *buf, size_t n, off_t off)      \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, fd);                                          \
        ssize_t rc = ip_real_##name(fd, buf, n, off);                   \
        ip_call_read_end(&c, rc);                                       \
        return rc;                                                      \
    }

#define WRAP_PREAD_CHK(name)                                            \
    ssize_t ip_wrap_##name(int fd, void *buf, size_t n, off_t off,      \
                           size_t buflen)                               \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, fd);                                          \
        ssize_t rc = ip_real_##name(fd, buf, n, off, buflen);           \
        ip_call_read_end(&c, rc);                                       \
        return rc;                                                      \
    }

#define WRAP_PWRITE(name)                                               \
    ssize_t ip_wrap_##name(int fd, const void *buf, size_t n, off_t off)\
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, fd);                                          \
        ssize_t rc = ip_real_##name(fd, buf, n, off);                   \
        ip_call_write_end(&c, fd, buf, rc);                             \
        return rc;                                                      \
    }

WRAP_PREAD(pread)
WRAP_PREAD(pread64)
WRAP_PREAD_CHK(__pread_chk)
WRAP_PREAD_CHK(__pread64_chk)
WRAP_PWRITE(pwrite)
WRAP_PWRITE(pwrite64)

ssize_t ip_wrap_readv(int fd, const struct iovec *iov, int iovcnt)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_readv(fd, iov, iovcnt);
    ip_call_read_end(&c, rc);
    ip_tap_iov(&c, IP_TAP_RX, iov, (size_t)iovcnt, rc);
    return rc;
}

/* A writev to the console or to a log file becomes the text of its
 * buffers, as far as the result reaches (a short write sends only what was
 * written). */
ssize_t ip_wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_writev(fd, iov, iovcnt);
    ip_call_write_end(&c, fd, NULL, rc);
    ip_tap_iov(&c, IP_TAP_TX, iov, (size_t)iovcnt, rc);
    if (!c.observed || rc <= 0)
        return rc;
    bool console = ip_call_is_console(&c, fd);
    if (console || (ip_rec_ref_valid(c.ref) && ip_call_may_log(&c))) {
        int saved = errno;
        size_t left = (size_t)rc;
        for (int i = 0; i < iovcnt && left > 0; i++) {
            size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
            if (console)
                ip_event_console(fd, iov[i].iov_base, n);
            else
                ip_event_file(&c, fd, iov[i].iov_base, n);
            left -= n;
        }
        errno = saved;
    }
    return rc;
}

/* The positioned vector forms: bytes as readv and writev count them (a
 * pwritev to the console is not console text: a terminal refuses it). */
#define PVEC_END_read(c, fd, rc) ip_call_read_end(c, rc)
#define PVEC_END_write(c, fd, rc) ip_call_write_end(c, fd, NULL, rc)

#define WRAP_PVEC(name, dir)                                             \
    ssize_t ip_wrap_##name(int fd, const struct iovec *iov, int iovcnt,  \
                           off_t off)                                    \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, fd);                                           \
        ssize_t rc = ip_real_##name(fd, iov, iovcnt, off);               \
        PVEC_END_##dir(&c, fd, rc);                                      \
        return rc;                                                       \
    }

/* the "2" forms: the same with RWF_* flags */
#define WRAP_PVEC2(name, dir)                                            \
    ssize_t ip_wrap_##name(int fd, const struct iovec *iov, int iovcnt,  \
                           off_t off, int flags)                         \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, fd);                                           \
        ssize_t rc = ip_real_##name(fd, iov, iovcnt, off, flags);        \
        PVEC_END_##dir(&c, fd, rc);                                      \
        return rc;                                                       \
    }

WRAP_PVEC(preadv, read)
WRAP_PVEC(preadv64, read)
WRAP_PVEC2(preadv2, read)
WRAP_PVEC2(preadv64v2, read)
WRAP_PVEC(pwritev, write)
WRAP_PVEC(pwritev64, write)
WRAP_PVEC2(pwritev2, write)
WRAP_PVEC2(pwritev64v2, write)

#define WRAP_LSEEK(name)                                                \
    off_t ip_wrap_##name(int fd, off_t off, int whence)                 \
    {                                                                   \
        struct ip_call c;                                               \
        ip_call_begin(&c, fd);                                          \
        off_t rc = ip_real_##name(fd, off, whence);                     \
        ip_call_seek_end(&c, rc);                                       \
        return rc;                                                      \
    }

WRAP_LSEEK(lseek)
WRAP_LSEEK(lseek64)
