/* elfpatch.h: rewrite GOT slots of the objects loaded in this process, log
 * every write, and undo it byte for byte.
 *
 * A "slot" is an 8-byte word the dynamic linker filled from a relocation
 * against a named symbol: R_X86_64_JUMP_SLOT (DT_JMPREL: calls through the
 * PLT), R_X86_64_GLOB_DAT (DT_RELA: -fno-plt calls and address-taken
 * functions) and R_X86_64_64 with addend 0 (DT_RELA: function pointers in
 * data). Patching stores a wrapper address into every slot whose symbol
 * names a hook; restoring puts back the raw old value of every slot that
 * still holds our wrapper.
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
    const void *real;   /* the function the slot should hold now, or NULL
                           (don't check): a slot holding anything else (a
                           pointer the program set itself) is left alone;
                           a JUMP_SLOT may also hold its object's own PLT
                           stub (not bound yet) */
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

/* Patch one object, described as dl_iterate_phdr describes it, with no
 * object skipped (the unit tests patch their fixtures one at a time with
 * it). Same return convention. */
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

/* ---- an object's slots and functions, from its file (scope inspect) ----
 * Values are file addresses: add the object's load bias (the start of its
 * mapping at file offset 0 minus ep_elf_layout's first_vaddr). Files that
 * are not 64-bit x86-64 ELF give -ENOEXEC. */

/* Called once per slot with the matching element of names[], the slot's
 * r_offset and its type (R_X86_64_JUMP_SLOT, _GLOB_DAT or _64). Return 0
 * to go on; a negative value stops the walk and is returned by it. */
typedef int (*ep_slot_fn)(const char *name, uint64_t offset, unsigned type,
                          void *arg);

/* Every slot of the file at `path` that ep_patch_object() patches for
 * hooks named in names[]: the entries of each SHT_RELA section linked to
 * .dynsym (.rela.plt and .rela.dyn). Returns how many, or -errno. */
int ep_elf_slots(const char *path, const char *const *names, size_t nnames,
                 ep_slot_fn fn, void *arg);

/* A function (STT_FUNC or STT_GNU_IFUNC) that the file defines. */
struct ep_elf_func {
    const char *name;       /* valid during the callback only */
    uint64_t value;         /* st_value */
    unsigned dynamic : 1;   /* from .dynsym; else from .symtab */
    unsigned hidden_version : 1; /* name@VER: unversioned lookups skip it */
    unsigned ifunc : 1;     /* value is the resolver, not the function */
};

/* Same return convention as ep_slot_fn. */
typedef int (*ep_func_fn)(const struct ep_elf_func *func, void *arg);

/* Every function defined in .dynsym, then in .symtab if the file has one
 * (static functions, such as libscope.so's wrappers). 0, or -errno. */
int ep_elf_funcs(const char *path, ep_func_fn fn, void *arg);

#define EP_ELF_PLT_MAX 3

struct ep_elf_layout {
    unsigned type;          /* ET_EXEC or ET_DYN */
    uint64_t first_vaddr;   /* page of the first PT_LOAD: file offset 0 */
    struct { uint64_t start, end; } plt[EP_ELF_PLT_MAX];
    size_t nplt;            /* .plt, .plt.sec, .plt.got: where a lazily
                               bound JUMP_SLOT points before its first call */
};

/* 0, or -errno (-ENOEXEC also for ELF files that are not loadable). */
int ep_elf_layout(const char *path, struct ep_elf_layout *layout);

#endif
