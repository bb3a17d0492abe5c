/* xstatdemo: the stat family as binaries built against glibc before 2.33
 * call it: __xstat(version, ...) and friends, which glibc still exports.
 *
 *   xstatdemo FILE MISSING
 *
 * Six path stats of FILE (__xstat, __lxstat, __fxstatat and their 64
 * forms), two fd stats of it (__fxstat, __fxstat64), then one __xstat of
 * MISSING, which fails. Exits 0 when every call did what it should. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAT_VER 1      /* _STAT_VER_LINUX on x86-64 */

int __xstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstat(int ver, int fd, struct stat *buf);
int __fxstat64(int ver, int fd, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);

int main(int argc, char **argv)
{
    struct stat st;
    struct stat64 st64;
    int bad = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: xstatdemo FILE MISSING\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    bad |= __xstat(STAT_VER, argv[1], &st);
    bad |= __xstat64(STAT_VER, argv[1], &st64);
    bad |= __lxstat(STAT_VER, argv[1], &st);
    bad |= __lxstat64(STAT_VER, argv[1], &st64);
    bad |= __fxstatat(STAT_VER, AT_FDCWD, argv[1], &st, 0);
    bad |= __fxstatat64(STAT_VER, AT_FDCWD, argv[1], &st64, 0);
    bad |= __fxstat(STAT_VER, fd, &st);
    bad |= __fxstat64(STAT_VER, fd, &st64);
    bad |= __xstat(STAT_VER, argv[2], &st) != -1;
    close(fd);
    return bad ? 1 : 0;
}
