/* aiocopy.c: copies a file with POSIX AIO: aio_read of the first block,
 * the rest with lio_listio (LIO_WAIT), all written with aio_write, each
 * request's result taken with aio_return. Usage: aiocopy IN OUT. */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 65536
#define LIST 4

static char bufs[LIST][BLOCK];

static ssize_t finish(struct aiocb *cb)
{
    const struct aiocb *one[1] = { cb };
    while (aio_error(cb) == EINPROGRESS)
        aio_suspend(one, 1, NULL);
    return aio_return(cb);
}

static int write_all(int fd, char *buf, ssize_t n, off_t at)
{
    struct aiocb cb = { .aio_fildes = fd, .aio_buf = buf, .aio_nbytes = (size_t)n,
                        .aio_offset = at };
    return aio_write(&cb) == 0 && finish(&cb) == n ? 0 : -1;
}

int main(int argc, char **argv)
{
    int in = argc == 3 ? open(argv[1], O_RDONLY) : -1;
    int out = argc == 3 ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    struct aiocb cbs[LIST];
    off_t at = 0;

    if (in < 0 || out < 0)
        return 2;
    memset(cbs, 0, sizeof cbs);
    cbs[0] = (struct aiocb){ .aio_fildes = in, .aio_buf = bufs[0], .aio_nbytes = BLOCK };
    if (aio_read(&cbs[0]) != 0)
        return 1;
    ssize_t n = finish(&cbs[0]);
    if (n < 0 || write_all(out, bufs[0], n, 0) != 0)
        return 1;
    for (at = n; n > 0;) {
        struct aiocb *list[LIST];
        for (int i = 0; i < LIST; i++) {
            cbs[i] = (struct aiocb){ .aio_fildes = in, .aio_buf = bufs[i], .aio_nbytes = BLOCK,
                                     .aio_offset = at + (off_t)i * BLOCK,
                                     .aio_lio_opcode = LIO_READ };
            list[i] = &cbs[i];
        }
        if (lio_listio(LIO_WAIT, list, LIST, NULL) != 0 && errno != EIO)
            return 1;
        for (int i = 0; i < LIST; i++) {
            ssize_t got = aio_return(&cbs[i]);
            if (got > 0 && write_all(out, bufs[i], got, at + (off_t)i * BLOCK) != 0)
                return 1;
            if (got < BLOCK)
                n = 0;
        }
        at += (off_t)LIST * BLOCK;
    }
    return close(in) != 0 || close(out) != 0;
}
