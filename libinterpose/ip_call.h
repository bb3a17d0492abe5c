/* ip_call.h: what every wrapper does around the real call.
 *
 *     struct ip_call c;
 *     ip_call_begin(&c, fd);           // which file, and when
 *     rc = ip_real_xxx(...);
 *     ip_call_read_end(&c, rc);        // count it; errno is preserved
 *
 * Inline because this is the hot path: a few loads, two vDSO clock reads,
 * a handful of relaxed atomic adds. No locks, no allocation, no syscalls.
 * The epilogues are macros that pass the wrapper's __func__, which names
 * the failed call in an error event (ip_op_of).
 */
#ifndef IP_CALL_H
#define IP_CALL_H

#include <errno.h>
#include <string.h>
#include "ip.h"

struct ip_call {
    bool observed;
    struct ip_file_ref ref;
    uint64_t t0;                    /* ip_ticks() */
};

/* A call on fd (-1 for the open family, which always times itself). The
 * clock is read only for a call on a file: an fd we know nothing of (a
 * pipe, the console) costs no time stamp, and a socket's duration is its
 * lifetime, not its calls'. */
static inline void ip_call_begin(struct ip_call *c, int fd)
{
    c->observed = ip_observing();
    c->t0 = 0;
    if (!c->observed)
        return;
    if (__builtin_expect(ip_tls.thread == NULL, 0))
        ip_thread_self();           /* once per thread: queue, alternate stack */
    c->ref = fd >= 0 ? ip_file_of_fd(fd) : (struct ip_file_ref){ NULL, 0 };
    c->t0 = fd < 0 || (c->ref.file && c->ref.file->kind == IP_KIND_FILE) ? ip_ticks() : 0;
}

static inline void ip_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* The counters this call adds to: its file's, or none (fds we do not know:
 * pipes, sockets, console). */
static inline struct rep_fs_counts *ip_call_counts(const struct ip_call *c)
{
    return ip_file_ref_valid(c->ref) ? &c->ref.file->live : NULL;
}

static inline void ip_call_duration(const struct ip_call *c, struct rep_fs_counts *k)
{
    if (!c->t0)
        return;                     /* not timed: a socket */
    ip_add(&k->duration_ops, 1);
    ip_add(&k->duration_ns, ip_ticks() - c->t0);
}

/* Console: stdout/stderr as the program inherited them. Once the program
 * puts a file of its own there (dd's dup2 onto fd 1), it is that file. */
static inline bool ip_call_is_console(const struct ip_call *c, int fd)
{
    return (fd == 1 || fd == 2) && !c->ref.file;
}

/* The hooked function a wrapper stands for, for an error event: the
 * wrapper's own name without "ip_wrap_" (the epilogues below are macros
 * that pass __func__); a helper shared by several wrappers says
 * `fallback`. Only on the error path. */
static inline const char *ip_op_of(const char *func, const char *fallback)
{
    return strncmp(func, "ip_wrap_", 8) == 0 ? func + 8 : fallback;
}

/* A call failed: an fs.error event (class by kind) for a file, or a
 * net.error event for a connection; path may be NULL. Counting is the
 * caller's. */
void ip_event_error(uint16_t kind, const char *op, const char *path);
/* A read, write or seek on c's record failed: fs.error for a file (sockets'
 * rx/tx errors are only counted: AppScope's net.error events are about
 * connections). */
void ip_call_rw_error(const struct ip_call *c, const char *op);

void ip_event_console(int fd, const char *text, size_t len);
/* Text written to a file that may be a log file (see ip_logfile). */
void ip_event_file(const struct ip_call *c, int fd, const char *text, size_t len);

/* Would text written through c become a `file` event? Not once the
 * reporter has said the file is no log file. */
static inline bool ip_call_may_log(const struct ip_call *c)
{
    return ip_proc.events && ip_proc.cfg.ev_file && c->ref.file->kind == IP_KIND_FILE &&
           __atomic_load_n(&c->ref.file->logfile, __ATOMIC_RELAXED) != IP_LOG_NO;
}
void ip_event_open(const char *op, int fd, const struct ip_file *f);
void ip_event_close(const char *op, int fd, const struct ip_file *f);
void ip_event_dns(uint16_t kind, const char *name, const char *addrs, size_t addrs_len,
                  uint64_t duration_ns);

#define ip_call_read_end(c, rc) ip_call_read_end_in(c, rc, __func__)
static inline void ip_call_read_end_in(const struct ip_call *c, ssize_t rc,
                                       const char *func)
{
    if (!c->observed)
        return;
    int saved = errno;
    struct rep_fs_counts *k = ip_call_counts(c);
    if (k) {
        if (rc >= 0) {
            ip_add(&k->read_ops, 1);
            ip_add(&k->read_bytes, (uint64_t)rc);
        } else if (saved != EAGAIN && saved != EINTR) {
            ip_add(&k->err_read_write, 1);
            ip_call_rw_error(c, ip_op_of(func, "read"));
        }
        ip_call_duration(c, k);
    }
    errno = saved;
}

/* `text` is what was written (for console and log file events; NULL when
 * the caller reports it itself), `rc` bytes of it. */
#define ip_call_write_end(c, fd, text, rc) ip_call_write_end_in(c, fd, text, rc, __func__)
static inline void ip_call_write_end_in(const struct ip_call *c, int fd,
                                        const void *text, ssize_t rc,
                                        const char *func)
{
    if (!c->observed)
        return;
    int saved = errno;
    struct rep_fs_counts *k = ip_call_counts(c);
    if (k) {
        if (rc >= 0) {
            ip_add(&k->write_ops, 1);
            ip_add(&k->write_bytes, (uint64_t)rc);
        } else if (saved != EAGAIN && saved != EINTR) {
            ip_add(&k->err_read_write, 1);
            ip_call_rw_error(c, ip_op_of(func, "write"));
        }
        ip_call_duration(c, k);
        if (rc > 0 && text && ip_call_may_log(c))
            ip_event_file(c, fd, text, (size_t)rc);
    } else if (rc > 0 && text && ip_call_is_console(c, fd)) {
        ip_event_console(fd, text, (size_t)rc);
    }
    errno = saved;
}

#define ip_call_seek_end(c, rc) ip_call_seek_end_in(c, rc, __func__)
static inline void ip_call_seek_end_in(const struct ip_call *c, off_t rc,
                                       const char *func)
{
    if (!c->observed)
        return;
    int saved = errno;
    struct rep_fs_counts *k = ip_call_counts(c);
    if (k) {
        if (rc >= 0) {
            ip_add(&k->seek_ops, 1);
        } else {
            ip_add(&k->err_read_write, 1);
            ip_call_rw_error(c, ip_op_of(func, "lseek"));
        }
        ip_call_duration(c, k);
    }
    errno = saved;
}

/* stat family and access: rc 0 is success. Counted against the file when
 * the call names an fd we know, else process-wide. path: what the call
 * named (NULL for the fd forms), for the fs.error event. */
#define ip_call_stat_end(c, rc, path) ip_call_stat_end_in(c, rc, path, __func__)
static inline void ip_call_stat_end_in(const struct ip_call *c, int rc,
                                       const char *path, const char *func)
{
    if (!c->observed)
        return;
    int saved = errno;
    struct rep_fs_counts *k = ip_call_counts(c);
    if (!k)
        k = &ip_files_orphan;
    if (rc == 0) {
        ip_add(&k->stat_ops, 1);
    } else {
        ip_add(&k->err_stat, 1);
        if (!path && ip_file_ref_valid(c->ref))
            path = c->ref.file->path;
        ip_event_error(REP_EV_FS_ERROR_STAT, ip_op_of(func, "stat"), path);
    }
    errno = saved;
}

void ip_event_delete(const char *op, const char *path);

/* open family: fd is the result; path as the program gave it. */
void ip_call_open_end(const struct ip_call *c, const char *op, int fd,
                      const char *path);
/* close family: rc is the result of the real close. */
void ip_call_close_end(const struct ip_call *c, const char *op, int fd, int rc);
/* dup family: newfd now names what oldfd named. */
void ip_call_dup_end(const struct ip_call *c, int oldfd, int newfd);

#endif
