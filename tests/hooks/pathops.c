/* pathops.c: calls on names the suite's programs do not make: lstat,
 * fstatat64, statx and faccessat on DIR/f; renameat DIR/f to DIR/g and
 * renameat2 DIR/g to DIR/h; unlinkat DIR/h; and each of the last three
 * once more on a name that does not exist (DIR/missing-renameat,
 * DIR/missing-renameat2, DIR/missing-unlinkat), which fails. Usage:
 * pathops DIR. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *in(const char *dir, const char *name)
{
    static char paths[8][PATH_MAX];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

int main(int argc, char **argv)
{
    struct stat st;
    struct stat64 st64;
    struct statx stx;

    if (argc != 2)
        return 2;
    const char *d = argv[1], *f = in(d, "f"), *g = in(d, "g"), *h = in(d, "h");
    int fd = open(f, O_WRONLY | O_CREAT, 0600);
    if (fd < 0 || close(fd) != 0)
        return 1;
    if (lstat(f, &st) || fstatat64(AT_FDCWD, f, &st64, 0) ||
        statx(AT_FDCWD, f, 0, STATX_SIZE, &stx) || faccessat(AT_FDCWD, f, R_OK, 0))
        return 1;
    if (renameat(AT_FDCWD, f, AT_FDCWD, g) || renameat2(AT_FDCWD, g, AT_FDCWD, h, 0) ||
        unlinkat(AT_FDCWD, h, 0))
        return 1;
    return renameat(AT_FDCWD, in(d, "missing-renameat"), AT_FDCWD, g) == 0 ||
           renameat2(AT_FDCWD, in(d, "missing-renameat2"), AT_FDCWD, g, 0) == 0 ||
           unlinkat(AT_FDCWD, in(d, "missing-unlinkat"), 0) == 0;
}
