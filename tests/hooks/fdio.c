/* fdio.c: writes a file with pwritev, pwritev64 and pwritev2 (a third
 * each, made with creat64), then reads it whole five times: on fds opened
 * by __open_2, __open64_2 and __openat64_2 (what fortified programs'
 * open calls become) and on copies made by dup and dup3, with __read_chk,
 * __pread_chk, __pread64_chk, preadv, preadv64 and preadv2; the file is
 * renamed FILE.moved before the copies are made. Usage: fdio FILE. Prints
 * the bytes written and the bytes read, as the calls returned them. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PART 4096
#define SIZE (3 * PART)

/* fortified programs' calls: exported, declared only behind macros */
extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat64_2(int dirfd, const char *path, int flags);
extern ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
extern ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
extern ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);

static char data[SIZE], back[SIZE];

/* the buffer as two pieces, so that each call moves more than one iovec */
static void halves(struct iovec iov[2], char *buf, size_t n)
{
    iov[0] = (struct iovec){ buf, n / 3 };
    iov[1] = (struct iovec){ buf + n / 3, n - n / 3 };
}

static ssize_t write_parts(const char *path)
{
    struct iovec iov[2];
    ssize_t n = 0;
    int fd = creat64(path, 0600);
    if (fd < 0)
        return -1;
    halves(iov, data, PART);
    n += pwritev(fd, iov, 2, 0);
    halves(iov, data + PART, PART);
    n += pwritev64(fd, iov, 2, PART);
    halves(iov, data + 2 * PART, PART);
    n += pwritev2(fd, iov, 2, 2 * PART, 0);
    return close(fd) == 0 ? n : -1;
}

static ssize_t read_chk_parts(int fd)
{
    ssize_t n = __read_chk(fd, back, PART, sizeof back);
    n += __pread_chk(fd, back + PART, PART, PART, sizeof back - PART);
    n += __pread64_chk(fd, back + 2 * PART, PART, 2 * PART, sizeof back - 2 * PART);
    return n;
}

static ssize_t read_vectors(int fd, int how)
{
    struct iovec iov[2];
    halves(iov, back, SIZE);
    switch (how) {
    case 0: return preadv(fd, iov, 2, 0);
    case 1: return preadv64(fd, iov, 2, 0);
    default: return preadv2(fd, iov, 2, 0, 0);
    }
}

int main(int argc, char **argv)
{
    ssize_t wrote, got = 0;
    char moved[4096];

    if (argc != 2)
        return 2;
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)('a' + i % 26);
    if ((wrote = write_parts(argv[1])) != SIZE)
        return 1;
    int a = __open_2(argv[1], O_RDONLY);
    int b = __open64_2(argv[1], O_RDONLY);
    int c = __openat64_2(AT_FDCWD, argv[1], O_RDONLY);
    if (a < 0 || b < 0 || c < 0)
        return 1;
    /* moved before the copies are made: a copy's reads still count
     * against the name the file was opened by, which only dup's record
     * of the original can tell (its fd's name is now the new one) */
    if (snprintf(moved, sizeof moved, "%s.moved", argv[1]) >= (int)sizeof moved ||
        rename(argv[1], moved) != 0)
        return 1;
    int a2 = dup(a), a3 = dup3(a, 100, O_CLOEXEC);
    got += read_chk_parts(a);           /* the whole file, by thirds */
    got += read_vectors(a2, 0);         /* then the whole file at once */
    got += read_vectors(a3, 1);
    got += read_vectors(b, 2);
    got += read_chk_parts(c);
    if (memcmp(data, back, SIZE) != 0)
        return 1;
    printf("%zd %zd\n", wrote, got);
    return close(a) || close(a2) || close(a3) || close(b) || close(c);
}
