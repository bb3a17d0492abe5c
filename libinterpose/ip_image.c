/* ip_image.c: which C library a program about to be exec'd runs on (see
 * ip.h), read from its file the way the kernel starts it: an ELF
 * program's dynamic linker (PT_INTERP), a script's interpreter (#!) one
 * level down. Everything is on the stack: an exec may come from a vfork
 * child, which shares our memory. */
#include "ip.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PHNUM_MAX 64
#define IMAGE_PATH_MAX 4096

/* A PT_INTERP whose name starts with musl's, in the ELF file fd. */
static bool elf_interp_is_musl(int fd, const Elf64_Ehdr *h)
{
    Elf64_Phdr ph[PHNUM_MAX];
    char interp[256];

    if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_phentsize != sizeof ph[0] ||
        h->e_phnum > PHNUM_MAX ||
        pread(fd, ph, h->e_phnum * sizeof ph[0], (off_t)h->e_phoff) !=
            (ssize_t)(h->e_phnum * sizeof ph[0]))
        return false;
    for (size_t i = 0; i < h->e_phnum; i++) {
        if (ph[i].p_type != PT_INTERP)
            continue;
        size_t len = ph[i].p_filesz < sizeof interp ? ph[i].p_filesz : sizeof interp - 1;
        ssize_t n = pread(fd, interp, len, (off_t)ph[i].p_offset);
        if (n <= 0)
            return false;
        interp[n] = '\0';
        const char *slash = strrchr(interp, '/');
        return strncmp(slash ? slash + 1 : interp, "ld-musl-", 8) == 0;
    }
    return false;
}

static bool file_is_musl(const char *path, int depth)
{
    union {
        Elf64_Ehdr h;
        char text[256];
    } head;
    struct stat st;
    bool musl = false;
    /* O_NONBLOCK: a FIFO named as the program must not hang the exec. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0)
        return false;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? pread(fd, &head, sizeof head - 1, 0) : -1;
    if (n >= (ssize_t)sizeof head.h && memcmp(head.h.e_ident, ELFMAG, SELFMAG) == 0) {
        musl = elf_interp_is_musl(fd, &head.h);
    } else if (n > 2 && head.text[0] == '#' && head.text[1] == '!' && depth == 0) {
        head.text[n] = '\0';
        char *interp = head.text + 2 + strspn(head.text + 2, " \t");
        interp[strcspn(interp, " \t\n")] = '\0';
        close(fd);
        return interp[0] == '/' && file_is_musl(interp, 1);
    }
    close(fd);
    return musl;
}

/* Where execvp would find file: the first executable in PATH. */
static bool path_search(const char *file, char *out, size_t cap)
{
    const char *dirs = getenv("PATH");

    for (const char *p = dirs ? dirs : "/bin:/usr/bin";; p++) {
        size_t len = strcspn(p, ":");
        if (len + strlen(file) + 2 <= cap) {
            memcpy(out, p, len);
            out[len] = '/';
            strcpy(out + len + (len ? 1 : 0), file);
            if (access(out, X_OK) == 0)
                return true;
        }
        p += len;
        if (!*p)
            return false;
    }
}

bool ip_image_is_musl(const char *path, bool search)
{
    char found[IMAGE_PATH_MAX];
    int saved = errno;
    bool musl = false;

    if (path && path[0]) {
        if (!search || strchr(path, '/'))
            musl = file_is_musl(path, 0);
        else if (path_search(path, found, sizeof found))
            musl = file_is_musl(found, 0);
    }
    errno = saved;
    return musl;
}
