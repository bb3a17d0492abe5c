/* inj_rdebug.c: the program's DT_DEBUG, read in the target (see
 * inj_rdebug.h). */
#include "inj_rdebug.h"

#include "inj_proc.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define PHNUM_MAX 64        /* more program headers than any linker writes */
#define DYN_MAX 512         /* entries of PT_DYNAMIC looked at */

/* AT_PHDR and AT_PHNUM from /proc/PID/auxv. */
static int auxv_phdrs(pid_t pid, uint64_t *phdr, uint64_t *phnum)
{
    char path[64];
    Elf64_auxv_t v[128];

    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, v, sizeof v);
    close(fd);
    if (n < 0)
        return -EIO;
    *phdr = *phnum = 0;
    for (size_t i = 0; i < (size_t)n / sizeof v[0] && v[i].a_type != AT_NULL; i++) {
        if (v[i].a_type == AT_PHDR)
            *phdr = v[i].a_un.a_val;
        else if (v[i].a_type == AT_PHNUM)
            *phnum = v[i].a_un.a_val;
    }
    return *phdr && *phnum && *phnum <= PHNUM_MAX ? 0 : -ENOENT;
}

/* The address of the program's PT_DYNAMIC in memory, and its length. */
static int dynamic_find(pid_t pid, uintptr_t *dyn, size_t *len)
{
    Elf64_Phdr ph[PHNUM_MAX];
    uint64_t at = 0, n = 0;
    int rc;

    if ((rc = auxv_phdrs(pid, &at, &n)) != 0 ||
        (rc = inj_proc_read(pid, (uintptr_t)at, ph, n * sizeof ph[0])) != 0)
        return rc;
    /* PT_PHDR gives the load bias (a PIE's); without it the program is
     * not position-independent and its addresses are absolute. */
    uint64_t bias = 0;
    for (uint64_t i = 0; i < n; i++)
        if (ph[i].p_type == PT_PHDR)
            bias = at - ph[i].p_vaddr;
    for (uint64_t i = 0; i < n; i++)
        if (ph[i].p_type == PT_DYNAMIC) {
            *dyn = (uintptr_t)(bias + ph[i].p_vaddr);
            *len = (size_t)ph[i].p_memsz;
            return 0;
        }
    return -ENOENT;
}

int inj_rdebug_from_dynamic(pid_t pid, uintptr_t *addr)
{
    Elf64_Dyn d[DYN_MAX];
    uintptr_t dyn;
    size_t len;
    int rc;

    if ((rc = dynamic_find(pid, &dyn, &len)) != 0)
        return rc;
    size_t n = len / sizeof d[0] < DYN_MAX ? len / sizeof d[0] : DYN_MAX;
    if ((rc = inj_proc_read(pid, dyn, d, n * sizeof d[0])) != 0)
        return rc;
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++)
        if (d[i].d_tag == DT_DEBUG && d[i].d_un.d_ptr) {
            *addr = (uintptr_t)d[i].d_un.d_ptr;
            return 0;
        }
    return -ENOENT;
}
