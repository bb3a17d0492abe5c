/* ip_call.c: the wrapper epilogues that change what an fd names. */
#include "ip_call.h"

void ip_call_open_end(const struct ip_call *c, const char *op, int fd,
                      const char *path)
{
    if (!c->observed)
        return;
    int saved = errno;
    if (fd < 0) {
        ip_add(&ip_files_orphan.err_open_close, 1);
        ip_call_duration(c, &ip_files_orphan);
        ip_event_error(REP_EV_FS_ERROR_OPEN_CLOSE, op, path);
    } else {
        struct ip_file *f = ip_file_opened(fd, path ? path : "?");
        if (f) {
            ip_call_duration(c, &f->live);
            ip_event_open(op, fd, f);
        }
    }
    errno = saved;
}

void ip_call_close_end(const struct ip_call *c, const char *op, int fd, int rc)
{
    if (!c->observed)
        return;
    int saved = errno;
    struct rep_fs_counts *k = ip_call_counts(c);
    if (k) {
        if (rc < 0 && saved != EINTR) {
            ip_add(&k->err_open_close, 1);
            if (c->ref.file->kind == IP_KIND_FILE)
                ip_event_error(REP_EV_FS_ERROR_OPEN_CLOSE, op, c->ref.file->path);
        }
        ip_call_duration(c, k);
    }
    /* Linux releases the fd even when close reports an error. */
    struct ip_file *closed = ip_file_fd_closed(fd, c->ref);
    if (closed)
        ip_event_close(op, fd, closed);
    errno = saved;
}

void ip_call_dup_end(const struct ip_call *c, int oldfd, int newfd)
{
    if (!c->observed || newfd < 0)
        return;
    int saved = errno;
    ip_file_fd_dup(oldfd, newfd);
    errno = saved;
}

void ip_call_rw_error(const struct ip_call *c, const char *op)
{
    if (ip_file_ref_valid(c->ref) && c->ref.file->kind == IP_KIND_FILE)
        ip_event_error(REP_EV_FS_ERROR_READ_WRITE, op, c->ref.file->path);
}
