/* inj_libcopy.c: the library file another user's process loads (see
 * inj_libcopy.h). */
#include "inj_libcopy.h"

#include "inj_session.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copy src to dir's (dirfd) new file name, 0644: 0, or -1 printed. */
static int file_copy(const char *src, int dirfd, const char *dir, const char *name)
{
    char buf[65536];
    ssize_t n = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                   O_CLOEXEC, 0644);

    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            n = -1;
    if (out >= 0 && (fchmod(out, 0644) != 0 || close(out) != 0))
        n = -1;
    if (in >= 0)
        close(in);
    if (in < 0 || out < 0 || n < 0) {
        fprintf(stderr, "scope: cannot copy %s to %s/%s: %s\n", src, dir, name, strerror(errno));
        unlinkat(dirfd, name, 0);
        return -1;
    }
    return 0;
}

/* Named by size and time so that a rebuilt library is a new file and a
 * loaded one is never replaced. The copy is made and renamed inside the
 * lib directory as verified (root's, writable by root only). */
int inj_library_for(const struct inj_process *t, const char *lib, char *out, size_t cap)
{
    char parent[PATH_MAX], dir[PATH_MAX + 8], name[96], tmp[128];
    struct stat st;
    int dfd, rc = -1;

    /* Not root: the process is ours, or tracing it will be refused. */
    if (t->uid[1] == geteuid() || geteuid() != 0) {
        snprintf(out, cap, "%s", lib);
        return 0;
    }
    if (stat(lib, &st) != 0 || inj_shared_parent(parent, sizeof parent) < 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/lib", parent);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "scope: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if ((dfd = inj_dir_open_verified(dir)) < 0)
        return -1;
    snprintf(name, sizeof name, "libscope.so.%lld.%lld", (long long)st.st_size,
             (long long)st.st_mtime);
    snprintf(out, cap, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.%d", name, (int)getpid());
    if (faccessat(dfd, name, R_OK, AT_SYMLINK_NOFOLLOW) == 0)
        rc = 0;
    else if (file_copy(lib, dfd, dir, tmp) == 0) {
        rc = renameat(dfd, tmp, dfd, name);
        if (rc != 0) {
            fprintf(stderr, "scope: cannot create %s: %s\n", out, strerror(errno));
            unlinkat(dfd, tmp, 0);
        }
    }
    close(dfd);
    return rc;
}
