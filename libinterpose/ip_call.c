/* ip_call.c: the wrapper epilogues that change what an fd names. */
#include "ip_call.h"

#include <fcntl.h>

/* The thread's tally slot for c's record, taken over for it when what it
 * holds was all moved (ip_tally_claim), or NULL; non-NULL: the tallying
 * window is open, as ip_call_tally leaves it. */
static struct rep_io_counts *tally_claimed(const struct ip_call *c)
{
    struct ip_thread *t = ip_tls.thread;

    if (!t || ip_tls.tallying)
        return NULL;
    ip_tls.tallying = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    struct ip_tally *e = ip_tally_slot(t, c->ref);
    uint64_t key = ip_rec_key(c->ref);
    struct rep_io_counts *k = e->key == key ? &e->counts : ip_tally_claim(e, key);
    if (!k) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        ip_tls.tallying = false;
    }
    return k;
}

bool ip_call_count_slow(const struct ip_call *c, ip_counter_fn *fn, int64_t rc)
{
    struct rep_io_counts *k = tally_claimed(c);

    if (k) {
        fn(c, k, true, rc);
        ip_call_tally_done();
        return true;
    }
    if (!ip_rec_ref_valid(c->ref))
        return false;
    fn(c, &c->ref.file->live, false, rc);
    return true;
}

void ip_call_openat_end(const struct ip_call *c, const char *op, int fd, int dirfd,
                        const char *path)
{
    if (!c->observed)
        return;
    int saved = errno;
    if (fd < 0) {
        ip_add(&ip_files_orphan.err_open_close, 1);
        ip_call_duration(c, &ip_files_orphan, false);
        ip_event_error(REP_EV_FS_ERROR_OPEN_CLOSE, op, path);
    } else {
        struct ip_rec *f = ip_rec_file_opened(fd, dirfd, path ? path : "?", c->t0);
        if (f)
            ip_event_open(op, fd, f);
    }
    errno = saved;
}

IP_INLINE void close_counted(
    const struct ip_call *c, struct rep_io_counts *k, bool own, int64_t rc)
{
    if (rc < 0 && errno != EINTR)
        ip_count(&k->err_open_close, 1, own);
    ip_call_duration(c, k, own);
}

void ip_call_close_end(const struct ip_call *c, const char *op, int fd, int rc)
{
    if (!c->observed)
        return;
    int saved = errno;
    /* Without a tally of the file already, none is taken for it: the
     * record is about to be done with, and claiming a slot costs a look
     * at everything the slot holds (a server's open, read, close of a
     * file per request would pay it every time). */
    if (ip_tally_of(ip_tls.thread, c->ref))
        ip_call_count(c, close_counted, rc);
    else if (ip_rec_ref_valid(c->ref))
        close_counted(c, &c->ref.file->live, false, rc);
    /* the event outside the tally window (ip_call_count) */
    if (rc < 0 && saved != EINTR)
        ip_call_file_error(c, REP_EV_FS_ERROR_OPEN_CLOSE, op);
    /* Linux releases the fd even when close reports an error. */
    struct ip_rec *closed = ip_rec_fd_closed(fd, c->ref);
    if (closed)
        ip_event_close(op, fd, c->ref);
    errno = saved;
}

void ip_call_dup_end(const struct ip_call *c, int oldfd, int newfd)
{
    if (!c->observed || newfd < 0)
        return;
    int saved = errno;
    ip_rec_fd_dup(oldfd, newfd);
    errno = saved;
}

void ip_call_file_error(const struct ip_call *c, uint16_t kind, const char *op)
{
    int saved = errno;

    if (ip_rec_ref_valid(c->ref) && c->ref.file->kind == IP_KIND_FILE)
        ip_event_error(kind, op, ip_rec_path(c->ref.file));
    errno = saved;
}

void ip_call_open_end(const struct ip_call *c, const char *op, int fd, const char *path)
{
    ip_call_openat_end(c, op, fd, AT_FDCWD, path);
}

uint64_t ip_call_fast_missed(struct ip_tally *e, uint64_t key, int64_t rc,
                             enum ip_fast_dir dir, const char *func, uint64_t ret)
{
    /* what ip_call_begin would have made of the call: observed, on key's
     * record, with e its tally when it began, not timed */
    struct ip_call c = { .observed = true, .weight = 0, .ref = ip_rec_ref_of_key(key),
                         .tally = e, .t0 = 0 };

    if (dir == IP_FAST_READ)
        ip_call_read_end_in(&c, rc, func);
    else
        ip_call_write_end_in(&c, -1, NULL, rc, func);   /* no log file: no text */
    return ret;
}
