/* elfpatch.h: rewrite GOT slots of the objects loaded in this process, log
 * every write, and undo it byte for byte.
 *
 * A "slot" is an 8-byte word the dynamic linker filled from a relocation
 * against a named symbol: R_X86_64_JUMP_SLOT (DT_JMPREL: calls through the
 * PLT), R_X86_64_GLOB_DAT (DT_RELA: -fno-plt calls and address-taken
 * functions) and R_X86_64_64 with addend 0 (DT_RELA: function pointers in
 * data). Patching stores a wrapper address into every slot whose symbol
 * names a hook; restoring puts back the raw old value of every slot that
 * still holds our wrapper. See ../shared/INTERPOSITION-NOTES.md 1-10.
 *
 * Nothing here resolves "the real function": the old value of a lazily bound
 * JUMP_SLOT is the PLT resolver stub, never a function to call. Callers
 * resolve the real target themselves (dlsym) and publish it before patching.
 *
 * Not async-signal-safe; allocates. Call from one thread at a time.
 */
#ifndef EP_ELFPATCH_H
#define EP_ELFPATCH_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

/* <link.h> defines it only under _GNU_SOURCE; declare the tag so that this
 * header also compiles without it. */
struct dl_phdr_info;

struct ep_hook {
    const char *name;   /* symbol name, unversioned, e.g. "write" */
    void *wrapper;      /* address to store in each matching slot */
};

struct ep_patch {
    void **slot;        /* the GOT word */
    void *old_value;    /* raw value before we wrote (may be a PLT stub) */
    void *new_value;    /* the wrapper we stored */
    uintptr_t object_base; /* l_addr of the object the slot belongs to */
    unsigned hook;      /* index into the hook table */
    unsigned reloc_type;/* R_X86_64_JUMP_SLOT, _GLOB_DAT or _64 */
};

struct ep_log {
    struct ep_patch *patches;
    size_t count;
    size_t capacity;
};

/* Which objects ep_patch_loaded() skips, besides the vDSO and the dynamic
 * linker, which are always skipped: the object that contains `self` (pass
 * the address of any function of the instrumentation library). */
struct ep_scope {
    const void *self;
};

/* Patch every loaded object (dl_iterate_phdr order). Returns the number of
 * slots patched, or -errno on the first failure (slots patched before the
 * failure stay patched and logged, so ep_restore() can undo them). */
int ep_patch_loaded(const struct ep_hook *hooks, size_t nhooks,
                    const struct ep_scope *scope, struct ep_log *log);

/* Patch one object, described as dl_iterate_phdr describes it (used for
 * objects loaded later by dlopen). Same return convention. */
int ep_patch_object(const struct dl_phdr_info *obj,
                    const struct ep_hook *hooks, size_t nhooks,
                    struct ep_log *log);

/* Write back old_value into every logged slot that still holds new_value
 * (an object may have been unloaded and its pages reused; someone else may
 * have re-patched). Page protections are returned to what they were.
 * Returns the number of slots restored; the log is emptied. If
 * /proc/self/maps cannot be read, nothing is restored, 0 is returned and
 * the log is kept, so a later call can still undo it. */
size_t ep_restore(struct ep_log *log);

void ep_log_free(struct ep_log *log);

/* What an on-disk executable is, for refusing what we cannot observe. */
enum ep_elf_kind {
    EP_ELF_DYNAMIC,     /* dynamically linked 64-bit x86-64: observable */
    EP_ELF_STATIC,      /* no PT_INTERP / PT_DYNAMIC */
    EP_ELF_GO,          /* Go binary without cgo (has .go.buildinfo, no libc) */
    EP_ELF_32BIT,       /* ELFCLASS32 or not x86-64 */
    EP_ELF_NOT_ELF,     /* a script or something else: not judged here */
    EP_ELF_UNREADABLE,  /* could not open/read; errno-style reason in why */
};

/* Classify the executable at `path` with libelf. `why` receives a one-line
 * human reason for anything but EP_ELF_DYNAMIC. */
enum ep_elf_kind ep_elf_classify(const char *path, char *why, size_t whylen);

/* The value (offset from the load base, for shared objects and PIE) of the
 * dynamic symbol `name` defined in the ELF file at `path`. 0, or -ENOENT
 * when the file does not define it, or -errno. When several versions are
 * defined, the first in the table is taken: the names scope looks up
 * (dlopen, __libc_dlopen_mode, dlerror, mmap, munmap, _r_debug,
 * scope_ctl_*) have one. */
int ep_elf_dynsym(const char *path, const char *name, uint64_t *value);

#endif
