/* ep_symbolize.c: address -> object and function, async-signal-safe (see
 * ep_symbolize.h). Used by the crash handler, where the process may be in
 * any state: a crash inside malloc must still be symbolized. */
#include "ep_symbolize.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct mapping {
    uintptr_t start, end;
    uintptr_t file_offset;
    char path[256];
};

static uintptr_t hex_parse(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else
            return v;
    }
}

static const char *field_skip(const char *p)
{
    while (*p && *p != ' ')
        p++;
    while (*p == ' ')
        p++;
    return p;
}

/* "start-end perms offset dev inode   path" */
static int mapping_line_parse(const char *line, struct mapping *m)
{
    const char *p = line;

    m->start = hex_parse(&p);
    if (*p++ != '-')
        return -1;
    m->end = hex_parse(&p);
    p = field_skip(p);              /* perms */
    p = field_skip(p);
    m->file_offset = hex_parse(&p);
    p = field_skip(p);              /* dev */
    p = field_skip(p);              /* inode */
    p = field_skip(p);
    size_t n = 0;
    while (p[n] && p[n] != '\n' && n < sizeof m->path - 1)
        n++;
    memcpy(m->path, p, n);
    m->path[n] = '\0';
    return 0;
}

/* Find the mapping containing addr, reading /proc/self/maps line by line
 * through a fixed buffer. */
static int mapping_find(uintptr_t addr, struct mapping *out)
{
    char buf[4096], line[512];
    size_t line_len = 0;
    ssize_t n;
    int found = -1;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while (found < 0 && (n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n && found < 0; i++) {
            if (buf[i] != '\n') {
                if (line_len < sizeof line - 1)
                    line[line_len++] = buf[i];
                continue;
            }
            line[line_len] = '\0';
            line_len = 0;
            struct mapping m;
            if (mapping_line_parse(line, &m) == 0 && addr >= m.start && addr < m.end) {
                *out = m;
                found = 0;
            }
        }
    }
    close(fd);
    return found;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

/* The virtual address (as linked) of a file offset: through the PT_LOAD
 * that maps it. */
static int file_offset_to_vaddr(int fd, const Elf64_Ehdr *eh, uint64_t off,
                                uint64_t *vaddr)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        if (read_at(fd, &ph, sizeof ph, eh->e_phoff + (uint64_t)i * eh->e_phentsize) < 0)
            return -1;
        if (ph.p_type == PT_LOAD && off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
            *vaddr = off - ph.p_offset + ph.p_vaddr;
            return 0;
        }
    }
    return -1;
}

/* .symtab if present (it names static functions too), else .dynsym. */
static int symbol_table_find(int fd, const Elf64_Ehdr *eh, Elf64_Shdr *symtab,
                             Elf64_Shdr *strtab)
{
    int found = -1;

    for (unsigned i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr sh;
        if (read_at(fd, &sh, sizeof sh, eh->e_shoff + (uint64_t)i * eh->e_shentsize) < 0)
            return -1;
        if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && found < 0)) {
            *symtab = sh;
            found = sh.sh_type == SHT_SYMTAB ? 1 : 0;
        }
    }
    if (found < 0 || symtab->sh_link >= eh->e_shnum)
        return -1;
    return read_at(fd, strtab, sizeof *strtab,
                   eh->e_shoff + (uint64_t)symtab->sh_link * eh->e_shentsize);
}

/* The function symbol whose [value, value+size) holds vaddr. */
static int function_find(int fd, const Elf64_Shdr *symtab, uint64_t vaddr,
                         Elf64_Sym *best)
{
    Elf64_Sym chunk[64];
    size_t count = symtab->sh_entsize ? symtab->sh_size / symtab->sh_entsize : 0;

    for (size_t i = 0; i < count; i += 64) {
        size_t n = count - i < 64 ? count - i : 64;
        if (read_at(fd, chunk, n * sizeof chunk[0], symtab->sh_offset + i * sizeof chunk[0]) < 0)
            return -1;
        for (size_t k = 0; k < n; k++) {
            const Elf64_Sym *s = &chunk[k];
            if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_value <= vaddr &&
                vaddr < s->st_value + (s->st_size ? s->st_size : 1)) {
                *best = *s;
                return 0;
            }
        }
    }
    return -1;
}

static void name_read(int fd, const Elf64_Shdr *strtab, uint32_t at, char *out, size_t cap)
{
    ssize_t n = at < strtab->sh_size ? pread(fd, out, cap - 1, (off_t)(strtab->sh_offset + at)) : -1;
    out[n > 0 ? n : 0] = '\0';
}

static void function_name(int fd, uint64_t file_off, struct ep_symbol *out)
{
    Elf64_Ehdr eh;
    Elf64_Shdr symtab, strtab;
    Elf64_Sym sym;
    uint64_t vaddr;

    if (read_at(fd, &eh, sizeof eh, 0) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return;
    if (file_offset_to_vaddr(fd, &eh, file_off, &vaddr) < 0)
        return;
    out->offset = vaddr;
    if (symbol_table_find(fd, &eh, &symtab, &strtab) < 0 ||
        function_find(fd, &symtab, vaddr, &sym) < 0)
        return;
    name_read(fd, &strtab, sym.st_name, out->function, sizeof out->function);
    out->offset = vaddr - sym.st_value;
}

int ep_symbolize(uintptr_t addr, struct ep_symbol *out)
{
    struct mapping m;

    out->object[0] = out->function[0] = '\0';
    out->offset = 0;
    if (mapping_find(addr, &m) < 0 || m.path[0] != '/')
        return -1;
    memcpy(out->object, m.path, sizeof out->object);
    out->object[sizeof out->object - 1] = '\0';
    int fd = open(m.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    function_name(fd, addr - m.start + m.file_offset, out);
    close(fd);
    return 0;
}
