/* ep_patch.c: rewrite the GOT slots of loaded objects, and undo it.
 *
 * This is the in-process half of elfpatch: it is linked into libscope.so,
 * so it uses only libc and what the dynamic linker already exposes
 * (dl_iterate_phdr, the objects' own PT_DYNAMIC), never libelf. Every slot it
 * writes is logged first, so ep_restore() can put the exact old bytes back.
 */
#include "elfpatch.h"
#include "ep_elf_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* One line of /proc/self/maps, reduced to what a protection change needs. */
struct map_range {
    uintptr_t start;
    uintptr_t end;
    int prot;
};

/* All mappings, sorted by address as the kernel lists them. */
struct map_table {
    struct map_range *ranges;
    size_t count;
};

/* The parts of one object's PT_DYNAMIC that name its relocation slots,
 * already turned into addresses. */
struct dyn_tables {
    const ElfW(Sym) *symtab;
    size_t syment;
    const char *strtab;
    size_t strsz;
    const ElfW(Rela) *jmprel;
    size_t jmprelsz;
    const ElfW(Rela) *rela;
    size_t relasz;
    size_t relaent;
};

/* Objects ep_patch_loaded() must leave alone (object_is_skipped says why).
 * Zero means unknown. */
struct skip_set {
    uintptr_t vdso;         /* AT_SYSINFO_EHDR: an address inside the vDSO */
    uintptr_t ldso;         /* AT_BASE: an address inside the dynamic linker */
    const char *interp;     /* main program's PT_INTERP, the linker's name */
    uintptr_t self;         /* an address inside the instrumentation library */
};

/* State threaded through dl_iterate_phdr's callback. */
struct walk {
    const struct ep_hook *hooks;
    size_t nhooks;
    struct skip_set skip;
    struct map_table maps;
    bool maps_read;
    struct ep_log *log;
    int patched;
    int error;
};

/* ---- /proc/self/maps ---------------------------------------------------- */

/* /proc files report size 0, so read until EOF into a growing buffer. */
static int maps_text_read(char **text_out)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 16384, len = 0;
    char *text = malloc(cap);
    int err = text ? 0 : -ENOMEM;
    while (!err) {
        if (cap - len < 2) {
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                err = -ENOMEM;
                break;
            }
            text = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = -errno;
        else if (n == 0)
            break;
        else
            len += (size_t)n;
    }
    close(fd);
    if (err) {
        free(text);
        return err;
    }
    text[len] = '\0';
    *text_out = text;
    return 0;
}

/* Parses "start-end rwxp ..."; the rest of the line does not matter here. */
static bool map_line_parse(const char *line, struct map_range *range)
{
    char *end;
    range->start = strtoull(line, &end, 16);
    if (*end != '-')
        return false;
    range->end = strtoull(end + 1, &end, 16);
    if (*end != ' ' || strlen(end) < 5)
        return false;
    range->prot = (end[1] == 'r' ? PROT_READ : 0) |
                  (end[2] == 'w' ? PROT_WRITE : 0) |
                  (end[3] == 'x' ? PROT_EXEC : 0);
    return range->start < range->end;
}

/* Snapshot once per call, not per slot: a process can have thousands of
 * mappings and hundreds of slots to patch. */
static int maps_read(struct map_table *maps)
{
    char *text = NULL;
    int err = maps_text_read(&text);
    if (err)
        return err;
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    maps->ranges = calloc(lines + 1, sizeof(*maps->ranges));
    maps->count = 0;
    if (!maps->ranges) {
        free(text);
        return -ENOMEM;
    }
    for (char *line = text; *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (map_line_parse(line, &maps->ranges[maps->count]))
            maps->count++;
        line = next ? next : line + strlen(line);
    }
    free(text);
    return 0;
}

static void maps_free(struct map_table *maps)
{
    free(maps->ranges);
    maps->ranges = NULL;
    maps->count = 0;
}

/* Protection of the page holding addr, by binary search over the snapshot.
 * False when addr is not mapped (e.g. its object was dlclose()d). */
static bool page_prot_lookup(const struct map_table *maps, uintptr_t addr,
                             int *prot)
{
    size_t lo = 0, hi = maps->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct map_range *r = &maps->ranges[mid];
        if (addr < r->start) {
            hi = mid;
        } else if (addr >= r->end) {
            lo = mid + 1;
        } else {
            *prot = r->prot;
            return true;
        }
    }
    return false;
}

/* ---- writing one slot ---------------------------------------------------- */

/* Under RELRO the slot's page is read-only: open it for writing
 * only as long as the store takes, then give back exactly the protection
 * it had, so we never leave a page writable or RWX behind us. The store is
 * one aligned 8-byte atomic because other threads call through the slot
 * while we write it. */
static int slot_store(void **slot, void *value, int prot)
{
    if (prot & PROT_WRITE) {
        __atomic_store_n(slot, value, __ATOMIC_RELEASE);
        return 0;
    }
    uintptr_t pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
    void *page = (void *)((uintptr_t)slot & ~(pagesize - 1));
    if (mprotect(page, pagesize, prot | PROT_WRITE) != 0)
        return -errno;
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
    if (mprotect(page, pagesize, prot) != 0)
        return -errno;
    return 0;
}

static int log_append(struct ep_log *log, const struct ep_patch *patch)
{
    if (log->count == log->capacity) {
        size_t capacity = log->capacity ? log->capacity * 2 : 64;
        struct ep_patch *grown =
            realloc(log->patches, capacity * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        log->patches = grown;
        log->capacity = capacity;
    }
    log->patches[log->count++] = *patch;
    return 0;
}

static bool object_contains(const struct dl_phdr_info *obj, uintptr_t addr);

/* Is the slot's value one we may replace? The real function (or, for a
 * JUMP_SLOT not bound yet, a PLT stub of the object itself). Anything else
 * was put there by someone: the program's own function pointer, another
 * tool's hook; replacing it would change what the program does. */
static bool slot_holds_expected(const struct dl_phdr_info *obj, const void *value,
                                const void *real, unsigned reloc_type)
{
    if (!real || value == real)
        return true;
    return reloc_type == R_X86_64_JUMP_SLOT && object_contains(obj, (uintptr_t)value);
}

/* Returns 1 if the slot was patched, 0 if it already held the wrapper
 * (re-patching after dlopen must not log a slot twice) or something we
 * must not replace, or -errno. The log
 * entry is written before the slot, so a failure can never leave a patched
 * slot that ep_restore() does not know about. */
static int slot_patch(const struct dl_phdr_info *obj, void **slot,
                      unsigned hook, const struct ep_hook *hooks,
                      unsigned reloc_type, const struct map_table *maps,
                      struct ep_log *log)
{
    void *wrapper = hooks[hook].wrapper;
    int prot;
    if (!page_prot_lookup(maps, (uintptr_t)slot, &prot))
        return -EFAULT;
    void *old = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (old == wrapper)
        return 0;
    if (!slot_holds_expected(obj, old, hooks[hook].real, reloc_type))
        return 0;
    struct ep_patch patch = {
        .slot = slot, .old_value = old, .new_value = wrapper,
        .object_base = obj->dlpi_addr, .hook = hook, .reloc_type = reloc_type,
    };
    int err = log_append(log, &patch);
    if (err)
        return err;
    err = slot_store(slot, wrapper, prot);
    if (err) {
        if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) != wrapper)
            log->count--;
        return err;
    }
    return 1;
}

/* ---- reading an object's dynamic section ---------------------------------- */

static bool object_contains(const struct dl_phdr_info *obj, uintptr_t addr)
{
    for (size_t i = 0; i < obj->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &obj->dlpi_phdr[i];
        uintptr_t start = obj->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= start &&
            addr - start < ph->p_memsz)
            return true;
    }
    return false;
}

/* glibc has already added the load bias to d_ptr values; musl (and glibc
 * for a read-only PT_DYNAMIC) leaves them as offsets. A value that
 * already points into the object is an address; anything else is not. */
static uintptr_t dyn_ptr(const struct dl_phdr_info *obj, ElfW(Addr) d_ptr)
{
    if (object_contains(obj, d_ptr))
        return d_ptr;
    return obj->dlpi_addr + d_ptr;
}

static const ElfW(Dyn) *dyn_section_find(const struct dl_phdr_info *obj)
{
    for (size_t i = 0; i < obj->dlpi_phnum; i++)
        if (obj->dlpi_phdr[i].p_type == PT_DYNAMIC)
            return (const ElfW(Dyn) *)(obj->dlpi_addr +
                                       obj->dlpi_phdr[i].p_vaddr);
    return NULL;
}

/* False when the object has nothing we could patch (no PT_DYNAMIC, no
 * symbol table). */
static bool dyn_tables_read(const struct dl_phdr_info *obj,
                            struct dyn_tables *t)
{
    const ElfW(Dyn) *dyn = dyn_section_find(obj);
    if (!dyn)
        return false;
    memset(t, 0, sizeof(*t));
    t->syment = sizeof(ElfW(Sym));
    t->relaent = sizeof(ElfW(Rela));
    ElfW(Sxword) pltrel = DT_RELA;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            t->symtab = (const void *)dyn_ptr(obj, dyn->d_un.d_ptr);
            break;
        case DT_SYMENT:
            t->syment = dyn->d_un.d_val;
            break;
        case DT_STRTAB:
            t->strtab = (const void *)dyn_ptr(obj, dyn->d_un.d_ptr);
            break;
        case DT_STRSZ:
            t->strsz = dyn->d_un.d_val;
            break;
        case DT_JMPREL:
            t->jmprel = (const void *)dyn_ptr(obj, dyn->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            t->jmprelsz = dyn->d_un.d_val;
            break;
        case DT_PLTREL:
            pltrel = (ElfW(Sxword))dyn->d_un.d_val;
            break;
        case DT_RELA:
            t->rela = (const void *)dyn_ptr(obj, dyn->d_un.d_ptr);
            break;
        case DT_RELASZ:
            t->relasz = dyn->d_un.d_val;
            break;
        case DT_RELAENT:
            t->relaent = dyn->d_un.d_val;
            break;
        }
    }
    /* x86-64 PLT relocations are RELA; a REL DT_JMPREL is some other ABI. */
    if (pltrel != DT_RELA)
        t->jmprel = NULL;
    return t->symtab && t->strtab && t->syment >= sizeof(ElfW(Sym)) &&
           t->relaent >= sizeof(ElfW(Rela));
}

/* ---- matching relocations to hooks ---------------------------------------- */

/* R_X86_64_64 with an addend points into the middle of something: not a
 * function pointer we could swap. An unaligned one could not be stored
 * atomically. */
static bool reloc_is_slot(const ElfW(Rela) *r, uintptr_t slot)
{
    switch (ELF64_R_TYPE(r->r_info)) {
    case R_X86_64_JUMP_SLOT:
    case R_X86_64_GLOB_DAT:
        return true;
    case R_X86_64_64:
        return r->r_addend == 0 && slot % sizeof(void *) == 0;
    default:
        return false;
    }
}

/* Index of the hook named `name`, or nhooks. */
static size_t hook_find(const struct ep_hook *hooks, size_t nhooks,
                        const char *name)
{
    size_t i;
    for (i = 0; i < nhooks; i++)
        if (strcmp(hooks[i].name, name) == 0)
            break;
    return i;
}

/* Patches every slot of one relocation table that names a hook. Returns the
 * number of slots newly patched or -errno. */
static int reloc_table_scan(const struct dl_phdr_info *obj,
                            const struct dyn_tables *t,
                            const ElfW(Rela) *table, size_t size,
                            const struct ep_hook *hooks, size_t nhooks,
                            const struct map_table *maps, struct ep_log *log)
{
    int patched = 0;
    for (size_t off = 0; table && off + sizeof(*table) <= size;
         off += t->relaent) {
        const ElfW(Rela) *r = (const void *)((const char *)table + off);
        uintptr_t slot = obj->dlpi_addr + r->r_offset;
        size_t symidx = ELF64_R_SYM(r->r_info);
        if (symidx == 0 || !reloc_is_slot(r, slot))
            continue;
        const ElfW(Sym) *sym =
            (const void *)((const char *)t->symtab + symidx * t->syment);
        if (!ep_sym_is_function(sym) || (t->strsz && sym->st_name >= t->strsz))
            continue;
        size_t hook = hook_find(hooks, nhooks, t->strtab + sym->st_name);
        if (hook == nhooks)
            continue;
        int n = slot_patch(obj, (void **)slot, (unsigned)hook, hooks,
                           ELF64_R_TYPE(r->r_info), maps, log);
        if (n < 0)
            return n;
        patched += n;
    }
    return patched;
}

/* Both tables: DT_JMPREL holds the PLT's JUMP_SLOTs, DT_RELA the
 * GLOB_DAT slots that -fno-plt calls and address-taken functions use. */
static int object_patch(const struct dl_phdr_info *obj,
                        const struct ep_hook *hooks, size_t nhooks,
                        const struct map_table *maps, struct ep_log *log)
{
    struct dyn_tables t;
    if (!dyn_tables_read(obj, &t))
        return 0;
    int plt = reloc_table_scan(obj, &t, t.jmprel, t.jmprelsz, hooks, nhooks,
                               maps, log);
    if (plt < 0)
        return plt;
    int dyn = reloc_table_scan(obj, &t, t.rela, t.relasz, hooks, nhooks,
                               maps, log);
    if (dyn < 0)
        return dyn;
    return plt + dyn;
}

static bool hooks_valid(const struct ep_hook *hooks, size_t nhooks)
{
    if (nhooks && !hooks)
        return false;
    for (size_t i = 0; i < nhooks; i++)
        if (!hooks[i].name || !hooks[i].wrapper)
            return false;
    return true;
}

/* ---- which objects to walk ------------------------------------------------ */

/* The dynamic linker's path as the main program asked for it; glibc names
 * the linker's link_map entry with exactly this string. */
static const char *main_program_interp(void)
{
    const ElfW(Phdr) *phdr = (const void *)getauxval(AT_PHDR);
    size_t phnum = getauxval(AT_PHNUM);
    const ElfW(Phdr) *interp = NULL;
    uintptr_t bias = 0;
    bool have_bias = false;
    for (size_t i = 0; phdr && i < phnum; i++) {
        if (phdr[i].p_type == PT_PHDR) {
            bias = (uintptr_t)phdr - phdr[i].p_vaddr;
            have_bias = true;
        } else if (phdr[i].p_type == PT_INTERP) {
            interp = &phdr[i];
        }
    }
    return interp && have_bias ? (const char *)(bias + interp->p_vaddr)
                               : NULL;
}

static struct skip_set skip_set_build(const struct ep_scope *scope)
{
    return (struct skip_set){
        .vdso = getauxval(AT_SYSINFO_EHDR),
        .ldso = getauxval(AT_BASE),
        .interp = main_program_interp(),
        .self = scope ? (uintptr_t)scope->self : 0,
    };
}

/* The vDSO has no slots worth having and unrelocated dynamic pointers; the
 * dynamic linker's few slots are its own error plumbing; our own slots must
 * keep reaching the real functions or the wrappers would call themselves. */
static bool object_is_skipped(const struct dl_phdr_info *obj,
                              const struct skip_set *skip)
{
    if (skip->vdso && object_contains(obj, skip->vdso))
        return true;
    if (skip->ldso && object_contains(obj, skip->ldso))
        return true;
    if (skip->interp && obj->dlpi_name &&
        strcmp(obj->dlpi_name, skip->interp) == 0)
        return true;
    return skip->self && object_contains(obj, skip->self);
}

/* An object another thread's dlopen is still relocating is in the list
 * already, its RELRO pages still writable: the loader makes them
 * read-only at any moment, and a store of ours into a slot there then
 * faults. It is left to the patch after that dlopen returns. */
static bool object_being_loaded(const struct dl_phdr_info *obj, const struct map_table *maps)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    int prot;

    for (size_t i = 0; i < obj->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &obj->dlpi_phdr[i];
        if (ph->p_type != PT_GNU_RELRO)
            continue;
        /* the whole pages the loader protects (glibc's _dl_protect_relro) */
        uintptr_t start = (obj->dlpi_addr + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (obj->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        return start < end && page_prot_lookup(maps, start, &prot) && (prot & PROT_WRITE);
    }
    return false;
}

static int walk_object(struct dl_phdr_info *obj, size_t size, void *arg)
{
    struct walk *w = arg;
    if (object_is_skipped(obj, &w->skip))
        return 0;
    /* Read the maps while dl_iterate_phdr holds the loader's lock, so a
     * dlopen in another thread cannot map an object we then fail to find. */
    if (!w->maps_read) {
        w->error = maps_read(&w->maps);
        if (w->error)
            return 1;
        w->maps_read = true;
    }
    if (object_being_loaded(obj, &w->maps))
        return 0;
    int n = object_patch(obj, w->hooks, w->nhooks, &w->maps, w->log);
    if (n < 0) {
        w->error = n;
        return 1;
    }
    w->patched += n;
    return 0;
}

/* ---- API ------------------------------------------------------------------ */

int ep_patch_loaded(const struct ep_hook *hooks, size_t nhooks,
                    const struct ep_scope *scope, struct ep_log *log)
{
    if (!log || !hooks_valid(hooks, nhooks))
        return -EINVAL;
    struct walk w = {
        .hooks = hooks, .nhooks = nhooks, .skip = skip_set_build(scope),
        .log = log,
    };
    dl_iterate_phdr(walk_object, &w);
    maps_free(&w.maps);
    return w.error ? w.error : w.patched;
}

int ep_patch_object(const struct dl_phdr_info *obj,
                    const struct ep_hook *hooks, size_t nhooks,
                    struct ep_log *log)
{
    if (!obj || !log || !hooks_valid(hooks, nhooks))
        return -EINVAL;
    struct map_table maps;
    int err = maps_read(&maps);
    if (err)
        return err;
    int n = object_patch(obj, hooks, nhooks, &maps, log);
    maps_free(&maps);
    return n;
}

/* Only a slot that still holds our wrapper is ours to write: the
 * object may be gone (unmapped: skip) or someone may have re-patched. */
static bool slot_restore(const struct ep_patch *p, const struct map_table *maps)
{
    int prot;
    if (!page_prot_lookup(maps, (uintptr_t)p->slot, &prot) ||
        !(prot & PROT_READ))
        return false;
    if (__atomic_load_n(p->slot, __ATOMIC_ACQUIRE) != p->new_value)
        return false;
    return slot_store(p->slot, p->old_value, prot) == 0;
}

size_t ep_restore(struct ep_log *log)
{
    struct map_table maps;
    if (!log || maps_read(&maps) != 0)
        return 0;
    size_t restored = 0;
    /* Newest first, the reverse of patching: a slot logged twice (someone
     * wrote it between two of our patches) gets back what it held just
     * before our last write, which is theirs, not ours. */
    for (size_t i = log->count; i-- > 0;)
        restored += slot_restore(&log->patches[i], &maps);
    maps_free(&maps);
    log->count = 0;
    return restored;
}

void ep_log_free(struct ep_log *log)
{
    if (!log)
        return;
    free(log->patches);
    log->patches = NULL;
    log->count = 0;
    log->capacity = 0;
}
