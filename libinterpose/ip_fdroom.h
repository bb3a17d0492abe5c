/* ip_fdroom.h: the library takes a descriptor in the program's table only
 * while the program keeps IP_FD_MARGIN of them free below its
 * RLIMIT_NOFILE soft limit: an fd we hold is one the program may need. */
#ifndef IP_FDROOM_H
#define IP_FDROOM_H

#include <stdbool.h>

#define IP_FD_MARGIN 16

/* Could we take n more fds and still leave the margin? Asks the kernel
 * (getrlimit, and the count of open fds), taking no fd to find out. */
bool ip_fd_room(unsigned n);

/* What ip_fd_room last saw, for the message that says why we backed off. */
struct ip_fd_count {
    unsigned long open;
    unsigned long limit;
};
struct ip_fd_count ip_fd_count_now(void);

#endif
