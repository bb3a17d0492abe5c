/* floor.c: libfloor.so, the least an interposer that sees each call's
 * result can cost, for bench/run's "call-through floor" configuration.
 *
 * LD_PRELOADed into bench/micro, it defines the functions micro's loops
 * call (write, read, open, close, send, recv, fwrite). Each calls libc's
 * own and returns its result, doing nothing else, exactly as a libscope
 * wrapper is reached (through the program's PLT/GOT) and returns. Like
 * libscope, it starts a thread that sleeps in its own fd table, so glibc
 * takes its multi-threaded paths too. What libscope costs beyond this
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
#include <sys/socket.h>
#include <unistd.h>

/* Not static: the jump-returning write below names it from assembly,
 * which a static's local (or LTO-renamed) symbol would not match. */
__attribute__((visibility("hidden"))) ssize_t (*floor_real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_open)(const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);

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

ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t rc = real_read(fd, buf, n);
    CALLED_BACK();
    return rc;
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int rc = real_open(path, flags, mode);
    CALLED_BACK();
    return rc;
}

int close(int fd)
{
    int rc = real_close(fd);
    CALLED_BACK();
    return rc;
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    ssize_t rc = real_send(fd, buf, n, flags);
    CALLED_BACK();
    return rc;
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    ssize_t rc = real_recv(fd, buf, n, flags);
    CALLED_BACK();
    return rc;
}

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
    size_t rc = real_fwrite(buf, size, n, f);
    CALLED_BACK();
    return rc;
}

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

__attribute__((constructor)) static void floor_start(void)
{
    floor_real_write = next("write");
    real_read = next("read");
    real_open = next("open");
    real_close = next("close");
    real_send = next("send");
    real_recv = next("recv");
    real_fwrite = next("fwrite");
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, NULL) != 0)
        abort();
}
