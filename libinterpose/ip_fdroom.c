/* ip_fdroom.c: how many fds the program has open, against its limit
 * (ip_fdroom.h). */
#include "ip_fdroom.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* Past this many fd numbers the count is not walked: a program with so
 * many open is not one whose limit a few fds of ours can reach. */
#define WALK_MAX 65536UL

/* Linux 6.2 and later give the number of open fds as the size of
 * /proc/self/fd; before that, each number below the limit is asked
 * (fcntl F_GETFD, no fd taken). */
static unsigned long open_count(unsigned long limit)
{
    struct stat st;
    unsigned long n = 0;

    if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
        return (unsigned long)st.st_size;
    for (unsigned long fd = 0; fd < limit && fd < WALK_MAX; fd++)
        if (fcntl((int)fd, F_GETFD) >= 0)
            n++;
    return n;
}

struct ip_fd_count ip_fd_count_now(void)
{
    struct rlimit rl;
    struct ip_fd_count c = { 0, (unsigned long)-1 };
    int saved = errno;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        c.limit = (unsigned long)rl.rlim_cur;
    c.open = open_count(c.limit);
    errno = saved;
    return c;
}

bool ip_fd_room(unsigned n)
{
    struct ip_fd_count c = ip_fd_count_now();

    return c.limit >= IP_FD_MARGIN + n && c.open <= c.limit - IP_FD_MARGIN - n;
}
