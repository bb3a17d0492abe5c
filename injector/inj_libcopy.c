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

/* Copy src to dst (a new file, 0644): 0, or -1 with the reason printed. */
static int file_copy(const char *src, const char *dst)
{
    char buf[65536];
    ssize_t n = 0;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            n = -1;
    if (out >= 0 && (fchmod(out, 0644) != 0 || close(out) != 0))
        n = -1;
    if (in >= 0)
        close(in);
    if (in < 0 || out < 0 || n < 0) {
        fprintf(stderr, "scope: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
        unlink(dst);
        return -1;
    }
    return 0;
}

/* Named by size and time so that a rebuilt library is a new file and a
 * loaded one is never replaced. */
int inj_library_for(const struct inj_process *t, const char *lib, char *out, size_t cap)
{
    char parent[PATH_MAX], dir[PATH_MAX + 8], tmp[PATH_MAX + 192];
    struct stat st;

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
    snprintf(out, cap, "%s/libscope.so.%lld.%lld", dir, (long long)st.st_size,
             (long long)st.st_mtime);
    if (access(out, R_OK) == 0)
        return 0;
    snprintf(tmp, sizeof tmp, "%s.%d", out, (int)getpid());
    if (file_copy(lib, tmp) < 0)
        return -1;
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "scope: cannot create %s: %s\n", out, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
