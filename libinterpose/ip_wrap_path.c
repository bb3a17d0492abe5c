/* ip_wrap_path.c: wrappers of the calls that name a file by path (or ask
 * about an fd) without reading or writing it: the stat family and access
 * (fs.stat), unlink (fs.delete events), rename. */
#include "ip_call.h"
#include "ip_hooks.h"

#include <sys/stat.h>

#define WRAP_STAT_PATH(name, buf_type)                                   \
    int ip_wrap_##name(const char *path, buf_type *buf)                  \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, -1);                                           \
        int rc = ip_real_##name(path, buf);                              \
        ip_call_stat_end(&c, rc, path);                                  \
        return rc;                                                       \
    }

#define WRAP_STAT_FD(name, buf_type)                                     \
    int ip_wrap_##name(int fd, buf_type *buf)                            \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin_untimed(&c, fd);                                   \
        int rc = ip_real_##name(fd, buf);                                \
        ip_call_stat_end(&c, rc, NULL);                                  \
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
        ip_call_stat_end(&c, rc, path);                                  \
        return rc;                                                       \
    }

WRAP_STAT_AT(fstatat, struct stat)
WRAP_STAT_AT(fstatat64, struct stat64)

/* glibc before 2.33 compiled stat() into a call of __xstat(version, ...):
 * binaries built then still call these, which glibc keeps for them. */
#define WRAP_XSTAT_PATH(name, buf_type)                                  \
    int ip_wrap_##name(int ver, const char *path, buf_type *buf)         \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, -1);                                           \
        int rc = ip_real_##name(ver, path, buf);                         \
        ip_call_stat_end(&c, rc, path);                                  \
        return rc;                                                       \
    }

#define WRAP_XSTAT_FD(name, buf_type)                                    \
    int ip_wrap_##name(int ver, int fd, buf_type *buf)                   \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin_untimed(&c, fd);                                   \
        int rc = ip_real_##name(ver, fd, buf);                           \
        ip_call_stat_end(&c, rc, NULL);                                  \
        return rc;                                                       \
    }

#define WRAP_XSTAT_AT(name, buf_type)                                    \
    int ip_wrap_##name(int ver, int dirfd, const char *path,             \
                       buf_type *buf, int flags)                         \
    {                                                                    \
        struct ip_call c;                                                \
        ip_call_begin(&c, -1);                                           \
        int rc = ip_real_##name(ver, dirfd, path, buf, flags);           \
        ip_call_stat_end(&c, rc, path);                                  \
        return rc;                                                       \
    }

WRAP_XSTAT_PATH(__xstat, struct stat)
WRAP_XSTAT_PATH(__xstat64, struct stat64)
WRAP_XSTAT_PATH(__lxstat, struct stat)
WRAP_XSTAT_PATH(__lxstat64, struct stat64)
WRAP_XSTAT_FD(__fxstat, struct stat)
WRAP_XSTAT_FD(__fxstat64, struct stat64)
WRAP_XSTAT_AT(__fxstatat, struct stat)
WRAP_XSTAT_AT(__fxstatat64, struct stat64)

int ip_wrap_statx(int dirfd, const char *path, int flags, unsigned int mask,
                  struct statx *buf)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_statx(dirfd, path, flags, mask, buf);
    ip_call_stat_end(&c, rc, path);
    return rc;
}

int ip_wrap_access(const char *path, int mode)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_access(path, mode);
    ip_call_stat_end(&c, rc, path);
    return rc;
}

int ip_wrap_faccessat(int dirfd, const char *path, int mode, int flags)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_faccessat(dirfd, path, mode, flags);
    ip_call_stat_end(&c, rc, path);
    return rc;
}

/* A failed unlink or rename: an fs.error of class open_close (it changes
 * which files exist, as open and close do). */
static void namespace_error(const char *op, const char *path)
{
    ip_add(&ip_files_orphan.err_open_close, 1);
    ip_event_error(REP_EV_FS_ERROR_OPEN_CLOSE, op, path);
}

/* A file removed: an fs.delete event (a success is not counted: AppScope
 * has no such metric). */
static void deleted(const struct ip_call *c, const char *op, const char *path, int rc)
{
    if (!c->observed)
        return;
    int saved = errno;
    if (rc == 0)
        ip_event_delete(op, path);
    else
        namespace_error(op, path);
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

/* rename: AppScope reports neither a metric nor an event for a success;
 * a failure is an fs.error, with the name the program tried to move. */
static void renamed(const struct ip_call *c, const char *op, const char *old, int rc)
{
    if (!c->observed || rc == 0)
        return;
    int saved = errno;
    namespace_error(op, old);
    errno = saved;
}

int ip_wrap_rename(const char *old, const char *new)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_rename(old, new);
    renamed(&c, "rename", old, rc);
    return rc;
}

int ip_wrap_renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_renameat(olddirfd, old, newdirfd, new);
    renamed(&c, "renameat", old, rc);
    return rc;
}

int ip_wrap_renameat2(int olddirfd, const char *old, int newdirfd, const char *new,
                      unsigned int flags)
{
    struct ip_call c;
    ip_call_begin(&c, -1);
    int rc = ip_real_renameat2(olddirfd, old, newdirfd, new, flags);
    renamed(&c, "renameat2", old, rc);
    return rc;
}

/* The working directory relative names are resolved against. */
int ip_wrap_chdir(const char *path)
{
    int rc = ip_real_chdir(path);
    if (rc == 0 && ip_observing())
        ip_cwd_note();
    return rc;
}

int ip_wrap_fchdir(int fd)
{
    int rc = ip_real_fchdir(fd);
    if (rc == 0 && ip_observing())
        ip_cwd_note();
    return rc;
}
