/* ip_wrap_mem.c: mmap, which moves no bytes itself but makes a file's
 * bytes reachable without any call: what scope cannot see is said (a
 * file mapped; an io_uring ring, whose I/O bypasses every function). */
#include "ip_call.h"
#include "ip_hooks.h"

#include <sys/mman.h>

#define WRAP_MMAP(name, off_type)                                        \
    void *ip_wrap_##name(void *addr, size_t len, int prot, int flags, int fd, off_type off) \
    {                                                                    \
        void *p = ip_real_##name(addr, len, prot, flags, fd, off);       \
        if (p != MAP_FAILED && fd >= 0 && !(flags & MAP_ANONYMOUS) && ip_observing()) \
            ip_files_mapped(fd);                                         \
        return p;                                                        \
    }

WRAP_MMAP(mmap, off_t)
WRAP_MMAP(mmap64, off64_t)
