/* dlvdemo.c: finds write by version with dlvsym and writes 1234 bytes to
 * FILE through the pointer it gave. Usage: dlvdemo FILE. */
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

static char block[1234];

int main(int argc, char **argv)
{
    ssize_t (*write_fn)(int, const void *, size_t) =
        (ssize_t (*)(int, const void *, size_t))dlvsym(RTLD_DEFAULT, "write", "GLIBC_2.2.5");
    int fd = argc == 2 ? open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;

    if (!write_fn || fd < 0)
        return 2;
    return write_fn(fd, block, sizeof block) != sizeof block || close(fd) != 0;
}
