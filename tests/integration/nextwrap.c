/* nextwrap: a program's own interposer, LD_PRELOADed next to libscope,
 * that wraps write the usual way: dlsym(RTLD_NEXT, "write"), looked up at
 * the first call (after libscope has patched this object's dlsym slot).
 * It counts what passes through it and, at exit, appends the count to
 * $NEXTWRAP_OUT. If RTLD_NEXT answered from the wrong object, its write
 * would find itself and recurse until the stack overflows. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static ssize_t (*next_write)(int, const void *, size_t);
static unsigned long long passed;

ssize_t write(int fd, const void *buf, size_t n)
{
    if (!next_write)
        next_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    ssize_t rc = next_write(fd, buf, n);
    if (rc > 0)
        __atomic_fetch_add(&passed, (unsigned long long)rc, __ATOMIC_RELAXED);
    return rc;
}

__attribute__((destructor)) static void nextwrap_report(void)
{
    const char *out = getenv("NEXTWRAP_OUT");
    char line[64];

    if (!out || !next_write)
        return;
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
    int n = snprintf(line, sizeof line, "%llu\n", passed);
    if (fd >= 0 && n > 0)
        next_write(fd, line, (size_t)n);
    if (fd >= 0)
        close(fd);
}
