/* rep_fd.c: moving our descriptors high, closing around them, writing
 * without raising the program's signals. */
#include "rep_fd.h"
#include "rep_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* Our descriptors live high, so that a program that expects open() to
 * return the lowest free number (3, 4, ...) still gets it; but within the
 * descriptor table the process already has: growing it in a multi-threaded
 * process waits for an RCU grace period (about 10 ms, while `scope attach`
 * holds the process stopped). */
/* The process's descriptor table size, read from /proc/self/status once
 * per process (a read is three system calls, each a round trip for the
 * thread `scope attach` holds stopped, and attach moves several). A
 * table does not shrink, and a forked child's copy may be smaller: the
 * pid the size was read in says whose it is. (A thread that unshares its
 * table may get a smaller one: a size too large then only costs the
 * growth this avoids.) */
static long fd_table_size(void)
{
    static uint64_t cached;     /* atomic: pid << 32 | FDSize; 0: none */
    uint64_t pid = (uint64_t)getpid(), c = __atomic_load_n(&cached, __ATOMIC_RELAXED);

    if (c && c >> 32 == pid)
        return (long)(c & 0xffffffffu);
    long size = rep_proc_status_field("FDSize");
    if (size > 0 && size <= 0xffffffffL)
        __atomic_store_n(&cached, pid << 32 | (uint64_t)size, __ATOMIC_RELAXED);
    return size;
}

/* The lowest number a moved or copied descriptor takes: near the top of
 * the table the process has. */
static int high_floor(void)
{
    return (int)fd_table_size() - 8;
}

int rep_fd_move_high(int fd)
{
    int floor = high_floor();
    if (floor <= fd)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int rep_fd_copy_high(int fd)
{
    int floor = high_floor();
    int high = floor > 0 ? fcntl(fd, F_DUPFD_CLOEXEC, floor) : -1;

    return high >= 0 ? high : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int rep_close_range_sparing(unsigned int first, unsigned int last, int flags, const int *keep,
                            size_t n, rep_close_range_fn *close_fn)
{
    unsigned int from = first;
    int rc = 0;

    /* the kept descriptors in order, smallest first: the pieces go up */
    for (int done = -1; rc == 0;) {
        int next = -1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] > done && (next < 0 || keep[i] < next))
                next = keep[i];
        if (next < 0 || (unsigned int)next > last)
            break;
        if ((unsigned int)next > from)
            rc = close_fn(from, (unsigned int)next - 1, flags);
        if ((unsigned int)next >= from)
            from = (unsigned int)next + 1;
        done = next;
    }
    return rc == 0 && from <= last ? close_fn(from, last, flags) : rc;
}

/* Take back sig if our write raised it and it was not pending before
 * (then it is the program's). */
static void signal_take_back(int sig, const sigset_t *pending_before)
{
    sigset_t one;
    struct timespec none = { 0, 0 };

    if (sigismember(pending_before, sig))
        return;
    sigemptyset(&one);
    sigaddset(&one, sig);
    while (sigtimedwait(&one, NULL, &none) < 0 && errno == EINTR)
        ;
}

ssize_t rep_write_quiet(int fd, const void *buf, size_t len)
{
    sigset_t set, old, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGXFSZ);
    sigpending(&pending);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    ssize_t n = write(fd, buf, len);
    int err = errno;
    if (n < 0 && err == EPIPE)
        signal_take_back(SIGPIPE, &pending);
    if (n < 0 && err == EFBIG)
        signal_take_back(SIGXFSZ, &pending);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return n;
}
