/* inj_handover.c: descriptors for a process whose files are not ours (see
 * inj_handover.h). */
#include "inj_handover.h"
#include "inj_judge.h"
#include "rep_url.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

bool inj_handover_needed(pid_t pid)
{
    return !inj_proc_same_mount_ns(pid) || !inj_proc_same_root(pid);
}

/* Is pid in our namespace of this type ("net", "pid")? */
static bool same_ns(pid_t pid, const char *type)
{
    char path[64], self[64];
    struct stat ours, theirs;

    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, type);
    snprintf(self, sizeof self, "/proc/self/ns/%s", type);
    return stat(self, &ours) == 0 && stat(path, &theirs) == 0 &&
           ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

static bool same_net_ns(pid_t pid)
{
    return same_ns(pid, "net");
}

bool inj_handover_connects(pid_t pid, const char *url, bool dest_target)
{
    struct rep_url u;
    char err[256];

    if (dest_target || rep_url_parse(url, &u, err, sizeof err) != 0 || u.handed_fd >= 0)
        return false;
    switch (u.kind) {
    case REP_TRANSPORT_UDP:
    case REP_TRANSPORT_TCP: return !same_net_ns(pid);
    case REP_TRANSPORT_UNIX: return u.host[0] == '@' ? !same_net_ns(pid)
                                                     : inj_handover_needed(pid);
    default: return false;
    }
}

/* ---- before the stop ------------------------------------------------------ */

/* The library in a memfd sealed against any change: the target maps it
 * privately (sealing forbids only shared writable mappings). */
static int library_memfd(const char *lib, char *why, size_t len)
{
    struct stat st;
    int in = open(lib, O_RDONLY | O_CLOEXEC), fd = -1;
    off_t off = 0;

    if (in < 0 || fstat(in, &st) != 0) {
        snprintf(why, len, "cannot read %s: %s", lib, strerror(errno));
        goto out;
    }
    /* The file opened, not the one judged: it may have been swapped since. */
    if (!S_ISREG(st.st_mode) || !inj_library_file_safe(&st)) {
        snprintf(why, len, "%s changed since it was checked (now uid %u, mode %04o)", lib,
                 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    fd = memfd_create("libscope.so", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    while (fd >= 0 && off < st.st_size)
        if (sendfile(fd, in, &off, (size_t)(st.st_size - off)) <= 0)
            break;
    if (fd < 0 || off != st.st_size ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        snprintf(why, len, "cannot copy %s into a sealed memfd: %s", lib,
                 fd < 0 || off != st.st_size ? strerror(errno ? errno : EIO) : strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
out:
    if (in >= 0)
        close(in);
    return fd;
}

/* How long a TCP or unix collector has to accept scope's connection. */
#define CONNECT_WAIT_MS 1000

/* fd's connect to a, waited for at most CONNECT_WAIT_MS: 0, or -1 with
 * errno. */
static int connect_wait(int fd, const struct sockaddr *a, socklen_t alen)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    socklen_t elen = sizeof(int);
    int err = 0;

    if (connect(fd, a, alen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    if (poll(&p, 1, CONNECT_WAIT_MS) != 1) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err) {
        errno = err ? err : errno;
        return -1;
    }
    return 0;
}

/* A socket of the kind u names, connected as scope reaches it: the
 * non-blocking descriptor the reporter takes, or -1 with errno. */
static int socket_connected(const struct rep_url *u)
{
    if (u->kind == REP_TRANSPORT_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(u->host));
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        memcpy(sun.sun_path, u->host, strlen(u->host));
        if (u->host[0] == '@')
            sun.sun_path[0] = '\0';
        if (fd >= 0 && connect_wait(fd, (struct sockaddr *)&sun, alen) != 0) {
            int err = errno;
            close(fd);
            errno = err;
            return -1;
        }
        return fd;
    }
    struct addrinfo hints = {.ai_socktype = u->kind == REP_TRANSPORT_UDP ? SOCK_DGRAM
                                                                         : SOCK_STREAM};
    struct addrinfo *list = NULL;
    int fd = -1, rc = getaddrinfo(u->host, u->port, &hints, &list);
    errno = rc == 0 ? 0 : EHOSTUNREACH;
    for (struct addrinfo *a = rc == 0 ? list : NULL; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect_wait(fd, a->ai_addr, a->ai_addrlen) != 0) {
            int err = errno;
            close(fd);
            errno = err;
            fd = -1;
        }
    }
    if (list)
        freeaddrinfo(list);
    return fd;
}

/* A network destination connected on scope's side, or -1 with why. */
static int dest_connect(const char *url, char *why, size_t len)
{
    struct rep_url u;
    int fd = rep_url_parse(url, &u, why, len) == 0 ? socket_connected(&u) : -1;

    if (fd < 0)
        snprintf(why, len, "cannot connect to %s from scope's network namespace (%s): a "
                 "collector there must be listening when scope attaches; --dest-netns "
                 "target reaches it from the process's own", url, strerror(errno));
    return fd;
}

/* A file:///path destination, opened here as the library would open it
 * (appending, created 0600, a FIFO without reader refused at once), or a
 * network one connected here (inj_handover_connects); -2: neither (a std
 * destination, or a network one the target reaches itself). */
static int dest_open(pid_t pid, const char *url, bool dest_target, char *why, size_t len)
{
    const char *path = url + strlen("file://");

    if (inj_handover_connects(pid, url, dest_target))
        return dest_connect(url, why, len);
    if (strncmp(url, "file://", strlen("file://")) != 0 || path[0] != '/')
        return -2;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0)
        snprintf(why, len, "cannot open %s: %s", path,
                 errno == ENXIO ? "it is a FIFO with no reader" : strerror(errno));
    return fd;
}

int inj_handover_prepare(struct inj_handover *h, pid_t pid, const struct inj_maps *maps,
                         const char *lib, const struct inj_dests *to, bool dest_target,
                         char *why, size_t len)
{
    static const char *const fns[] = {"socketpair", "recvmsg", "close", "syscall"};
    uintptr_t *addr[] = {&h->socketpair, &h->recvmsg, &h->close, &h->syscall};

    for (int i = 0; i < INJ_HAND_N; i++)
        h->ours[i] = h->theirs[i] = -1;
    h->pair[0] = h->pair[1] = -1;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (inj_libc_symbol(pid, maps, fns[i], addr[i]) != 0) {
            snprintf(why, len, "cannot find %s in the process's libc", fns[i]);
            return -1;
        }
    if (lib && (h->ours[INJ_HAND_LIB] = library_memfd(lib, why, len)) < 0)
        return -1;
    if (!same_ns(pid, "pid") &&
        (h->ours[INJ_HAND_PIDNS] = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(why, len, "cannot open /proc/self/ns/pid: %s", strerror(errno));
        inj_handover_free(h);
        return -1;
    }
    if ((h->ours[INJ_HAND_METRICS] = dest_open(pid, to->metric, dest_target, why, len)) == -1 ||
        (h->ours[INJ_HAND_EVENTS] = dest_open(pid, to->event, dest_target, why, len)) == -1) {
        inj_handover_free(h);
        return -1;
    }
    return 0;
}

void inj_handover_free(struct inj_handover *h)
{
    for (int i = 0; i < INJ_HAND_N; i++) {
        if (h->ours[i] >= 0)
            close(h->ours[i]);
        h->ours[i] = -1;
    }
}

/* ---- on the stopped thread ------------------------------------------------ */

static int call(struct inj_tracee *t, uintptr_t fn, uint64_t a, uint64_t b, uint64_t c,
                uint64_t d, const char *what)
{
    uint64_t args[] = {a, b, c, d};
    return inj_ptrace_call_safe(t, fn, args, 4, what);
}

/* What the target's descriptor fd is (the file its /proc entry names);
 * ino 0: it has none. */
static struct inj_fd_id fd_identity(const struct inj_tracee *t, int fd)
{
    struct inj_fd_id id = {0, 0};
    char path[64];
    struct stat st;

    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)t->tid, fd);
    if (fd >= 0 && stat(path, &st) == 0) {
        id.dev = st.st_dev;
        id.ino = st.st_ino;
    }
    return id;
}

/* Does the target's fd still name the file it named when it was ours? */
static bool fd_still(const struct inj_tracee *t, int fd, struct inj_fd_id was)
{
    struct inj_fd_id now = fd_identity(t, fd);

    return was.ino && now.ino == was.ino && now.dev == was.dev;
}

/* A number to close and what it named when it was ours. */
struct handed_fd {
    int fd;
    struct inj_fd_id id;
};

static int handed_fd_cmp(const void *a, const void *b)
{
    int x = ((const struct handed_fd *)a)->fd, y = ((const struct handed_fd *)b)->fd;
    return (x > y) - (x < y);
}

/* Those of the target's descriptors fds[0..n) (n <= CLOSE_MAX; -1: none)
 * that still name what they named when they were ours (ids), closed: a
 * number that names nothing or another file was closed already (by the
 * library: SCOPE_HANDED_CLOSE) and may be the program's since. Each run
 * of consecutive numbers (what the kernel hands out, lowest free first,
 * mostly is) goes in one close_range, through libc's syscall() (musl has
 * no close_range): every safe call costs the stopped thread its own round
 * trips. Its result is lost with the safe call, and a kernel before 5.9 or
 * a seccomp profile may refuse it: a number still there after it is
 * closed on its own. */
#define CLOSE_MAX (INJ_HAND_N + 2)
static int close_set(struct inj_tracee *t, const struct inj_handover *h, const int *fds,
                     const struct inj_fd_id *ids, int n)
{
    struct handed_fd v[CLOSE_MAX];
    int m = 0, rc = 0;

    for (int i = 0; i < n; i++)
        if (fds[i] >= 0 && fd_still(t, fds[i], ids[i]))
            v[m++] = (struct handed_fd){fds[i], ids[i]};
    qsort(v, (size_t)m, sizeof v[0], handed_fd_cmp);
    int kept = 0;                   /* a number twice is closed once */
    for (int i = 0; i < m; i++)
        if (!kept || v[i].fd != v[kept - 1].fd)
            v[kept++] = v[i];
    m = kept;
    for (int lo = 0, hi; lo < m && rc != INJ_EXITED; lo = hi + 1) {
        for (hi = lo; hi + 1 < m && v[hi + 1].fd == v[hi].fd + 1; hi++)
            ;
        if (hi > lo)
            rc = call(t, h->syscall, SYS_close_range, (uint64_t)v[lo].fd, (uint64_t)v[hi].fd,
                      0, "close_range");
        for (int i = lo; i <= hi && rc != INJ_EXITED; i++) {
            int crc = hi == lo || fd_still(t, v[i].fd, v[i].id)
                          ? call(t, h->close, (uint64_t)v[i].fd, 0, 0, 0, "close") : 0;
            rc = rc ? rc : crc;
        }
    }
    return rc;
}

/* Our descriptors that go over, in order; their indexes in idx. */
static int fds_to_send(const struct inj_handover *h, int *fds, int *idx)
{
    int n = 0;

    for (int i = 0; i < INJ_HAND_N; i++)
        if (h->ours[i] >= 0) {
            idx[n] = i;
            fds[n++] = h->ours[i];
        }
    return n;
}

/* Send fds over the target's socket `theirs`, through our copy of it. */
static int send_rights(struct inj_tracee *t, int theirs, const int *fds, int n)
{
    union { char buf[CMSG_SPACE(sizeof(int) * INJ_HAND_N)]; struct cmsghdr align; } ctl;
    char byte = 's';
    struct iovec iov = {&byte, 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
    int pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0), sock = -1;

    if (pidfd >= 0)
        sock = (int)syscall(SYS_pidfd_getfd, pidfd, theirs, 0);
    memset(ctl.buf, 0, sizeof ctl.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    int rc = sock >= 0 && sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
    if (rc != 0)
        snprintf(t->why, sizeof t->why, "cannot hand descriptors to %d: %s", (int)t->pid,
                 strerror(errno));
    if (sock >= 0)
        close(sock);
    if (pidfd >= 0)
        close(pidfd);
    return rc == 0 ? 0 : INJ_FAILED;
}

/* What recvmsg fills in the target, laid out as one block pushed below its
 * red zone (the pointers are the target's addresses). */
struct recv_block {
    struct msghdr mh;
    struct iovec iov;
    union { char buf[CMSG_SPACE(sizeof(int) * INJ_HAND_N)]; struct cmsghdr align; } ctl;
    char byte;
};

/* recvmsg in the target; the numbers it got into fds, *got of them: all n,
 * or on failure those the kernel could install (to be closed). */
static int receive_rights(struct inj_tracee *t, const struct inj_handover *h, int sock,
                          int *fds, int n, int *got)
{
    struct recv_block b;
    uintptr_t at;
    int rc;

    memset(&b, 0, sizeof b);
    if ((rc = inj_ptrace_push(t, &b, sizeof b, &at)) != 0)
        return rc;
    b.mh.msg_iov = (struct iovec *)(at + offsetof(struct recv_block, iov));
    b.mh.msg_iovlen = 1;
    b.mh.msg_control = (void *)(at + offsetof(struct recv_block, ctl));
    b.mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
    b.iov.iov_base = (void *)(at + offsetof(struct recv_block, byte));
    b.iov.iov_len = 1;
    if ((rc = inj_ptrace_write(t, at, &b, sizeof b)) != 0 ||
        (rc = call(t, h->recvmsg, (uint64_t)sock, at, MSG_CMSG_CLOEXEC | MSG_DONTWAIT, 0,
                   "recvmsg")) != 0)
        return rc;
    if ((rc = inj_proc_read(t->tid, at, &b, sizeof b)) != 0) {
        snprintf(t->why, sizeof t->why, "cannot read %d's memory: %s", (int)t->pid,
                 strerror(-rc));
        return INJ_FAILED;
    }
    /* The header as the target's recvmsg left it, read at our copy: when
     * its table was full, the kernel installed only the first ones. */
    struct cmsghdr *c = (struct cmsghdr *)b.ctl.buf;
    *got = 0;
    if (b.mh.msg_controllen >= CMSG_LEN(0) && c->cmsg_level == SOL_SOCKET &&
        c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0) &&
        c->cmsg_len <= CMSG_LEN(sizeof(int) * (size_t)n))
        *got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*got);
    if (*got != n || (b.mh.msg_flags & MSG_CTRUNC)) {
        snprintf(t->why, sizeof t->why, "%d did not receive the descriptors scope handed it "
                 "(its descriptor table is full?)", (int)t->pid);
        return INJ_FAILED;
    }
    return 0;
}

/* What went over: all of them, or on failure (t->why) what the target
 * got, which the caller closes as after a success. */
int inj_handover_send(struct inj_tracee *t, struct inj_handover *h)
{
    int sv[2] = {-1, -1}, fds[INJ_HAND_N], idx[INJ_HAND_N], got[INJ_HAND_N], ngot = 0;
    int n = fds_to_send(h, fds, idx), rc;
    uintptr_t at;

    if (n == 0)
        return 0;
    if ((rc = inj_ptrace_push(t, sv, sizeof sv, &at)) != 0 ||
        (rc = call(t, h->socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, at,
                   "socketpair")) != 0)
        return rc;
    if (inj_proc_read(t->tid, at, sv, sizeof sv) != 0 || sv[0] < 0 || sv[1] < 0) {
        snprintf(t->why, sizeof t->why, "socketpair failed in %d (its descriptor table is "
                 "full?)", (int)t->pid);
        return INJ_FAILED;
    }
    for (int i = 0; i < 2; i++) {   /* closed by inj_handover_close_loaded */
        h->pair[i] = sv[i];
        h->pair_id[i] = fd_identity(t, sv[i]);
    }
    rc = send_rights(t, sv[1], fds, n);
    if (rc == 0)
        rc = receive_rights(t, h, sv[0], got, n, &ngot);
    for (int i = 0; i < ngot; i++) {    /* closed by inj_handover_close */
        h->theirs[idx[i]] = got[i];
        h->theirs_id[idx[i]] = fd_identity(t, got[i]);
    }
    return rc;
}

/* url's scheme with the number handed: file://fd/N, udp://fd/N... */
static void handed_name(char *url, size_t cap, int fd)
{
    char *end = strstr(url, "://");

    if (fd >= 0 && end)
        snprintf(end, cap - (size_t)(end - url), "://fd/%d", fd);
}

void inj_handover_names(const struct inj_handover *h, const struct inj_dests *to, char *lib,
                        size_t cap, struct inj_dests *named)
{
    *named = *to;
    snprintf(lib, cap, "/proc/self/fd/%d", h->theirs[INJ_HAND_LIB]);
    handed_name(named->metric, sizeof named->metric, h->theirs[INJ_HAND_METRICS]);
    handed_name(named->event, sizeof named->event, h->theirs[INJ_HAND_EVENTS]);
}

void inj_handover_taken_list(const struct inj_handover *h, char *out, size_t cap)
{
    static const int taken[] = {INJ_HAND_METRICS, INJ_HAND_EVENTS, INJ_HAND_PIDNS};
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (h->theirs[taken[i]] >= 0 && len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s%d", len ? "," : "",
                                    h->theirs[taken[i]]);
}

int inj_handover_close_loaded(struct inj_tracee *t, struct inj_handover *h)
{
    int fds[] = {h->pair[0], h->pair[1], h->theirs[INJ_HAND_LIB]};
    struct inj_fd_id ids[] = {h->pair_id[0], h->pair_id[1], h->theirs_id[INJ_HAND_LIB]};

    h->pair[0] = h->pair[1] = h->theirs[INJ_HAND_LIB] = -1;
    return close_set(t, h, fds, ids, 3);
}

int inj_handover_close(struct inj_tracee *t, struct inj_handover *h)
{
    int rc = inj_handover_close_loaded(t, h);
    int crc = rc == INJ_EXITED ? 0 : close_set(t, h, h->theirs, h->theirs_id, INJ_HAND_N);

    for (int i = 0; i < INJ_HAND_N; i++)
        h->theirs[i] = -1;
    return rc ? rc : crc;
}

/* ---- can the target open what it is handed -------------------------------- */

int inj_handover_proc_check(pid_t pid, char *why, size_t len)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS};
    char path[64];
    struct statfs fs;
    int root, fd = -1;

    snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
    root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root >= 0)
        fd = (int)syscall(SYS_openat2, root, "proc", &how, sizeof how);
    int ok = fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    if (!ok)
        snprintf(why, len, "its root directory has no procfs at /proc (%s): scope hands "
                 "the library over as /proc/self/fd/N, which the process must be able to "
                 "open; mount proc there", fd < 0 ? strerror(errno) : "another filesystem");
    if (fd >= 0)
        close(fd);
    if (root >= 0)
        close(root);
    return ok ? 0 : -1;
}
