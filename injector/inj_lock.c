/* inj_lock.c: the per-process lock of attach and detach (see inj_lock.h). */
#include "inj_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

int inj_target_lock(pid_t pid)
{
    struct timespec pause = { 0, 20 * 1000 * 1000 };
    char path[64];
    int fd, said = 0;

    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    for (int i = 0; i < INJ_LOCK_WAIT_S * 50; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK)
            break;
        if (!said++)
            fprintf(stderr, "scope: another scope is attaching or detaching %d; waiting\n",
                    (int)pid);
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "scope: %d: another scope kept attaching or detaching it for %d s; "
            "try again\n", (int)pid, INJ_LOCK_WAIT_S);
    close(fd);
    return -2;
}

void inj_target_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
