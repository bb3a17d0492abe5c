/* ep_image.c: the dynamic linker a program file names (see ep_image.h). */
#include "ep_image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PHNUM_MAX 64        /* more program headers than any linker writes */

/* PT_INTERP of the 64-bit ELF file fd, whose header is h. */
static int elf_interp(int fd, const Elf64_Ehdr *h, char *interp, size_t cap)
{
    Elf64_Phdr ph[PHNUM_MAX];
    size_t size = h->e_phnum * sizeof ph[0];

    if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_phentsize != sizeof ph[0] ||
        h->e_phnum > PHNUM_MAX || pread(fd, ph, size, (off_t)h->e_phoff) != (ssize_t)size)
        return -ENOEXEC;
    for (size_t i = 0; i < h->e_phnum; i++) {
        if (ph[i].p_type != PT_INTERP)
            continue;
        if (ph[i].p_filesz == 0 || ph[i].p_filesz > cap)
            return -ENAMETOOLONG;
        ssize_t n = pread(fd, interp, ph[i].p_filesz, (off_t)ph[i].p_offset);
        if (n != (ssize_t)ph[i].p_filesz || interp[n - 1] != '\0')
            return -ENOEXEC;
        return 0;
    }
    return -ENOENT;
}

static int image_interp(const char *path, char *interp, size_t cap, int depth)
{
    union {
        Elf64_Ehdr h;
        char text[256];
    } head;
    struct stat st;
    /* O_NONBLOCK: a FIFO named as the program must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = -ENOENT;

    if (fd < 0)
        return -errno;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? pread(fd, &head, sizeof head - 1, 0) : -1;
    if (n >= (ssize_t)sizeof head.h && memcmp(head.h.e_ident, ELFMAG, SELFMAG) == 0) {
        rc = elf_interp(fd, &head.h, interp, cap);
    } else if (n > 2 && head.text[0] == '#' && head.text[1] == '!' && depth == 0) {
        head.text[n] = '\0';
        char *script = head.text + 2 + strspn(head.text + 2, " \t");
        script[strcspn(script, " \t\n")] = '\0';
        close(fd);
        return script[0] == '/' ? image_interp(script, interp, cap, 1) : -ENOENT;
    }
    close(fd);
    return rc;
}

int ep_image_interp(const char *path, char *interp, size_t cap)
{
    int saved = errno;
    int rc = path && interp && cap ? image_interp(path, interp, cap, 0) : -EINVAL;

    errno = saved;
    return rc;
}

bool ep_interp_is_musl(const char *interp)
{
    const char *slash = strrchr(interp, '/');

    return strncmp(slash ? slash + 1 : interp, "ld-musl-", 8) == 0;
}
