/* ep_elf_mem.c: a dynamic symbol of an object in memory (see ep_elf_mem.h).
 *
 * The path from the ELF header to a symbol: program headers, PT_DYNAMIC,
 * the hash table's bucket and chain for the name, the symbol, its name.
 * A handful of small reads, each checked against the object's extent.
 */
#include "ep_elf_mem.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

/* Far above what real objects have (a dozen program headers, some thirty
 * dynamic entries, chains of a few symbols), low enough that a lying
 * object costs little to refuse. */
#define PHNUM_MAX (EP_MEM_READ_MAX / sizeof(Elf64_Phdr))
#define DYN_MAX 1024
#define CHAIN_MAX 4096
#define NAME_MAX_LEN 255
/* No object spans more; keeps every sum below of addresses and table
 * offsets (32-bit counts times entry sizes) from wrapping. */
#define EXTENT_MAX (1ULL << 40)

struct object {
    const struct ep_mem_image *img;
    uint64_t bias;              /* what its virtual addresses are moved by */
    uint64_t lo, hi;            /* [lo, hi): where its segments lie */
    uint64_t symtab, strtab, strsz, gnu_hash, hash;
};

/* len bytes at addr, which must lie within the object. */
static int object_read(const struct object *o, uint64_t addr, void *buf, size_t len)
{
    if (len > EP_MEM_READ_MAX || addr < o->lo || addr > o->hi || len > o->hi - addr)
        return -EBADMSG;
    return o->img->read(addr, buf, len, o->img->arg);
}

static int header_read(const struct ep_mem_image *img, Elf64_Ehdr *eh)
{
    int rc = img->read(img->base, eh, sizeof *eh, img->arg);

    if (rc != 0)
        return rc;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_machine != EM_X86_64 || (eh->e_type != ET_DYN && eh->e_type != ET_EXEC))
        return -ENOEXEC;
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > PHNUM_MAX || eh->e_phoff > EXTENT_MAX)
        return -EBADMSG;
    return 0;
}

/* The extent and bias from the PT_LOAD segments (the first maps file
 * offset 0 at base), and PT_DYNAMIC. The program headers must lie in the
 * first segment's file bytes, where the loader found them. */
static int segments_read(struct object *o, const Elf64_Ehdr *eh, const Elf64_Phdr **dyn,
                         Elf64_Phdr *ph)
{
    const Elf64_Phdr *first = NULL;
    uint64_t end = 0, size = (uint64_t)eh->e_phnum * sizeof *ph;

    if (o->img->base > UINT64_MAX - 2 * EXTENT_MAX)
        return -EBADMSG;
    int rc = o->img->read(o->img->base + eh->e_phoff, ph, size, o->img->arg);
    if (rc != 0)
        return rc;
    *dyn = NULL;
    for (size_t i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_DYNAMIC)
            *dyn = &ph[i];
        if (ph[i].p_type != PT_LOAD)
            continue;
        if (ph[i].p_vaddr > EXTENT_MAX || ph[i].p_memsz > EXTENT_MAX)
            return -EBADMSG;
        first = first ? first : &ph[i];
        if (ph[i].p_vaddr + ph[i].p_memsz > end)
            end = ph[i].p_vaddr + ph[i].p_memsz;
    }
    if (!first || !*dyn || first->p_offset > first->p_vaddr || first->p_offset > eh->e_phoff ||
        eh->e_phoff + size > first->p_offset + first->p_filesz)
        return -EBADMSG;
    uint64_t start = first->p_vaddr - first->p_offset;
    if (end <= start || end - start > EXTENT_MAX)
        return -EBADMSG;
    o->bias = o->img->base - start;
    o->lo = o->img->base;
    o->hi = o->img->base + (end - start);
    return 0;
}

/* Where a d_ptr points. glibc's loader adds the bias to the entries in
 * place, musl's leaves them as linked: an address inside the object is
 * taken as it is, else as a virtual address to move (the two only meet
 * when the bias is 0, where they are the same). */
static int dyn_pointer(const struct object *o, uint64_t ptr, uint64_t *addr)
{
    if (ptr >= o->lo && ptr < o->hi)
        *addr = ptr;
    else if (ptr >= o->lo - o->bias && ptr < o->hi - o->bias)
        *addr = o->bias + ptr;
    else
        return -EBADMSG;
    return 0;
}

static int dyn_entry(struct object *o, const Elf64_Dyn *d)
{
    switch (d->d_tag) {
    case DT_SYMTAB: return dyn_pointer(o, d->d_un.d_ptr, &o->symtab);
    case DT_STRTAB: return dyn_pointer(o, d->d_un.d_ptr, &o->strtab);
    case DT_GNU_HASH: return dyn_pointer(o, d->d_un.d_ptr, &o->gnu_hash);
    case DT_HASH: return dyn_pointer(o, d->d_un.d_ptr, &o->hash);
    case DT_STRSZ:
        o->strsz = d->d_un.d_val;
        return o->strsz <= EXTENT_MAX ? 0 : -EBADMSG;
    case DT_SYMENT: return d->d_un.d_val == sizeof(Elf64_Sym) ? 0 : -EBADMSG;
    default: return 0;
    }
}

/* The tables named by PT_DYNAMIC, up to its DT_NULL. */
static int dynamic_read(struct object *o, const Elf64_Phdr *dyn)
{
    Elf64_Dyn d[EP_MEM_READ_MAX / sizeof(Elf64_Dyn)];
    uint64_t n = dyn->p_memsz / sizeof *d, at = o->bias + dyn->p_vaddr;
    int rc = dyn->p_vaddr <= EXTENT_MAX ? 0 : -EBADMSG;

    n = n < DYN_MAX ? n : DYN_MAX;
    for (uint64_t i = 0; rc == 0 && i < n; i += sizeof d / sizeof *d) {
        size_t chunk = n - i < sizeof d / sizeof *d ? (size_t)(n - i) : sizeof d / sizeof *d;
        if ((rc = object_read(o, at + i * sizeof *d, d, chunk * sizeof *d)) != 0)
            return rc;
        for (size_t k = 0; k < chunk; k++) {
            if (d[k].d_tag == DT_NULL)
                return o->symtab && o->strtab && o->strsz && (o->gnu_hash || o->hash)
                           ? 0 : -EBADMSG;
            if ((rc = dyn_entry(o, &d[k])) != 0)
                return rc;
        }
    }
    return rc ? rc : -EBADMSG;
}

/* Symbol i, if it is a definition of `name`: 0 with *value, -ENOENT when
 * it is another symbol. */
static int symbol_match(const struct object *o, uint32_t i, const char *name, uint64_t *value)
{
    char text[NAME_MAX_LEN + 1];
    size_t len = strlen(name) + 1;
    Elf64_Sym sym;
    int rc = object_read(o, o->symtab + (uint64_t)i * sizeof sym, &sym, sizeof sym);

    if (rc != 0)
        return rc;
    if (sym.st_name >= o->strsz)
        return -EBADMSG;
    if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0 || len > o->strsz - sym.st_name)
        return -ENOENT;
    if ((rc = object_read(o, o->strtab + sym.st_name, text, len)) != 0)
        return rc;
    if (memcmp(text, name, len) != 0)
        return -ENOENT;
    *value = sym.st_value;
    return 0;
}

static int word_read(const struct object *o, uint64_t addr, uint32_t *w)
{
    return object_read(o, addr, w, sizeof *w);
}

/* DT_GNU_HASH: nbuckets, symoffset, bloom words, bloom shift; the bloom
 * filter (skipped: it only saves reads); the buckets (the first symbol of
 * each); the chain of hashes of symbols symoffset and up, whose low bit
 * ends a bucket's run. */
static int gnu_lookup(const struct object *o, const char *name, uint64_t *value)
{
    uint32_t head[4], h = ep_mem_gnu_hash(name), i, hash;
    int rc = object_read(o, o->gnu_hash, head, sizeof head);

    if (rc != 0)
        return rc;
    if (head[0] == 0)
        return -ENOENT;
    uint64_t buckets = o->gnu_hash + sizeof head + (uint64_t)head[2] * sizeof(uint64_t);
    uint64_t chain = buckets + (uint64_t)head[0] * sizeof(uint32_t);
    if ((rc = word_read(o, buckets + (uint64_t)(h % head[0]) * sizeof i, &i)) != 0)
        return rc;
    if (i == 0)
        return -ENOENT;
    if (i < head[1])
        return -EBADMSG;
    for (unsigned steps = 0; steps < CHAIN_MAX; steps++, i++) {
        if ((rc = word_read(o, chain + (uint64_t)(i - head[1]) * sizeof hash, &hash)) != 0)
            return rc;
        if ((hash | 1) == (h | 1) && (rc = symbol_match(o, i, name, value)) != -ENOENT)
            return rc;
        if (hash & 1)
            return -ENOENT;
        if (i == UINT32_MAX)
            return -EBADMSG;
    }
    return -EBADMSG;
}

/* DT_HASH: nbucket, nchain, the buckets, the chains (the next symbol of
 * the same bucket, 0 at the end). */
static int sysv_lookup(const struct object *o, const char *name, uint64_t *value)
{
    uint32_t head[2], h = ep_mem_sysv_hash(name), i;
    int rc = object_read(o, o->hash, head, sizeof head);

    if (rc != 0)
        return rc;
    if (head[0] == 0)
        return -ENOENT;
    uint64_t buckets = o->hash + sizeof head;
    uint64_t chains = buckets + (uint64_t)head[0] * sizeof(uint32_t);
    if ((rc = word_read(o, buckets + (uint64_t)(h % head[0]) * sizeof i, &i)) != 0)
        return rc;
    for (unsigned steps = 0; i != STN_UNDEF; steps++) {
        if (i >= head[1])
            return -EBADMSG;
        if (steps == CHAIN_MAX)
            return -EBADMSG;
        if ((rc = symbol_match(o, i, name, value)) != -ENOENT)
            return rc;
        if ((rc = word_read(o, chains + (uint64_t)i * sizeof i, &i)) != 0)
            return rc;
    }
    return -ENOENT;
}

int ep_mem_dynsym(const struct ep_mem_image *img, const char *name, uint64_t *value)
{
    struct object o = { .img = img };
    Elf64_Phdr ph[PHNUM_MAX];
    const Elf64_Phdr *dyn;
    Elf64_Ehdr eh;
    int rc;

    if (strlen(name) > NAME_MAX_LEN)
        return -ENOENT;
    if ((rc = header_read(img, &eh)) != 0 || (rc = segments_read(&o, &eh, &dyn, ph)) != 0 ||
        (rc = dynamic_read(&o, dyn)) != 0)
        return rc;
    return o.gnu_hash ? gnu_lookup(&o, name, value) : sysv_lookup(&o, name, value);
}

uint32_t ep_mem_gnu_hash(const char *name)
{
    uint32_t h = 5381;

    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    return h;
}

uint32_t ep_mem_sysv_hash(const char *name)
{
    uint32_t h = 0;

    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        h = (h << 4) + *c;
        uint32_t g = h & 0xf0000000u;
        if (g)
            h ^= g >> 24;
        h &= ~g;
    }
    return h;
}
