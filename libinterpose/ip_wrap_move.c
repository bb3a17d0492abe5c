/* ip_wrap_move.c: wrappers of the calls that move bytes from one fd to
 * another inside the kernel, which no read or write wrapper sees.
 *
 * copy_file_range and splice consume what they move from in_fd: a read of
 * it and a write of out_fd, as sendfile (ip_wrap_net.c). tee copies from
 * one pipe to another without consuming: only the write is counted, the
 * read when the bytes are taken from in_fd later. vmsplice hands the
 * program's memory to a pipe: a write of it. Return values and errno are
 * the real function's, untouched.
 */
#include "ip_call.h"
#include "ip_hooks.h"

#include <fcntl.h>

#define WRAP_MOVE(name)                                                        \
    ssize_t ip_wrap_##name(int in_fd, off64_t *off_in, int out_fd, off64_t *off_out, \
                           size_t len, unsigned int flags)                     \
    {                                                                          \
        struct ip_call out, in;                                                \
        ip_call_begin(&out, out_fd);                                           \
        ip_call_begin(&in, in_fd);                                             \
        ssize_t rc = ip_real_##name(in_fd, off_in, out_fd, off_out, len, flags); \
        ip_call_read_end(&in, rc);                                             \
        ip_call_write_end(&out, out_fd, NULL, rc);                             \
        return rc;                                                             \
    }

WRAP_MOVE(copy_file_range)
WRAP_MOVE(splice)

ssize_t ip_wrap_tee(int in_fd, int out_fd, size_t len, unsigned int flags)
{
    struct ip_call out;
    ip_call_begin(&out, out_fd);
    ssize_t rc = ip_real_tee(in_fd, out_fd, len, flags);
    ip_call_write_end(&out, out_fd, NULL, rc);
    return rc;
}

ssize_t ip_wrap_vmsplice(int fd, const struct iovec *iov, size_t count, unsigned int flags)
{
    struct ip_call c;
    ip_call_begin(&c, fd);
    ssize_t rc = ip_real_vmsplice(fd, iov, count, flags);
    ip_call_write_end(&c, fd, NULL, rc);
    return rc;
}
