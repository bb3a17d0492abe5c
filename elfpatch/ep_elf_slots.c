/* ep_elf_slots.c: an object's GOT slots and functions, read from its file.
 *
 * `scope inspect` tells an operator where each hooked slot of a live
 * process points without stopping it. The process gives the load base and
 * the slots' current values; which words are slots, which functions the
 * object defines and where its PLT lies come from the file, read here with
 * libelf through the section headers (strip keeps the dynamic sections).
 * The slots reported are exactly those ep_patch_object() patches for the
 * same names, so what inspect shows is what attach and detach touch.
 */
#include "elfpatch.h"
#include "ep_elf_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* The bit of a .gnu.version entry that marks name@VER (not the default
 * name@@VER): an unversioned reference never binds to it. */
#define VERSYM_HIDDEN 0x8000

int ep_elf_read(const char *path, int (*read_fn)(Elf *, void *), void *arg)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -ENOTSUP;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr ehdr;
    int rc = -ENOEXEC;
    if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == ELFCLASS64 &&
        gelf_getehdr(elf, &ehdr) && ehdr.e_machine == EM_X86_64)
        rc = read_fn(elf, arg);
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}

/* A section's header and contents; false when it has none. */
static bool section_get(Elf_Scn *scn, GElf_Shdr *shdr, Elf_Data **data)
{
    if (!scn || !gelf_getshdr(scn, shdr))
        return false;
    *data = elf_getdata(scn, NULL);
    return *data != NULL && shdr->sh_entsize != 0;
}

/* ---- slots ---------------------------------------------------------------- */

struct slot_walk {
    const char *const *names;
    size_t nnames;
    ep_slot_fn fn;
    void *arg;
    int count;
};

/* The same choice as ep_patch.c's: calls (JUMP_SLOT, GLOB_DAT) and plain
 * aligned function pointers; a pointer with an addend is into the middle of
 * something. */
static bool rela_is_slot(const GElf_Rela *r)
{
    switch (GELF_R_TYPE(r->r_info)) {
    case R_X86_64_JUMP_SLOT:
    case R_X86_64_GLOB_DAT:
        return true;
    case R_X86_64_64:
        return r->r_addend == 0 && r->r_offset % 8 == 0;
    default:
        return false;
    }
}

/* The element of names[] equal to name, or NULL. */
static const char *name_find(const struct slot_walk *w, const char *name)
{
    for (size_t i = 0; i < w->nnames; i++)
        if (strcmp(w->names[i], name) == 0)
            return w->names[i];
    return NULL;
}

/* One dynamic relocation section (.rela.plt or .rela.dyn): sh_link names
 * the symbol table its entries index. Returns 0 or the callback's stop. */
static int rela_section_walk(Elf *elf, Elf_Data *relas, size_t nrelas,
                             const GElf_Shdr *symshdr, Elf_Data *syms,
                             struct slot_walk *w)
{
    for (size_t i = 0; i < nrelas; i++) {
        GElf_Rela r;
        GElf_Sym sym;
        size_t symidx;
        if (!gelf_getrela(relas, (int)i, &r) || !rela_is_slot(&r))
            continue;
        symidx = GELF_R_SYM(r.r_info);
        if (symidx == 0 || !gelf_getsym(syms, (int)symidx, &sym) || !ep_sym_is_function(&sym))
            continue;
        const char *sname = elf_strptr(elf, symshdr->sh_link, sym.st_name);
        const char *name = sname ? name_find(w, sname) : NULL;
        if (!name)
            continue;
        int rc = w->fn(name, r.r_offset, (unsigned)GELF_R_TYPE(r.r_info), w->arg);
        if (rc < 0)
            return rc;
        w->count++;
    }
    return 0;
}

static int slots_read(Elf *elf, void *arg)
{
    struct slot_walk *w = arg;
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr shdr, symshdr;
        Elf_Data *relas, *syms;
        if (!section_get(scn, &shdr, &relas) || shdr.sh_type != SHT_RELA)
            continue;
        /* Relocations against .symtab are the static linker's, not slots. */
        if (!section_get(elf_getscn(elf, shdr.sh_link), &symshdr, &syms) ||
            symshdr.sh_type != SHT_DYNSYM)
            continue;
        int rc = rela_section_walk(elf, relas, shdr.sh_size / shdr.sh_entsize,
                                   &symshdr, syms, w);
        if (rc < 0)
            return rc;
    }
    return w->count;
}

int ep_elf_slots(const char *path, const char *const *names, size_t nnames,
                 ep_slot_fn fn, void *arg)
{
    struct slot_walk w = { names, nnames, fn, arg, 0 };

    if (!path || !fn || (nnames && !names))
        return -EINVAL;
    return ep_elf_read(path, slots_read, &w);
}

/* ---- functions defined -------------------------------------------------- */

struct func_walk {
    ep_func_fn fn;
    void *arg;
};

/* The .gnu.version entries, parallel to .dynsym; NULL when unversioned. */
static Elf_Data *versym_data(Elf *elf)
{
    Elf_Scn *scn = NULL;
    GElf_Shdr shdr;
    Elf_Data *data;

    while ((scn = elf_nextscn(elf, scn)) != NULL)
        if (section_get(scn, &shdr, &data) && shdr.sh_type == SHT_GNU_versym)
            return data;
    return NULL;
}

static bool versym_hidden(Elf_Data *versyms, size_t i)
{
    GElf_Versym v;
    return versyms && gelf_getversym(versyms, (int)i, &v) && (v & VERSYM_HIDDEN);
}

static int symtab_walk(Elf *elf, const GElf_Shdr *shdr, Elf_Data *syms,
                       Elf_Data *versyms, const struct func_walk *w)
{
    size_t n = shdr->sh_size / shdr->sh_entsize;

    for (size_t i = 1; i < n; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(syms, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
            continue;
        unsigned type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC)
            continue;
        struct ep_elf_func f = {
            .name = elf_strptr(elf, shdr->sh_link, sym.st_name),
            .value = sym.st_value,
            .dynamic = shdr->sh_type == SHT_DYNSYM,
            .hidden_version = versym_hidden(versyms, i),
            .ifunc = type == STT_GNU_IFUNC,
        };
        if (!f.name || !f.name[0])
            continue;
        int rc = w->fn(&f, w->arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* .dynsym before .symtab, so that a walk that stops at the first match
 * prefers the exported name. */
static int funcs_read(Elf *elf, void *arg)
{
    static const GElf_Word order[] = { SHT_DYNSYM, SHT_SYMTAB };
    Elf_Data *versyms = versym_data(elf);

    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn)) != NULL) {
            GElf_Shdr shdr;
            Elf_Data *syms;
            if (!section_get(scn, &shdr, &syms) || shdr.sh_type != order[k])
                continue;
            int rc = symtab_walk(elf, &shdr, syms,
                                 order[k] == SHT_DYNSYM ? versyms : NULL, arg);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int ep_elf_funcs(const char *path, ep_func_fn fn, void *arg)
{
    struct func_walk w = { fn, arg };

    if (!path || !fn)
        return -EINVAL;
    return ep_elf_read(path, funcs_read, &w);
}

/* ---- layout --------------------------------------------------------------- */

/* The mapping at file offset 0 is the first PT_LOAD's, from its page. */
static int first_vaddr_read(Elf *elf, uint64_t *vaddr)
{
    size_t phnum;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

    if (elf_getphdrnum(elf, &phnum) != 0)
        return -ENOEXEC;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
            *vaddr = ph.p_vaddr & ~(page - 1);
            return 0;
        }
    }
    return -ENOEXEC;
}

/* .plt holds the lazy-binding stubs a JUMP_SLOT points to until its first
 * call; .plt.sec (IBT) and .plt.got hold the call stubs. */
static bool section_is_plt(const char *name)
{
    return strcmp(name, ".plt") == 0 || strcmp(name, ".plt.sec") == 0 ||
           strcmp(name, ".plt.got") == 0;
}

static void plt_ranges_read(Elf *elf, struct ep_elf_layout *l)
{
    size_t shstrndx;
    Elf_Scn *scn = NULL;

    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        const char *name;
        if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
            continue;
        if (section_is_plt(name) && l->nplt < EP_ELF_PLT_MAX) {
            l->plt[l->nplt].start = sh.sh_addr;
            l->plt[l->nplt].end = sh.sh_addr + sh.sh_size;
            l->nplt++;
        }
    }
}

static int layout_read(Elf *elf, void *arg)
{
    struct ep_elf_layout *l = arg;
    GElf_Ehdr ehdr;

    if (!gelf_getehdr(elf, &ehdr) || (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN))
        return -ENOEXEC;
    l->type = ehdr.e_type;
    int rc = first_vaddr_read(elf, &l->first_vaddr);
    if (rc == 0)
        plt_ranges_read(elf, l);
    return rc;
}

int ep_elf_layout(const char *path, struct ep_elf_layout *layout)
{
    if (!path || !layout)
        return -EINVAL;
    memset(layout, 0, sizeof *layout);
    return ep_elf_read(path, layout_read, layout);
}
