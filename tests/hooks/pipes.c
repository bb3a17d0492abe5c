/* pipes.c: 3000 bytes put into the FIFO DIR/a with vmsplice, copied to
 * the FIFO DIR/b with tee, then DIR/a read with read and DIR/b drained
 * into DIR/out with splice. FIFOs, not pipe(): an fd opened by name has a
 * record to count against. Usage: pipes DIR. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SIZE 3000

static char block[SIZE], back[SIZE];

/* O_RDWR: a FIFO opened so does not wait for the other end */
static int fifo(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mkfifo(path, 0600) == 0 ? open(path, O_RDWR) : -1;
}

int main(int argc, char **argv)
{
    char out_path[PATH_MAX];
    struct iovec iov = { block, SIZE };

    if (argc != 2)
        return 2;
    snprintf(out_path, sizeof out_path, "%s/out", argv[1]);
    int a = fifo(argv[1], "a"), b = fifo(argv[1], "b");
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (a < 0 || b < 0 || out < 0)
        return 2;
    if (vmsplice(a, &iov, 1, 0) != SIZE || tee(a, b, SIZE, 0) != SIZE ||
        read(a, back, SIZE) != SIZE || splice(b, NULL, out, NULL, SIZE, 0) != SIZE)
        return 1;
    return close(out) || close(a) || close(b);
}
