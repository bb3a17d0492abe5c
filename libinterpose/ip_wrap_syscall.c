/* ip_wrap_syscall.c: syscall(), through which a program makes a system
 * call by number (syscall(SYS_write, fd, buf, n)), past every wrapper of
 * the named function. The read and write calls among them are counted as
 * those wrappers count them; every other number passes straight through
 * (io_uring_setup is noted, and counted: what its ring does is not
 * observed).
 *
 * Six words are taken from the list whatever the number, as libc's
 * syscall() itself takes them (a register or stack word the caller did not
 * set is read, never used), and handed on unchanged: the return value and
 * errno are the real call's.
 */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_unseen.h"

#include <stdarg.h>
#include <sys/syscall.h>

enum syscall_dir { SC_OTHER, SC_READ, SC_WRITE };

static enum syscall_dir syscall_dir(long number)
{
    switch (number) {
    case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_preadv2:
    case SYS_recvfrom: case SYS_recvmsg:
        return SC_READ;
    case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    case SYS_sendto: case SYS_sendmsg:
        return SC_WRITE;
    default:
        return SC_OTHER;
    }
}

/* A ring set up: said (its I/O is no call). Counted here only when it
 * will not be mapped (IORING_SETUP_NO_MMAP in its io_uring_params'
 * flags, after sq_entries and cq_entries); else when its submission ring
 * is (ip_wrap_mem.c), which also counts rings set up by system calls of
 * a library's own. */
#define URING_SETUP_NO_MMAP (1u << 14)

static void uring_set_up(const void *params)
{
    uint32_t flags;

    ip_unseen_add(IP_UNSEEN_IO_URING, 1);
    memcpy(&flags, (const char *)params + 8, sizeof flags);
    if (flags & URING_SETUP_NO_MMAP)
        ip_unseen_add(IP_UNSEEN_IO_URING_SETUP, 1);
}

long ip_wrap_syscall(long number, ...)
{
    long a[6];
    va_list ap;

    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    enum syscall_dir dir = syscall_dir(number);
    if (dir == SC_OTHER) {
        long rc = ip_real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (number == SYS_io_uring_setup && rc >= 0 && ip_observing())
            uring_set_up((const void *)a[1]);
        return rc;
    }
    struct ip_call c;
    int fd = (int)a[0];
    ip_call_begin(&c, fd);
    long rc = ip_real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (dir == SC_READ)
        ip_call_read_end(&c, rc);
    else
        ip_call_write_end(&c, fd, number == SYS_write ? (const void *)a[1] : NULL, rc);
    return rc;
}
