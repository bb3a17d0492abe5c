/* dlsymdemo: write through a pointer to `write` that dlsym gave, never
 * through a call the linker bound.
 *
 *   dlsymdemo FILE BYTES
 *
 * Writes BYTES bytes to FILE in two halves: the first through
 * dlsym(RTLD_DEFAULT, "write"), the rest through dlsym on a dlopen handle
 * of libc. An observer that patches only GOT slots sees none of it. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef long (*write_fn)(int, const void *, size_t);

static int write_all(write_fn w, int fd, size_t n)
{
    char buf[4096];

    memset(buf, 'd', sizeof buf);
    while (n > 0) {
        size_t chunk = n < sizeof buf ? n : sizeof buf;
        long done = w(fd, buf, chunk);
        if (done <= 0)
            return -1;
        n -= (size_t)done;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dlsymdemo FILE BYTES\n");
        return 2;
    }
    size_t bytes = strtoul(argv[2], NULL, 10);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    write_fn by_default = (write_fn)dlsym(RTLD_DEFAULT, "write");
    write_fn by_handle = libc ? (write_fn)dlsym(libc, "write") : NULL;
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!by_default || !by_handle || fd < 0) {
        fprintf(stderr, "dlsymdemo: cannot set up: %s\n", dlerror());
        return 1;
    }
    if (write_all(by_default, fd, bytes / 2) < 0 ||
        write_all(by_handle, fd, bytes - bytes / 2) < 0) {
        perror("dlsymdemo: write");
        return 1;
    }
    return close(fd) == 0 ? 0 : 1;
}
