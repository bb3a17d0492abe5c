/* inj_userns.c: a target's user namespace against ours (see inj_userns.h). */
#include "inj_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than the kernel allows (32): a loop we do not follow further. */
#define USERNS_DEPTH 40

static bool same_ns(int fd, const struct stat *ours)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == ours->st_dev && st.st_ino == ours->st_ino;
}

/* Walk up from the target's namespace as cap_capable does: the one whose
 * parent is ours decides, by its owner. NS_GET_PARENT fails with EPERM
 * past the namespaces we can see, that is when the target's is not below
 * ours; failing otherwise, it leaves the uids to judge (UNKNOWN). */
enum inj_userns inj_userns_of(pid_t pid, uid_t *owner)
{
    char path[64];
    struct stat ours;
    enum inj_userns r = INJ_USERNS_OUTSIDE;
    int fd, parent;

    *owner = (uid_t)-1;
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    if (stat("/proc/self/ns/user", &ours) != 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return INJ_USERNS_UNKNOWN;
    if (same_ns(fd, &ours)) {
        close(fd);
        return INJ_USERNS_SAME;
    }
    for (int depth = 0; depth < USERNS_DEPTH; depth++) {
        if ((parent = ioctl(fd, NS_GET_PARENT)) < 0) {
            /* EPERM: past what we can see; anything else (an old kernel's
             * ENOTTY, a filter's refusal) says nothing of where it is */
            if (errno != EPERM)
                r = INJ_USERNS_UNKNOWN;
            break;
        }
        if (same_ns(parent, &ours)) {
            uid_t uid;
            if (ioctl(fd, NS_GET_OWNER_UID, &uid) == 0) {
                *owner = uid;
                r = uid == geteuid() ? INJ_USERNS_OWNED : INJ_USERNS_FOREIGN;
            } else
                r = INJ_USERNS_UNKNOWN;
            close(parent);
            break;
        }
        close(fd);
        fd = parent;
    }
    close(fd);
    return r;
}
