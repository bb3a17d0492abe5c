/* inj_top_collect.c: what `scope top` reads for a frame (see
 * inj_top_collect.h). */
#include "inj_top_collect.h"

#include "inj_look.h"
#include "inj_ps.h"
#include "inj_session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_PER_FRAME (8 << 20)   /* a backlog is caught up over frames */
#define FILE_SCHEME "file://"

/* A session's metrics.json being followed. */
struct follower {
    char dir[PATH_MAX];         /* history/<name> */
    char name[NAME_MAX + 1];
    char path[PATH_MAX];        /* dir/metrics.json as a process names it */
    char real[PATH_MAX];        /* the same through history's link, or "" */
    dev_t dev;
    ino_t ino;
    struct inj_top_tail tail;
    bool used;                  /* a process of this frame writes to it */
    bool refused;               /* not a regular file: said once, not read */
    struct inj_top_metrics m;
};

/* CPU ticks of a process at the last frame. */
struct cpu_sample {
    pid_t pid;
    unsigned long long ticks;
    double at;                  /* monotonic seconds */
};

struct inj_top_collector {
    char hist[PATH_MAX];
    struct follower **fol;
    size_t nfol;
    struct inj_top_proc *rows;
    struct follower **row_fol;  /* each row's session, or NULL */
    size_t nrows, caprows;
    struct cpu_sample *prev, *cur;
    size_t nprev, ncur;
    long hz, page_kib;
    struct inj_session *list;   /* history, listed once a frame when needed */
    size_t nlist;
    bool listed;
    double now, mono;
};

static double clock_seconds(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct inj_top_collector *inj_top_collector_new(void)
{
    struct inj_top_collector *c = calloc(1, sizeof *c);

    if (!c) {
        fputs("scope: out of memory\n", stderr);
        return NULL;
    }
    if (inj_history_dir(c->hist, sizeof c->hist) < 0) {
        free(c);
        return NULL;
    }
    c->hz = sysconf(_SC_CLK_TCK);
    c->page_kib = sysconf(_SC_PAGESIZE) / 1024;
    return c;
}

static void follower_free(struct follower *f)
{
    inj_top_metrics_free(&f->m);
    free(f);
}

void inj_top_collector_free(struct inj_top_collector *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nfol; i++)
        follower_free(c->fol[i]);
    free(c->fol);
    free(c->rows);
    free(c->row_fol);
    free(c->prev);
    free(c->cur);
    free(c->list);
    free(c);
}

/* ---- sessions ------------------------------------------------------------ */

static struct follower *follower_of(struct inj_top_collector *c, const char *path)
{
    for (size_t i = 0; i < c->nfol; i++)
        if (strcmp(c->fol[i]->path, path) == 0 ||
            (c->fol[i]->real[0] && strcmp(c->fol[i]->real, path) == 0))
            return c->fol[i];
    return NULL;
}

/* A follower for session `name` of history when path names its
 * metrics.json, directly or through history's link to it. */
static struct follower *session_match(struct inj_top_collector *c, const char *name,
                                      const char *path)
{
    struct follower f = {0}, *copy;
    char target[PATH_MAX];
    ssize_t n;

    if (inj_path_join(f.dir, sizeof f.dir, c->hist, name) < 0 ||
        inj_path_join(f.path, sizeof f.path, f.dir, INJ_METRICS_FILE) < 0)
        return NULL;
    /* history/<name> is ours; where its link points was written by scope */
    n = readlink(f.dir, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        if (inj_path_join(f.real, sizeof f.real, target, INJ_METRICS_FILE) < 0)
            f.real[0] = '\0';
    }
    if (strcmp(f.path, path) != 0 && (!f.real[0] || strcmp(f.real, path) != 0))
        return NULL;
    snprintf(f.name, sizeof f.name, "%s", name);
    if (!(copy = malloc(sizeof *copy)))
        return NULL;
    *copy = f;
    return copy;
}

/* The follower of the session whose metrics.json is `path`, made when a
 * session of history has it; NULL when none does. */
static struct follower *session_find(struct inj_top_collector *c, const char *path)
{
    struct follower *f = follower_of(c, path), **nv;

    if (f)
        return f;
    if (!c->listed) {
        free(c->list);
        c->list = NULL;
        c->nlist = 0;
        c->listed = inj_session_list(c->hist, &c->list, &c->nlist) == 0;
    }
    for (size_t i = c->nlist; !f && i-- > 0;)
        f = session_match(c, c->list[i].name, path);
    if (f && !(nv = realloc(c->fol, (c->nfol + 1) * sizeof *nv))) {
        free(f);
        return NULL;
    }
    if (f) {
        c->fol = nv;
        c->fol[c->nfol++] = f;
    }
    return f;
}

/* Read what was added to f's metrics.json since the last frame; a file
 * replaced or cut is read from its new tail. */
static int follow(struct follower *f)
{
    struct stat st;
    off_t size;
    FILE *fp;
    int rc;

    if (f->refused)
        return 0;
    if (!(fp = inj_session_file_open(f->dir, INJ_METRICS_FILE, &size))) {
        f->refused = errno == 0;    /* it warned */
        return 0;
    }
    if (fstat(fileno(fp), &st) != 0) {
        fclose(fp);
        return 0;
    }
    if (st.st_dev != f->dev || st.st_ino != f->ino || size < f->tail.offset) {
        inj_top_metrics_free(&f->m);
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->tail.offset = size > INJ_TOP_TAIL ? size - INJ_TOP_TAIL : 0;
        f->tail.skip_line = f->tail.offset > 0;     /* the tail starts inside a line */
    }
    rc = fseeko(fp, f->tail.offset, SEEK_SET) == 0
             ? inj_top_tail_read(&f->tail, fp, size, READ_PER_FRAME, &f->m) : 0;
    fclose(fp);
    return rc;
}

/* ---- processes ----------------------------------------------------------- */

static long count_fds(pid_t pid)
{
    char path[64];
    struct dirent *e;
    long n = 0;
    DIR *d;

    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    if (!(d = opendir(path)))
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int read_stat(pid_t pid, struct inj_top_stat *s)
{
    char path[64], text[4096];
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "re")))
        return -1;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return inj_top_stat_parse(text, s);
}

static double cpu_of(struct inj_top_collector *c, pid_t pid, unsigned long long ticks)
{
    double cpu = -1;

    for (size_t i = 0; i < c->nprev; i++)
        if (c->prev[i].pid == pid)
            cpu = inj_top_cpu_percent(c->prev[i].ticks, ticks, c->mono - c->prev[i].at,
                                      c->hz);
    c->cur[c->ncur++] = (struct cpu_sample){pid, ticks, c->mono};
    return cpu;
}

static int grow_rows(struct inj_top_collector *c)
{
    size_t cap = c->caprows ? 2 * c->caprows : 32;
    struct inj_top_proc *rows = realloc(c->rows, cap * sizeof *rows);
    struct follower **fol;
    struct cpu_sample *cur;

    if (rows)
        c->rows = rows;
    fol = realloc(c->row_fol, cap * sizeof *fol);
    if (fol)
        c->row_fol = fol;
    cur = realloc(c->cur, cap * sizeof *cur);
    if (cur)
        c->cur = cur;
    if (!rows || !fol || !cur)
        return -1;
    c->caprows = cap;
    return 0;
}

/* Where the row's I/O figures come from, or why there are none. */
static struct follower *row_source(struct inj_top_collector *c, const struct inj_ps_row *r,
                                   struct inj_top_proc *p)
{
    const char *dest = r->st.metric_dest;
    struct follower *f;

    if (r->status_rc != 0) {
        snprintf(p->source, sizeof p->source, "status: %s", inj_look_status_error(r->status_rc));
        return NULL;
    }
    if (!dest[0]) {
        snprintf(p->source, sizeof p->source, "no metric destination");
        return NULL;
    }
    if (strncmp(dest, FILE_SCHEME, strlen(FILE_SCHEME)) != 0 ||
        !(f = session_find(c, dest + strlen(FILE_SCHEME)))) {
        snprintf(p->source, sizeof p->source, "metrics to %s (not a session)", dest);
        return NULL;
    }
    snprintf(p->source, sizeof p->source, "%s", f->name);
    f->used = true;
    return f;
}

static int row_add(const struct inj_ps_row *r, void *ctx)
{
    struct inj_top_collector *c = ctx;
    struct inj_top_proc *p;
    struct inj_top_stat s;

    if (c->nrows == c->caprows && grow_rows(c) < 0)
        return -1;
    p = &c->rows[c->nrows];
    memset(p, 0, sizeof *p);
    p->pid = r->pid;
    snprintf(p->comm, sizeof p->comm, "%s", r->comm);
    p->state = r->status_rc ? "unknown" : inj_look_state_name(&r->st);
    p->cpu = -1;
    p->rss_kib = p->threads = -1;
    if (read_stat(r->pid, &s) == 0) {
        p->cpu = cpu_of(c, r->pid, s.ticks);
        p->rss_kib = s.rss_pages * c->page_kib;
        p->threads = s.threads;
    }
    p->fds = count_fds(r->pid);
    c->row_fol[c->nrows++] = row_source(c, r, p);
    return 0;
}

/* Drop the sessions no process writes to any more. */
static void followers_sweep(struct inj_top_collector *c)
{
    size_t kept = 0;

    for (size_t i = 0; i < c->nfol; i++) {
        if (c->fol[i]->used)
            c->fol[kept++] = c->fol[i];
        else
            follower_free(c->fol[i]);
    }
    c->nfol = kept;
}

int inj_top_collect(struct inj_top_collector *c, struct inj_top_frame *f)
{
    struct cpu_sample *swap;
    int rc;

    memset(f, 0, sizeof *f);
    c->now = clock_seconds(CLOCK_REALTIME);
    c->mono = clock_seconds(CLOCK_MONOTONIC);
    c->nrows = c->ncur = 0;
    c->listed = false;
    for (size_t i = 0; i < c->nfol; i++)
        c->fol[i]->used = false;
    rc = inj_ps_scan(row_add, c, f->note, sizeof f->note);
    if (rc < 0)
        return -1;
    followers_sweep(c);
    for (size_t i = 0; i < c->nfol; i++) {
        if (follow(c->fol[i]) < 0)
            return -1;
        inj_top_metrics_prune(&c->fol[i]->m, c->now);
    }
    for (size_t i = 0; i < c->nrows; i++) {
        struct inj_top_proc *p = &c->rows[i];
        if (c->row_fol[i] && c->row_fol[i]->refused)
            snprintf(p->source, sizeof p->source, "%s: %s is not a regular file",
                     c->row_fol[i]->name, INJ_METRICS_FILE);
        p->io = c->row_fol[i] ? inj_top_metrics_of(&c->row_fol[i]->m, p->pid) : NULL;
        /* the frame began before the newest lines were read */
        p->io_age = p->io && c->now > p->io->time ? c->now - p->io->time : 0;
    }
    /* this frame's samples are the next one's before; the buffer swapped
     * in must hold a sample per row, as grow_rows() keeps cur */
    swap = c->prev;
    c->prev = c->cur;
    c->nprev = c->ncur;
    c->ncur = 0;
    c->cur = swap;
    if (c->caprows) {
        if (!(swap = realloc(c->cur, c->caprows * sizeof *swap)))
            return -1;
        c->cur = swap;
    }
    f->v = c->rows;
    f->n = c->nrows;
    f->now = c->now;
    return 0;
}
