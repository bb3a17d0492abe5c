/* ip_wrap_mem.c: mmap, which moves no bytes itself but makes a file's
 * bytes reachable without any call: what scope cannot see is said (a
 * file mapped; an io_uring ring, whose I/O bypasses every function). */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_unseen.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* fd was mapped at off: a file's I/O through the mapping is not seen,
 * which the reporter says once per record; an io_uring ring is said, and
 * counted once, at the mapping of its submission ring (offset 0,
 * IORING_OFF_SQ_RING), however it was set up. Keeps errno. */
static void mapped(int fd, long long off)
{
    int saved = errno;
    struct ip_rec_ref ref = ip_rec_of_fd(fd, true);

    if (ref.file) {
        if (ref.file->kind == IP_KIND_FILE && !__atomic_load_n(&ref.file->mapped, __ATOMIC_RELAXED))
            __atomic_store_n(&ref.file->mapped, 1, __ATOMIC_RELAXED);
    } else {
        /* not a file: an io_uring ring is mapped to be used */
        char link[32], what[32];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, what, sizeof what - 1);
        if (n > 0 && (size_t)n == sizeof "anon_inode:[io_uring]" - 1 &&
            memcmp(what, "anon_inode:[io_uring]", (size_t)n) == 0) {
            ip_unseen_add(IP_UNSEEN_IO_URING, 1);
            if (off == 0)
                ip_unseen_add(IP_UNSEEN_IO_URING_SETUP, 1);
        }
    }
    errno = saved;
}

#define WRAP_MMAP(name, off_type)                                        \
    void *ip_wrap_##name(void *addr, size_t len, int prot, int flags, int fd, off_type off) \
    {                                                                    \
        void *p = ip_real_##name(addr, len, prot, flags, fd, off);       \
        if (p != MAP_FAILED && fd >= 0 && !(flags & MAP_ANONYMOUS) && ip_observing()) \
            mapped(fd, (long long)off);                                  \
        return p;                                                        \
    }

WRAP_MMAP(mmap, off_t)
WRAP_MMAP(mmap64, off64_t)
