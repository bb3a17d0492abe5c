/* ep_elf_mem.h: a dynamic symbol of an object as it lies in memory, read
 * through a callback (another process's memory: process_vm_readv).
 *
 * For an object whose file cannot be opened: a library handed to a
 * process as a memfd, when /proc/PID/map_files (CAP_SYS_ADMIN) is closed
 * to us. What the loader keeps mapped is enough: the ELF and program
 * headers, PT_DYNAMIC, and the tables it points to (DT_SYMTAB, DT_STRTAB,
 * DT_GNU_HASH or DT_HASH).
 *
 * The memory is hostile input: every read is of a bounded size and inside
 * the object's extent (its PT_LOAD segments), every count and offset taken
 * from it is checked, every walk is bounded (a hash chain that never ends
 * too). A lie gives -EBADMSG, never a crash or a huge read.
 */
#ifndef EP_ELF_MEM_H
#define EP_ELF_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Read len bytes (never more than EP_MEM_READ_MAX) at addr: 0 or -errno. */
typedef int (*ep_mem_read_fn)(uint64_t addr, void *buf, size_t len, void *arg);

#define EP_MEM_READ_MAX 4096

struct ep_mem_image {
    ep_mem_read_fn read;
    void *arg;
    uint64_t base;      /* where its ELF header is: the mapping at offset 0 */
};

/* The value (st_value: an offset from the load base for shared objects
 * and PIE, as ep_elf_dynsym gives it) of the dynamic symbol `name` that
 * the object defines, found through its hash table. 0, -ENOENT when it
 * does not define it, -ENOEXEC when it is not a 64-bit x86-64 ELF object,
 * -EBADMSG when its headers or tables lie, or the read's -errno.
 * Of several versions, the first in the table is taken (as ep_elf_dynsym
 * does). */
int ep_mem_dynsym(const struct ep_mem_image *img, const char *name, uint64_t *value);

/* The hashes DT_GNU_HASH and DT_HASH tables are keyed by (the unit tests
 * build tables with them). */
uint32_t ep_mem_gnu_hash(const char *name);
uint32_t ep_mem_sysv_hash(const char *name);

#endif
