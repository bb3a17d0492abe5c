/* inj_session.c: session directories: naming, creation, listing, info.json
 * (see inj_session.h). */
#include "inj_session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROC_MAX 64   /* <proc> is cut to this many bytes in directory names */

int inj_path_join(char *buf, size_t len, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len) {
        fprintf(stderr, "scope: path too long: %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

int inj_history_dir(char *buf, size_t len)
{
    const char *home = getenv("SCOPE_HOME");
    const char *user_home = getenv("HOME");

    if (home && home[0] && home[0] != '/') {
        fprintf(stderr, "scope: SCOPE_HOME must be an absolute path, and '%s' is not: it "
                "would name a different directory in each working directory\n", home);
        return -1;
    }
    if (home && home[0])
        return inj_path_join(buf, len, home, "history");
    if (!user_home || !user_home[0]) {
        struct passwd *pw = getpwuid(getuid());
        user_home = pw ? pw->pw_dir : NULL;
    }
    if (!user_home) {
        fprintf(stderr, "scope: neither SCOPE_HOME nor HOME is set\n");
        return -1;
    }
    if ((size_t)snprintf(buf, len, "%s/.scope/history", user_home) >= len) {
        fprintf(stderr, "scope: path too long: %s/.scope/history\n", user_home);
        return -1;
    }
    return 0;
}

/* mkdir -p with mode 0700 for every directory created. */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];

    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) {
        fprintf(stderr, "scope: path too long: %s\n", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        char saved = *p;
        if (saved != '/' && saved != '\0')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "scope: cannot create %s: %s\n", buf, strerror(errno));
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            return 0;
    }
}

/* A whole unsigned decimal number of s[0..len). */
static int parse_number(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;

    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* <proc>_<n>_<pid>_<start>: the three numbers are read from the right,
 * since <proc> may itself contain '_'. */
static int parse_name(const char *name, struct inj_session *s)
{
    unsigned long long v[3];
    size_t end = strlen(name);

    if (end > NAME_MAX)
        return -1;
    for (int i = 2; i >= 0; i--) {
        const char *us = memrchr(name, '_', end);
        if (!us || parse_number(us + 1, end - (size_t)(us + 1 - name), &v[i]) < 0)
            return -1;
        end = (size_t)(us - name);
    }
    if (end == 0)
        return -1;
    strcpy(s->name, name);
    s->n = (unsigned long)v[0];
    s->pid = (long)v[1];
    s->start = (long long)v[2];
    return 0;
}

static int by_age(const void *a, const void *b)
{
    const struct inj_session *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->n > y->n) - (x->n < y->n);
}

int inj_session_list(const char *hist, struct inj_session **list, size_t *count)
{
    DIR *d = opendir(hist);
    struct inj_session *v = NULL, s;
    size_t n = 0, cap = 0;
    struct dirent *e;

    *list = NULL;
    *count = 0;
    if (!d) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "scope: cannot read %s: %s\n", hist, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        struct stat st;
        if (parse_name(e->d_name, &s) < 0 ||
            fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            struct inj_session *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
            if (!nv) {
                fprintf(stderr, "scope: out of memory\n");
                free(v);
                closedir(d);
                return -1;
            }
            v = nv;
        }
        v[n++] = s;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), by_age);
    *list = v;
    *count = n;
    return 0;
}

const struct inj_session *inj_session_pick(const struct inj_session *list,
                                           size_t count, const char *id)
{
    unsigned long long n;
    int numeric = id && parse_number(id, strlen(id), &n) == 0;

    for (size_t i = count; i-- > 0;) {
        if (!id || strcmp(list[i].name, id) == 0 || (numeric && list[i].n == n))
            return &list[i];
    }
    return NULL;
}

/* The highest session number in hist, 0 if none. */
static int highest_n(const char *hist, unsigned long *out)
{
    struct inj_session *list;
    size_t count;

    if (inj_session_list(hist, &list, &count) < 0)
        return -1;
    *out = 0;
    for (size_t i = 0; i < count; i++)
        if (list[i].n > *out)
            *out = list[i].n;
    free(list);
    return 0;
}

int inj_dir_open_verified(const char *dir)
{
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno != ELOOP && errno != ENOTDIR) {
        fprintf(stderr, "scope: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        fprintf(stderr, "scope: %s is not a directory of this user's (uid %u) that only it "
                "may write in (a symlink, another user's, or group/world-writable): scope "
                "writes nothing there\n", dir, (unsigned)geteuid());
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Make the directory `name` of a new session: in hist (histfd), or in
 * parent with a symlink to it in hist. 0, 1 when the name is taken, -1 on
 * error. */
static int make_session_dir(int histfd, const char *hist, const char *parent, const char *name,
                            char *dir, size_t len)
{
    char link[PATH_MAX];
    int rc;

    if (inj_path_join(dir, len, parent ? parent : hist, name) < 0)
        return -1;
    rc = parent ? mkdir(dir, 0700) : mkdirat(histfd, name, 0700);
    if (rc != 0) {
        if (errno == EEXIST)
            return 1;
        fprintf(stderr, "scope: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!parent)
        return 0;
    if (inj_path_join(link, sizeof link, hist, name) == 0 && symlinkat(dir, histfd, name) == 0)
        return 0;
    int err = errno;
    rmdir(dir);
    if (err == EEXIST)
        return 1;
    fprintf(stderr, "scope: cannot create %s: %s\n", link, strerror(err));
    return -1;
}

/* proc as it may stand in a file name: the process chose it (comm,
 * argv[0]), so anything but letters, digits, '.', '-' and '+' becomes '_'
 * (no '/', no control character), a leading '.' too (no hidden name),
 * and at most PROC_MAX bytes are kept. */
static void proc_for_path(const char *proc, char out[PROC_MAX + 1])
{
    size_t i;

    for (i = 0; i < PROC_MAX && proc[i]; i++) {
        unsigned char c = (unsigned char)proc[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '+' || (c == '.' && i > 0);
        out[i] = plain ? (char)c : '_';
    }
    if (i == 0)
        out[i++] = '_';
    out[i] = '\0';
}

/* Under an exclusive lock on hist, so that concurrent runs get distinct
 * numbers; a name that exists anyway (EEXIST) makes us count again. hist
 * must be ours and writable by us only: in a tree another user controls
 * (HOME kept by sudo -E), they could otherwise swap what we create. */
static int create_session(const char *hist, const char *parent, const char *proc, pid_t pid,
                          long long start, char *dir, size_t len, unsigned long *n)
{
    char name[NAME_MAX + 1], safe[PROC_MAX + 1];
    int lock, rc = 1;

    proc_for_path(proc, safe);
    if (make_dirs(hist) < 0 || (lock = inj_dir_open_verified(hist)) < 0)
        return -1;
    if (flock(lock, LOCK_EX) != 0) {
        fprintf(stderr, "scope: cannot lock %s: %s\n", hist, strerror(errno));
        close(lock);
        return -1;
    }
    for (int tries = 0; tries < 100 && rc == 1; tries++) {
        if (highest_n(hist, n) < 0) {
            rc = -1;
            break;
        }
        ++*n;
        snprintf(name, sizeof name, "%s_%lu_%ld_%lld", safe, *n, (long)pid, start);
        rc = make_session_dir(lock, hist, parent, name, dir, len);
    }
    close(lock);
    return rc == 0 ? 0 : -1;
}

int inj_session_create(const char *hist, const char *proc, pid_t pid,
                       long long start, char *dir, size_t len, unsigned long *n)
{
    return create_session(hist, NULL, proc, pid, start, dir, len, n);
}

int inj_session_create_linked(const char *hist, const char *parent, const char *proc,
                              pid_t pid, long long start, char *dir, size_t len,
                              unsigned long *n)
{
    return create_session(hist, parent, proc, pid, start, dir, len, n);
}

int inj_session_touch(const char *dir, const char *name)
{
    int dfd = inj_dir_open_verified(dir);
    int fd = dfd < 0 ? -1 : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                   0600);

    if (dfd >= 0 && fd < 0)
        fprintf(stderr, "scope: cannot create %s/%s: %s\n", dir, name, strerror(errno));
    if (dfd >= 0)
        close(dfd);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Files are unlinked in the directory as opened, never through a symlink;
 * it may be another user's by now (handed to the process's user). */
void inj_session_remove(const char *dir)
{
    static const char *const files[] = {INJ_METRICS_FILE, INJ_EVENTS_FILE, INJ_INFO_FILE};
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    for (size_t i = 0; dfd >= 0 && i < sizeof files / sizeof files[0]; i++)
        unlinkat(dfd, files[i], 0);
    if (dfd >= 0)
        close(dfd);
    if (rmdir(dir) != 0)
        fprintf(stderr, "scope: cannot remove %s: %s\n", dir, strerror(errno));
}

/* info.json.tmp is made new (a leftover is removed first, a symlink
 * included, never followed) and renamed over info.json in the same
 * verified directory. */
int inj_info_write(const char *dir, json_t *info)
{
    static const char tmp[] = INJ_INFO_FILE ".tmp";
    FILE *f = NULL;
    int dfd, fd = -1, rc = -1;

    if ((dfd = inj_dir_open_verified(dir)) < 0)
        return -1;
    if (unlinkat(dfd, tmp, 0) == 0 || errno == ENOENT)
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && !(f = fdopen(fd, "w")))
        close(fd);
    if (f) {
        rc = json_dumpf(info, f, JSON_INDENT(2));
        if (fputc('\n', f) == EOF)
            rc = -1;
        if (fclose(f) != 0)
            rc = -1;
        if (rc == 0 && renameat(dfd, tmp, dfd, INJ_INFO_FILE) != 0)
            rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "scope: cannot write %s/%s: %s\n", dir, INJ_INFO_FILE, strerror(errno));
        unlinkat(dfd, tmp, 0);
    }
    close(dfd);
    return rc;
}

FILE *inj_session_file_open(const char *dir, const char *name, off_t *size)
{
    char path[PATH_MAX];
    struct stat st;
    FILE *f = NULL;
    int fd;

    if (inj_path_join(path, sizeof path, dir, name) < 0) {
        errno = 0;
        return NULL;
    }
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno != ELOOP)
        return NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "scope: skipped %s: not a regular file (a symlink, FIFO or device "
                "put in its place)\n", path);
        if (fd >= 0)
            close(fd);
        errno = 0;
        return NULL;
    }
    /* A regular file never blocks; reads see only what it held now. */
    if (fcntl(fd, F_SETFL, 0) != 0 || !(f = fdopen(fd, "r"))) {
        close(fd);
        return NULL;
    }
    *size = st.st_size;
    return f;
}

#define INFO_MAX (1 << 20)  /* info.json is a few hundred bytes */

json_t *inj_info_read(const char *dir)
{
    off_t size;
    json_t *info = NULL;
    FILE *f = inj_session_file_open(dir, INJ_INFO_FILE, &size);

    if (!f)
        return NULL;
    if (size <= INFO_MAX)
        info = json_loadf(f, 0, NULL);
    fclose(f);
    if (info && !json_is_object(info)) {
        json_decref(info);
        return NULL;
    }
    return info;
}

void inj_dests_choose(const char *metric_dest, const char *event_dest,
                      const char *metric_format, const char *dir,
                      struct inj_dests *d)
{
    d->metric_format = metric_format;
    if (metric_dest) {
        snprintf(d->metric, sizeof d->metric, "%s", metric_dest);
    } else {
        snprintf(d->metric, sizeof d->metric, "file://%s/" INJ_METRICS_FILE, dir);
        d->metric_format = "ndjson";
    }
    if (event_dest)
        snprintf(d->event, sizeof d->event, "%s", event_dest);
    else
        snprintf(d->event, sizeof d->event, "file://%s/" INJ_EVENTS_FILE, dir);
}

/* Made or checked without following a symlink someone may have planted. */
int inj_shared_parent(char *out, size_t len)
{
    struct stat st;
    int fd;

    snprintf(out, len, "%s/scope", access("/run", W_OK) == 0 ? "/run" : "/var/tmp");
    if (mkdir(out, 0711) != 0 && errno != EEXIST) {
        fprintf(stderr, "scope: cannot create %s: %s\n", out, strerror(errno));
        return -1;
    }
    fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) ||
        fchmod(fd, 0711) != 0) {
        fprintf(stderr, "scope: %s is not a directory owned by root and writable by root "
                "only; remove it\n", out);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}
