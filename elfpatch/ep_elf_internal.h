/* ep_elf_internal.h: what elfpatch's own files share (not its API). */
#ifndef EP_ELF_INTERNAL_H
#define EP_ELF_INTERNAL_H

#include <elf.h>
#include <stdbool.h>

/* libelf's handle, declared as libelf.h does: ep_patch.c, which is built
 * into libscope.so (also for musl, where libelf.h is not to be had), needs
 * none of libelf. */
typedef struct Elf Elf;

/* Data symbols (stdout, environ) share GLOB_DAT with functions; a hook
 * name must never capture them. Undefined untyped symbols come from
 * assembly or old linkers and are still calls. Used on symbols read in
 * memory (ep_patch.c) and from files (ep_elf_slots.c) alike, so that both
 * find the same slots. */
static inline bool ep_sym_is_function(const Elf64_Sym *sym)
{
    switch (ELF64_ST_TYPE(sym->st_info)) {
    case STT_FUNC:
    case STT_GNU_IFUNC:
        return true;
    case STT_NOTYPE:
        return sym->st_shndx == SHN_UNDEF;
    default:
        return false;
    }
}

/* Open the file at path and hand a 64-bit x86-64 ELF to read_fn; anything
 * else is -ENOEXEC, an open failure -errno. (elfpatch_disk only: libelf.) */
int ep_elf_read(const char *path, int (*read_fn)(Elf *, void *), void *arg);

#endif
