/* rep_fd.h: descriptor helpers for scope's own descriptors: the reporter's
 * destinations, the library's log, and the close wrappers that keep the
 * program's closes off them.
 */
#ifndef REP_FD_H
#define REP_FD_H

#include <stddef.h>
#include <sys/types.h>

/* fd moved (close-on-exec) near the top of the descriptor table the
 * process already has, so that the program's open() still returns the
 * lowest numbers; fd itself when that fails. Closes fd when moved. */
int rep_fd_move_high(int fd);

/* A close-on-exec copy of fd (which stays the caller's), high as
 * rep_fd_move_high puts it, in one call; -1 with errno. */
int rep_fd_copy_high(int fd);

/* close_range(first, last, flags) done with close_fn, but for the n
 * descriptors in keep (-1: none; any order): the range is cut into the
 * pieces that do not hold them. 0, or the first failure's -1. */
typedef int rep_close_range_fn(unsigned int first, unsigned int last, int flags);
int rep_close_range_sparing(unsigned int first, unsigned int last, int flags, const int *keep,
                            size_t n, rep_close_range_fn *close_fn);

/* write(2) that raises no signal in the program. Two signals a write to a
 * file can raise kill the program where their default action holds:
 * SIGPIPE (a FIFO or pipe whose reader left) and SIGXFSZ (our file grown
 * past the process's RLIMIT_FSIZE). The reporter thread blocks all
 * signals, but inline cycles (no reporter thread: rep_thread.c) and the
 * library's log also write from the program's threads. Both are blocked
 * around the write and taken back if the write raised them; the write then
 * fails with EPIPE or EFBIG. */
ssize_t rep_write_quiet(int fd, const void *buf, size_t len);

#endif
