/* ep_elf_classify.c: decide from the file on disk whether scope can observe
 * a program at all, before we start or attach to it.
 *
 * GOT patching only sees programs that call libc through a GOT: dynamically
 * linked x86-64 ones. Static binaries and Go binaries without cgo make their
 * system calls directly; attaching to them would "work" and report nothing,
 * so the CLI refuses them with a reason.
 * This file uses libelf and is linked into the CLI only, never into
 * libscope.so.
 */
#include "elfpatch.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the headers told us; the verdict is drawn from this alone. */
struct elf_facts {
    int elfclass;
    GElf_Half machine;
    bool has_interp;
    bool has_dynamic;
    bool has_go_section;
};

static void why_set(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static void program_headers_read(Elf *elf, struct elf_facts *facts)
{
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph))
            continue;
        facts->has_interp |= ph.p_type == PT_INTERP;
        facts->has_dynamic |= ph.p_type == PT_DYNAMIC;
    }
}

/* The Go linker always writes one of these; stripping a Go binary removes
 * symbols, not these sections. */
static bool section_name_is_go(const char *name)
{
    return strcmp(name, ".go.buildinfo") == 0 ||
           strcmp(name, ".note.go.buildid") == 0;
}

static void section_names_read(Elf *elf, struct elf_facts *facts)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn;
         scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && section_name_is_go(name))
            facts->has_go_section = true;
    }
}

/* Returns false with *kind set when the file is not an ELF we can judge. */
static bool elf_facts_read(Elf *elf, const char *path, struct elf_facts *facts,
                           enum ep_elf_kind *kind, char *why, size_t whylen)
{
    if (elf_kind(elf) != ELF_K_ELF) {
        *kind = EP_ELF_NOT_ELF;
        why_set(why, whylen,
                "%s is not an ELF executable (a script or data file?)", path);
        return false;
    }
    GElf_Ehdr ehdr;
    if (!gelf_getehdr(elf, &ehdr)) {
        *kind = EP_ELF_UNREADABLE;
        why_set(why, whylen, "cannot read the ELF header of %s: %s", path,
                elf_errmsg(-1));
        return false;
    }
    if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
        *kind = EP_ELF_NOT_ELF;
        why_set(why, whylen,
                "%s is an ELF %s, not a program", path,
                ehdr.e_type == ET_REL ? "object file" : "core or other file");
        return false;
    }
    memset(facts, 0, sizeof(*facts));
    facts->elfclass = gelf_getclass(elf);
    facts->machine = ehdr.e_machine;
    program_headers_read(elf, facts);
    section_names_read(elf, facts);
    return true;
}

/* A static PIE has PT_DYNAMIC (for its own relative relocations) but no
 * PT_INTERP: it still has no libc to interpose, so only PT_INTERP counts. */
static enum ep_elf_kind elf_facts_judge(const struct elf_facts *facts,
                                        const char *path, char *why,
                                        size_t whylen)
{
    if (facts->elfclass != ELFCLASS64) {
        why_set(why, whylen,
                "%s is a 32-bit program: scope observes only 64-bit x86-64 "
                "programs", path);
        return EP_ELF_32BIT;
    }
    if (facts->machine != EM_X86_64) {
        why_set(why, whylen,
                "%s is built for another CPU (ELF machine %u): scope observes "
                "only x86-64 programs", path, (unsigned)facts->machine);
        return EP_ELF_32BIT;
    }
    if (facts->has_interp) {
        why_set(why, whylen, "%s", "");
        return EP_ELF_DYNAMIC;
    }
    if (facts->has_go_section) {
        why_set(why, whylen,
                "%s is a Go program built without cgo: it makes system calls "
                "directly, not through libc; scope cannot observe it", path);
        return EP_ELF_GO;
    }
    why_set(why, whylen,
            "%s is statically linked%s: it makes system calls directly, not "
            "through a GOT; scope cannot observe it", path,
            facts->has_dynamic ? " (static PIE)" : "");
    return EP_ELF_STATIC;
}

static enum ep_elf_kind unreadable(const char *path, int err, char *why,
                                   size_t whylen)
{
    why_set(why, whylen, "cannot read %s: %s", path, strerror(err));
    return EP_ELF_UNREADABLE;
}

enum ep_elf_kind ep_elf_classify(const char *path, char *why, size_t whylen)
{
    if (!path)
        return unreadable("(null)", EINVAL, why, whylen);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        why_set(why, whylen, "cannot read %s: libelf: %s", path,
                elf_errmsg(-1));
        return EP_ELF_UNREADABLE;
    }
    /* O_NONBLOCK: opening a FIFO for reading must not hang the CLI. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return unreadable(path, errno, why, whylen);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return unreadable(path, err, why, whylen);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        if (S_ISDIR(st.st_mode))
            return unreadable(path, EISDIR, why, whylen);
        why_set(why, whylen, "cannot read %s: not a regular file", path);
        return EP_ELF_UNREADABLE;
    }
    enum ep_elf_kind kind = EP_ELF_UNREADABLE;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    if (!elf) {
        why_set(why, whylen, "cannot read %s: %s", path, elf_errmsg(-1));
    } else {
        struct elf_facts facts;
        if (elf_facts_read(elf, path, &facts, &kind, why, whylen))
            kind = elf_facts_judge(&facts, path, why, whylen);
        elf_end(elf);
    }
    close(fd);
    return kind;
}

