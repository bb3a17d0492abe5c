/* floor.c: libfloor.so, the least an interposer that sees each call's
 * result can cost, for bench/run's "call-through floor" configuration.
 *
 * LD_PRELOADed into bench/micro, it defines the functions micro's loops
 * call (write, read, open, close, send, recv, fwrite), and those of the
 * functions libscope hooks that the macro section's servers call per
 * request (nginx: open64, openat64, fstat64, pread64, writev, sendfile64,
 * recv, close; redis: read, write, writev, accept4). Each calls libc's own
 * and returns its result, doing nothing else, exactly as a libscope
 * wrapper is reached (through the program's PLT/GOT) and returns. Like
 * libscope, it starts a thread that sleeps in its own fd table, so glibc
 * takes its multi-threaded paths too, and starts it again in a forked
 * child (nginx's worker), as libscope starts its reporter there. What libscope costs beyond this
 * floor is its own work; the floor itself is the price of any wrapper
 * that must return through its own frame after the system call: where
 * the CPU's return predictions do not survive a system call (as on this
 * project's machine, with its kernel's Spectre mitigations), that `ret` is
 * mispredicted (see the README's Performance section).
 *
 * Built a second time as libfloor-jmp.so (FLOOR_RETURN_BY_JUMP): there
 * `write` returns to its caller with pop and an indirect jmp instead of
 * ret, which the indirect-branch predictor gets right. bench/run shows
 * both, so the price of that one ret is measured, not asserted. No
 * wrapper of libscope's does this: it would break shadow stacks (CET).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Not static: the jump-returning write below names it from assembly,
 * which a static's local (or LTO-renamed) symbol would not match. */
__attribute__((visibility("hidden"))) ssize_t (*floor_real_write)(int, const void *, size_t);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);

/* The compiler must not turn a call-through into a tail call (a jump that
 * never comes back, which no wrapper that counts results can be). */
#define CALLED_BACK() __asm__ volatile("" ::: "memory")

#ifdef FLOOR_RETURN_BY_JUMP
/* push/pop %rbx: the stack stays 16-byte aligned for libc's write */
__asm__(".pushsection .text\n"
        ".globl write\n"
        ".type write, @function\n"
        "write:\n"
        "    push %rbx\n"
        "    call *floor_real_write(%rip)\n"
        "    pop %rbx\n"
        "    pop %rcx\n"
        "    jmp *%rcx\n"
        ".size write, .-write\n"
        ".popsection\n");
#else
ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t rc = floor_real_write(fd, buf, n);
    CALLED_BACK();
    return rc;
}
#endif

/* The mode argument exists only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, mode)                                                       \
    do {                                                                            \
        if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) {            \
            va_list ap;                                                             \
            va_start(ap, flags);                                                    \
            mode = va_arg(ap, mode_t);                                              \
            va_end(ap);                                                             \
        }                                                                           \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    int rc = real_open(path, flags, mode);
    CALLED_BACK();
    return rc;
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    int rc = real_open64(path, flags, mode);
    CALLED_BACK();
    return rc;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    int rc = real_openat64(dirfd, path, flags, mode);
    CALLED_BACK();
    return rc;
}

/* The functions with fixed parameters, one row each: return type, name,
 * parameters, arguments. */
#define FLOOR_CALLS(X)                                                              \
    X(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))                   \
    X(int, close, (int fd), (fd))                                                   \
    X(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags)) \
    X(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags)) \
    X(size_t, fwrite, (const void *buf, size_t size, size_t n, FILE *f), (buf, size, n, f)) \
    X(ssize_t, pread64, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off)) \
    X(ssize_t, writev, (int fd, const struct iovec *iov, int n), (fd, iov, n))      \
    X(int, fstat64, (int fd, struct stat64 *st), (fd, st))                          \
    X(int, accept4, (int fd, struct sockaddr *a, socklen_t *len, int flags), (fd, a, len, flags)) \
    X(ssize_t, sendfile64, (int out, int in, off_t *off, size_t n), (out, in, off, n))

#define FLOOR_DEFINE(type, name, params, args)                                      \
    static type(*real_##name) params;                                               \
    type name params                                                                \
    {                                                                               \
        type rc = real_##name args;                                                 \
        CALLED_BACK();                                                              \
        return rc;                                                                  \
    }
FLOOR_CALLS(FLOOR_DEFINE)

static void *sleeper(void *arg)
{
    (void)arg;
    if (unshare(CLONE_FILES) != 0)
        abort();
    for (;;)
        pause();
    return NULL;
}

static void *next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "libfloor: %s not found\n", name);
        abort();
    }
    return f;
}

static void sleeper_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, NULL) != 0)
        abort();
}

__attribute__((constructor)) static void floor_start(void)
{
    floor_real_write = next("write");
    real_open = next("open");
    real_open64 = next("open64");
    real_openat64 = next("openat64");
#define FLOOR_RESOLVE(type, name, params, args) real_##name = next(#name);
    FLOOR_CALLS(FLOOR_RESOLVE)
    sleeper_start();
    if (pthread_atfork(NULL, NULL, sleeper_start) != 0)
        abort();
}
