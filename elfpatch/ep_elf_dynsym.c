/* ep_elf_dynsym.c: where an object on disk defines a dynamic symbol.
 *
 * The injector needs addresses inside another process: dlopen in its libc,
 * scope_ctl_attach in libscope.so, _r_debug in its dynamic linker. The
 * file tells the offset from the load base (st_value); /proc/PID/maps
 * tells the base.
 */
#include "elfpatch.h"
#include "ep_elf_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static Elf_Scn *dynsym_section(Elf *elf, GElf_Shdr *shdr)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(elf, scn)) != NULL)
        if (gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_DYNSYM)
            return scn;
    return NULL;
}

/* A definition, of a function or of data; not an undefined reference. */
static bool symbol_is_definition(const GElf_Sym *sym)
{
    return sym->st_shndx != SHN_UNDEF && sym->st_value != 0;
}

static int dynsym_find(Elf *elf, const char *name, uint64_t *value)
{
    GElf_Shdr shdr;
    Elf_Scn *scn = dynsym_section(elf, &shdr);
    Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;

    if (!data || shdr.sh_entsize == 0)
        return -ENOENT;
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 1; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym) || !symbol_is_definition(&sym))
            continue;
        const char *sname = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (sname && strcmp(sname, name) == 0) {
            *value = sym.st_value;
            return 0;
        }
    }
    return -ENOENT;
}

struct dynsym_query {
    const char *name;
    uint64_t *value;
};

static int dynsym_read(Elf *elf, void *arg)
{
    struct dynsym_query *q = arg;
    return dynsym_find(elf, q->name, q->value);
}

int ep_elf_dynsym(const char *path, const char *name, uint64_t *value)
{
    struct dynsym_query q = { name, value };
    return ep_elf_read(path, dynsym_read, &q);
}
