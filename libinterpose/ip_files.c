/* ip_files.c: what each file descriptor names, and its counters.
 *
 * A record per open file description (dup'ed fds share it), claimed from a
 * pool with a CAS when a wrapper sees a new fd, and an fd -> record map.
 * Wrappers add to their thread's tally of the record (ip_tally.c), which
 * the reporter moves into `live` each drain (a wrapper adds to `live`
 * itself, atomically, when its thread has no tally free); the reporter
 * folds the difference to `reported` into the period's metrics. A closed record goes on a
 * lock-free list that the reporter takes every drain (10 ms): it folds the
 * record's last counts and frees it one drain later, so that a thread still
 * inside a read() on the closed fd adds to the right place (generation
 * checks catch the rest: a tally of a freed record is dropped). Records come back within milliseconds, whatever
 * the report period: a server opening a file per request never runs out.
 */
#include "ip.h"
#include "ip_call.h"
#include "ip_rec_pool.h"
#include "ip_sock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct ip_rec *reaped_list;         /* reporter only: free next drain */
uint64_t *ip_fd_map;
struct rep_io_counts ip_files_orphan;
uint64_t ip_files_unrecorded;
static struct rep_io_counts orphan_reported;   /* reporter only */

int ip_files_init(void)
{
    if (ip_fd_map)
        return 0;
    ip_fd_map = ip_pages_map(IP_FDS_MAX * sizeof *ip_fd_map);
    return ip_fd_map && ip_rec_pool_init() == 0 ? 0 : -1;
}

static bool fd_tracked(int fd)
{
    return fd >= 0 && fd < IP_FDS_MAX;
}

/* f's key while in use: its generation changes only once it is freed. */
static uint64_t key_of(struct ip_rec *f)
{
    struct ip_rec_ref ref = { f, __atomic_load_n(&f->gen, __ATOMIC_ACQUIRE), ip_rec_slot(f) };
    return ip_rec_key(ref);
}

/* A file's name as sent (reporter thread): its path, marked when it was
 * cut (and counted then, ip_path_cut_count). */
const char *ip_rec_name(const struct ip_rec *f, struct ip_rec_name *n)
{
    if (!f->path_cut)
        return ip_rec_path(f);
    snprintf(n->buf, sizeof n->buf, "%s" IP_PATH_CUT_MARK, ip_rec_path(f));
    return n->buf;
}

/* The record at index (0-based) if it is still in use gen, else NULL. A
 * record is freed only by the reaper, one drain after its close, on this
 * same thread: while the generation matches, its path is the one the
 * event is about. */
static struct ip_rec *rec_current(uint32_t index, uint32_t gen)
{
    struct ip_rec *f = index < IP_RECS_MAX ? &ip_rec_pool[index] : NULL;

    return f && __atomic_load_n(&f->gen, __ATOMIC_ACQUIRE) == gen ? f : NULL;
}

void ip_files_file_event(struct rep *r, const struct rep_event *ev)
{
    struct ip_rec *f = rec_current(ev->h.file_index, ev->h.file_gen);
    struct ip_rec_name name;

    if (!f) {
        rep_drops_add(r, 1);
        return;
    }
    uint32_t is_log = __atomic_load_n(&f->logfile, __ATOMIC_RELAXED);
    if (is_log == IP_LOG_MAYBE) {
        is_log = rep_file_is_log(r, ip_rec_name(f, &name)) ? IP_LOG_YES : IP_LOG_NO;
        __atomic_store_n(&f->logfile, is_log, __ATOMIC_RELAXED);
    }
    if (is_log == IP_LOG_YES)
        rep_file_event_put(r, ip_rec_name(f, &name), ev);
}

void ip_files_event_put(struct rep *r, const struct rep_event *ev)
{
    struct ip_rec *f = ev->h.text_cut && ev->h.rec_slot
                           ? rec_current(ev->h.rec_slot - 1, ev->h.rec_gen) : NULL;
    struct ip_rec_name name;

    rep_event_put(r, ev, f ? ip_rec_name(f, &name) : NULL);
}

/* Drop one fd's reference to a record; the last one closes it. A socket's
 * duration is its lifetime, added once, here. */
static struct ip_rec *record_release(struct ip_rec *f)
{
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return NULL;
    if (f->kind == IP_KIND_SOCKET) {
        __atomic_add_fetch(&f->live.duration_ops, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&f->live.duration_ns, ip_ticks() - f->open_ticks, __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&f->live.closes, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&f->state, IP_REC_CLOSED, __ATOMIC_RELEASE);
    ip_rec_closed_push(f);
    return f;
}

/* Point fd at a record (key 0: nothing), handing the map the caller's
 * reference to it. The map's reference to what fd named before is given
 * back; when that was its last fd, it was closed by the kernel as part of
 * another call (an open given the number of another thread's close, whose
 * own update lost the race; dup2 onto an open fd; close_range; a close
 * behind our back) and gets its close event. The same key again (two
 * dup2s racing onto one fd) gives back the one reference too many. */
static void fd_map_replace(int fd, uint64_t key)
{
    uint64_t old = __atomic_exchange_n(&ip_fd_map[fd], key, __ATOMIC_ACQ_REL);

    if (!ip_rec_key_names_rec(old))
        return;
    struct ip_rec_ref gone = ip_rec_ref_of_key(old);
    if (record_release(gone.file))
        ip_event_close("close", fd, gone);      /* AppScope's ops: no dup2 */
}

/* f, filled in, is what fd names now: from now on the reporter may fold it. */
static void fd_map_publish(int fd, struct ip_rec *f)
{
    __atomic_store_n(&f->state, IP_REC_OPEN, __ATOMIC_RELEASE);
    fd_map_replace(fd, key_of(f));
}

/* A fresh record for fd, not yet published; NULL when the pool is out
 * (counted against `orphan`). Its counters are zero (record_zero). */
static struct ip_rec *record_start(int fd, struct rep_io_counts *orphan)
{
    if (!fd_tracked(fd))
        return NULL;
    struct ip_rec *f = ip_rec_claim();
    if (!f) {
        fd_map_replace(fd, 0);
        __atomic_add_fetch(&orphan->opens, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    /* The record is ours alone until it is published in ip_fd_map. */
    f->live.opens = 1;
    f->refs = 1;
    return f;
}

/* Plain stores: the record is CLAIMED, ours alone. */
static void file_fill(struct ip_rec *f, int dirfd, const char *path)
{
    f->kind = IP_KIND_FILE;
    f->logfile = IP_LOG_UNKNOWN;
    f->log_probe_bytes = 0;
    f->log_missed_bytes = 0;
    f->mapped = 0;
    ip_rec_name_set(f, dirfd, path);
}

static void socket_fill(struct ip_rec *f, const struct rep_sock *s)
{
    f->kind = IP_KIND_SOCKET;
    f->logfile = IP_LOG_NO;
    f->sock = *s;
    memset(f->tap, 0, sizeof f->tap);
    f->path[0] = '\0';
    f->long_path = 0;
    f->path_cut = 0;
    f->open_ticks = ip_ticks();
}

struct ip_rec *ip_rec_file_opened(int fd, int dirfd, const char *path, uint64_t t0)
{
    struct ip_rec *f = record_start(fd, &ip_files_orphan);
    if (!f)
        return NULL;
    if (t0) {
        f->live.duration_ops = 1;
        f->live.duration_ns = ip_ticks() - t0;
    }
    file_fill(f, dirfd, path);
    fd_map_publish(fd, f);
    return f;
}

struct ip_rec *ip_rec_socket_opened(int fd, const struct rep_sock *s)
{
    struct ip_rec *f = record_start(fd, &ip_net_orphan);
    if (!f)
        return NULL;
    socket_fill(f, s);
    fd_map_publish(fd, f);
    return f;
}

struct ip_rec *ip_rec_fd_closed(int fd, struct ip_rec_ref ref)
{
    if (!fd_tracked(fd))
        return NULL;
    if (!ref.file) {
        /* a verdict of nothing to count goes with the fd: its number's
         * next use is learned afresh */
        uint64_t nothing = IP_REC_KEY_NOTHING;
        __atomic_compare_exchange_n(&ip_fd_map[fd], &nothing, 0, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
        return NULL;
    }
    uint64_t key = ip_rec_key(ref);
    /* Between the kernel's close and here another thread may have been
     * handed the same number by open(): then it already replaced (and
     * released) our record, and the map entry is no longer ours to clear. */
    if (!__atomic_compare_exchange_n(&ip_fd_map[fd], &key, 0, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return NULL;
    return record_release(ref.file);
}

void ip_rec_fds_closed(unsigned first, unsigned last)
{
    if (last >= IP_FDS_MAX)
        last = IP_FDS_MAX - 1;
    for (unsigned fd = first; fd <= last; fd++)
        if (__atomic_load_n(&ip_fd_map[fd], __ATOMIC_RELAXED))
            fd_map_replace((int)fd, 0);
}

/* One more reference, unless the last one is gone already (a close on
 * another thread won the race: the record is on its way out). */
static bool ref_take(struct ip_rec *f)
{
    uint32_t refs = __atomic_load_n(&f->refs, __ATOMIC_ACQUIRE);
    do {
        if (refs == 0)
            return false;
    } while (!__atomic_compare_exchange_n(&f->refs, &refs, refs + 1, true,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    return true;
}

/* One more reference to the use of a record that key names: false if its
 * last reference is gone, or the record was freed and reused since key
 * was read (a thread preempted in between). The reference taken on the
 * new use is then given back; if that was the last one, its own close
 * already happened and left the closing to us (without its event: its fd
 * is not known here). */
static bool ref_take_key(uint64_t key)
{
    struct ip_rec *f = ip_rec_of_key(key);

    if (!ref_take(f))
        return false;
    if (ip_rec_key_current(key))
        return true;
    record_release(f);
    return false;
}

void ip_rec_fd_dup(int oldfd, int newfd)
{
    if (!fd_tracked(oldfd) || !fd_tracked(newfd) || oldfd == newfd)
        return;
    uint64_t key = __atomic_load_n(&ip_fd_map[oldfd], __ATOMIC_ACQUIRE);
    if (!ip_rec_key_names_rec(key))
        key = 0;                    /* newfd is learned at its first use */
    /* dup2 onto an fd that names the same file already: nothing changes. */
    if (key && __atomic_load_n(&ip_fd_map[newfd], __ATOMIC_ACQUIRE) == key)
        return;
    if (key && !ref_take_key(key))
        key = 0;
    fd_map_replace(newfd, key);
}

static uint64_t delta_take(uint64_t *live, uint64_t *reported)
{
    uint64_t now = __atomic_load_n(live, __ATOMIC_RELAXED);
    uint64_t d = now - *reported;
    *reported = now;
    return d;
}

static void counts_delta(struct rep_io_counts *live, struct rep_io_counts *reported,
                         struct rep_io_counts *out)
{
    uint64_t *l = rep_io_counts_array(live), *r = rep_io_counts_array(reported);
    uint64_t *o = rep_io_counts_array(out);
    for (size_t i = 0; i < REP_COUNTS_N; i++)
        o[i] = delta_take(&l[i], &r[i]);
}

bool ip_counts_take(struct rep_io_counts *live, struct rep_io_counts *reported,
                    struct rep_io_counts *d)
{
    /* The common answer (a closed record's last look, an idle file's
     * period) at the price of one compare, not a load and a store of
     * every counter. A count added meanwhile is taken next time, as it
     * would be after the loads. */
    if (memcmp(live, reported, sizeof *live) == 0)
        return false;
    counts_delta(live, reported, d);
    d->duration_ns = ip_ticks_to_ns(d->duration_ns);
    d->read_timed_ns = ip_ticks_to_ns(d->read_timed_ns);
    d->write_timed_ns = ip_ticks_to_ns(d->write_timed_ns);
    return !rep_io_counts_is_zero(d);
}

/* Bytes a log file wrote while scope did not yet know it was one, past
 * the probe: not sent, so said. For any other file they were nothing. */
static void log_missed_take(struct rep *r, struct ip_rec *f)
{
    if (!__atomic_load_n(&f->log_missed_bytes, __ATOMIC_RELAXED))
        return;
    uint64_t missed = __atomic_exchange_n(&f->log_missed_bytes, 0, __ATOMIC_RELAXED);
    if (__atomic_load_n(&f->logfile, __ATOMIC_RELAXED) == IP_LOG_YES)
        rep_file_missed_add(r, missed);
}

/* A mapped file: its loads and stores are no calls. Said once. */
static void mapped_tell(struct rep *r, struct ip_rec *f)
{
    struct ip_rec_name name;
    uint32_t to_say = 1;

    if (__atomic_load_n(&f->mapped, __ATOMIC_RELAXED) == 1 &&
        __atomic_compare_exchange_n(&f->mapped, &to_say, 2, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
        rep_notice(r, "%s is memory-mapped: what the program reads and writes through "
                   "the mapping is not observed", ip_rec_name(f, &name));
}

static void record_fold(struct rep *r, struct ip_rec *f)
{
    struct rep_io_counts d;
    struct ip_rec_name name;

    log_missed_take(r, f);
    mapped_tell(r, f);
    if (!ip_counts_take(&f->live, &f->reported, &d))
        return;
    if (f->kind == IP_KIND_SOCKET)
        rep_net_add(r, &f->sock, &d);
    else
        rep_fs_add(r, ip_rec_name(f, &name), &d);
}

/* Open records; closed ones are the reaper's (they may be freed under us).
 * Sockets open now count in the gauges. */
static void record_collect(struct rep *r, struct ip_rec *f, struct rep_net_gauges *n)
{
    if (__atomic_load_n(&f->state, __ATOMIC_ACQUIRE) != IP_REC_OPEN)
        return;
    record_fold(r, f);
    if (f->kind != IP_KIND_SOCKET)
        return;
    ip_sock_gauges_add(&f->sock, n);
}

/* Counters are zeroed when a record is freed, on the reporter's thread,
 * which has just read them: the program's thread that claims the record
 * next then writes only the lines it needs. */
static void record_zero(struct ip_rec *f)
{
    memset(&f->live, 0, sizeof f->live);
    memset(&f->reported, 0, sizeof f->reported);
    memset(&f->sampler, 0, sizeof f->sampler);
}

static void record_free(struct ip_rec *f, struct ip_rec_free_chain *freed)
{
    __atomic_add_fetch(&f->gen, 1, __ATOMIC_RELEASE);
    record_zero(f);
    ip_rec_name_release(f);
    __atomic_store_n(&f->state, IP_REC_FREE, __ATOMIC_RELEASE);
    ip_rec_free_chain_add(freed, f);
}

void ip_files_reap(struct rep *r)
{
    struct ip_rec_free_chain freed = { 0, 0 };
    struct ip_rec *f, *next;

    /* Closed one drain ago: last late counts, then free. */
    for (f = reaped_list; f; f = next) {
        next = f->next_closed;
        record_fold(r, f);
        record_free(f, &freed);
    }
    ip_rec_free_chain_push(&freed);
    reaped_list = ip_rec_closed_take();
    for (f = reaped_list; f; f = f->next_closed)
        record_fold(r, f);
}

void ip_files_collect(struct rep *r)
{
    struct rep_net_gauges open = { 0 };
    struct rep_io_counts d;
    uint32_t high = ip_rec_pool_used();

    for (uint32_t i = 0; i < high; i++)
        record_collect(r, &ip_rec_pool[i], &open);
    rep_net_open_now(r, &open);
    if (ip_counts_take(&ip_files_orphan, &orphan_reported, &d))
        rep_fs_add(r, NULL, &d);
    rep_unrecorded_add(r, __atomic_exchange_n(&ip_files_unrecorded, 0, __ATOMIC_RELAXED));
    rep_paths_stored_cut_add(r, ip_paths_take_cut(), IP_PATH_MAX - 1, IP_LONG_PATHS);
}

/* The child starts from zero: what the records hold so far is the parent's
 * to report. */
void ip_files_after_fork_child(void)
{
    uint32_t high = ip_rec_pool_used();

    for (uint32_t i = 0; i < high; i++)
        ip_rec_pool[i].reported = ip_rec_pool[i].live;
    orphan_reported = ip_files_orphan;
}

/* No reporter runs here (attach, before it starts): every record and
 * list can be reset. */
static void records_forget(void)
{
    uint32_t high = ip_rec_pool_used();

    for (int fd = 0; fd < IP_FDS_MAX; fd++)
        if (__atomic_load_n(&ip_fd_map[fd], __ATOMIC_RELAXED))
            __atomic_store_n(&ip_fd_map[fd], 0, __ATOMIC_RELEASE);
    reaped_list = NULL;
    for (uint32_t i = 0; i < high; i++) {
        __atomic_add_fetch(&ip_rec_pool[i].gen, 1, __ATOMIC_RELEASE);
        record_zero(&ip_rec_pool[i]);
        ip_rec_pool[i].long_path = 0;
        __atomic_store_n(&ip_rec_pool[i].state, IP_REC_FREE, __ATOMIC_RELEASE);
    }
    ip_rec_pool_forget();
    ip_long_paths_forget();
}

/* Is what fstat says a file whose bytes count (fs.*)? Not a pipe, a
 * terminal or an anonymous inode (eventfd, epoll...): those are the
 * console's or nothing. /dev/null and other devices that are no
 * terminal count, as they do when the program opens them. */
static bool stat_is_counted_file(int fd, const struct stat *st)
{
    if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) || S_ISBLK(st->st_mode))
        return true;
    return S_ISCHR(st->st_mode) && !isatty(fd);
}

/* A record for fd, made from what the kernel says, published only if fd
 * is still unknown (another thread may learn it, or open on its number,
 * at the same time). It counts no open: that happened before we looked.
 * Returns the key fd has now. */
static uint64_t fd_learn_record(int fd, const struct stat *st)
{
    char link[32], path[IP_PATH_MAX];
    struct rep_sock sock = { 0 };
    bool is_socket = S_ISSOCK(st->st_mode);
    ssize_t n = 0;

    if (!is_socket) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
        if (n <= 0 || path[0] != '/')
            return 0;
        path[n] = '\0';
    } else {
        ip_sock_describe(fd, &sock);
    }
    struct ip_rec *f = ip_rec_claim();
    if (!f) {
        /* pool out: tried again at the next call, which is not counted */
        __atomic_add_fetch(&ip_files_unrecorded, 1, __ATOMIC_RELAXED);
        return 0;
    }
    f->live.opens = 0;
    f->refs = 1;
    if (is_socket) {
        socket_fill(f, &sock);
    } else {
        file_fill(f, AT_FDCWD, path);
        if ((size_t)n >= IP_PATH_MAX - 1)   /* it filled the buffer: maybe longer */
            ip_rec_name_reread(f, link);
    }
    uint64_t key = 0, mine = key_of(f);
    /* OPEN before it is in the map, as fd_map_publish does: a close that
     * follows at once must find it OPEN, not have its CLOSED undone. */
    __atomic_store_n(&f->state, IP_REC_OPEN, __ATOMIC_RELEASE);
    if (__atomic_compare_exchange_n(&ip_fd_map[fd], &key, mine, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return mine;
    /* Lost the race: never published, so nobody counted on it. The reaper
     * frees it like a closed record (it folds nothing: all zero). */
    __atomic_store_n(&f->refs, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&f->state, IP_REC_CLOSED, __ATOMIC_RELEASE);
    ip_rec_closed_push(f);
    return key;
}

uint64_t ip_files_learn_fd(int fd)
{
    struct stat st;
    uint64_t key = 0;
    int saved = errno;

    if (!fd_tracked(fd) || fstat(fd, &st) != 0) {
        errno = saved;
        return 0;                   /* not an open fd: nothing to remember */
    }
    if (S_ISSOCK(st.st_mode) || stat_is_counted_file(fd, &st)) {
        key = fd_learn_record(fd, &st);
    } else {
        uint64_t unknown = 0;
        key = IP_REC_KEY_NOTHING;
        if (!__atomic_compare_exchange_n(&ip_fd_map[fd], &unknown, key, false,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            key = unknown;
    }
    errno = saved;
    return key;
}

void ip_files_learn_open(void)
{
    records_forget();
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != dirfd(d))
            ip_files_learn_fd(fd);
    }
    closedir(d);
}
