/* ip_hostpid.c: the host's pid of a process in a container (see
 * ip_hostpid.h). */
#include "ip_hostpid.h"
#include "rep_fd.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* linux/nsfs.h of Linux 6.11; older headers lack it. */
#ifndef NS_GET_TGID_IN_PIDNS
#define NS_GET_TGID_IN_PIDNS _IOR(0xb7, 0x9, int)
#endif

static int ns_fd = -1;
static dev_t ns_dev;
static ino_t ns_ino;
static int *published;

/* Is ns_fd still the namespace we took (the program may have closed the
 * number behind the wrappers and reused it)? An ioctl on another file
 * could mean anything to its driver. */
static bool still_ours(void)
{
    struct stat st;

    return ns_fd >= 0 && fstat(ns_fd, &st) == 0 && st.st_dev == ns_dev && st.st_ino == ns_ino;
}

void ip_hostpid_take(const struct rep_config *cfg, int *slot)
{
    struct stat st;
    int fd;

    ip_hostpid_drop();
    published = slot;
    if (!cfg->host_pidns_given || (fd = rep_fd_copy_high(cfg->host_pidns_fd)) < 0)
        return;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return;
    }
    ns_fd = fd;
    ns_dev = st.st_dev;
    ns_ino = st.st_ino;
    __atomic_store_n(published, ns_fd, __ATOMIC_RELEASE);
}

int ip_hostpid_self(void)
{
    int pid = still_ours() ? ioctl(ns_fd, NS_GET_TGID_IN_PIDNS, (int)getpid()) : -1;

    return pid > 0 ? pid : 0;
}

void ip_hostpid_drop(void)
{
    if (published)
        __atomic_store_n(published, -1, __ATOMIC_RELEASE);
    if (still_ours())
        close(ns_fd);
    ns_fd = -1;
}
