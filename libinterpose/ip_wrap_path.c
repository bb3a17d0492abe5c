/* ip_wrap_path.c: wrappers of the calls that name a file by path (or ask
 * about an fd) without reading or writing it: the stat family and access
 * (fs.stat), unlink (fs.delete events). */
#include "ip_call.h"
#include "ip_hooks.h"

#include <sys/stat.h>

#define WRAP_STAT_PATH(name, buf_type)                                   \
    int ip_wrap_##name(const char *path, buf_type *buf)                  \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, -1);                                           \
        int rc = ip_real_##name(path, buf);                              \
        ip_call_stat_end(&c, rc);                                        \
        return rc;                                                       \
    }

#define WRAP_STAT_FD(name, buf_type)                                     \
    int ip_wrap_##name(int fd, buf_type *buf)                            \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, fd);                                           \
        int rc = ip_real_##name(fd, buf);                                \
        ip_call_stat_end(&c, rc);                                        \
        return rc;                                                       \
    }

WRAP_STAT_PATH(stat, struct stat)
WRAP_STAT_PATH(lstat, struct stat)
WRAP_STAT_PATH(stat64, struct stat64)
WRAP_STAT_PATH(lstat64, struct stat64)
WRAP_STAT_FD(fstat, struct stat)
WRAP_STAT_FD(fstat64, struct stat64)

#define WRAP_STAT_AT(name, buf_type)                                     \
    int ip_wrap_##name(int dirfd, const char *path, buf_type *buf, int flags) \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, -1);                                           \
        int rc = ip_real_##name(dirfd, path, buf, flags);                \
        ip_call_stat_end(&c, rc);                                        \
        return rc;                                                       \
    }

WRAP_STAT_AT(fstatat, struct stat)
WRAP_STAT_AT(fstatat64, struct stat64)

int ip_wrap_statx(int dirfd, const char *path, int flags, unsigned int mask,
                  struct statx *buf)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_statx(dirfd, path, flags, mask, buf);
    ip_call_stat_end(&c, rc);
    return rc;
}

int ip_wrap_access(const char *path, int mode)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_access(path, mode);
    ip_call_stat_end(&c, rc);
    return rc;
}

int ip_wrap_faccessat(int dirfd, const char *path, int mode, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_faccessat(dirfd, path, mode, flags);
    ip_call_stat_end(&c, rc);
    return rc;
}

/* A file removed: an fs.delete event (nothing is counted: AppScope has no
 * such metric). */
static void deleted(const struct ip_call *c, const char *op, const char *path, int rc)
{
    if (!c->observed || rc != 0)
        return;
    int saved = errno;
    ip_event_delete(op, path);
    errno = saved;
}

int ip_wrap_unlink(const char *path)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_unlink(path);
    deleted(&c, "unlink", path, rc);
    return rc;
}

int ip_wrap_unlinkat(int dirfd, const char *path, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_unlinkat(dirfd, path, flags);
    deleted(&c, "unlinkat", path, rc);
    return rc;
}
