/* inj_attach_session.c: the session directory of `scope attach` (see
 * inj_attach_session.h). */
#include "inj_attach_session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Hand the session to the process's user: files first, the directory last,
 * so nobody else can swap a file in between; all in the directory as
 * verified, never through a symlink. */
static int give_session(const struct inj_attach_dests *d, const struct inj_process *t)
{
    static const char *const files[] = {INJ_METRICS_FILE, INJ_EVENTS_FILE};
    int dfd = inj_dir_open_verified(d->dir), rc = dfd < 0 ? -1 : 0;

    for (size_t i = 0; rc == 0 && i < 2; i++)
        if (fchownat(dfd, files[i], t->uid[1], t->gid[1], AT_SYMLINK_NOFOLLOW) != 0 &&
            errno != ENOENT) {
            fprintf(stderr, "scope: cannot chown %s/%s: %s\n", d->dir, files[i],
                    strerror(errno));
            rc = -1;
        }
    if (rc == 0 && fchown(dfd, t->uid[1], t->gid[1]) != 0) {
        fprintf(stderr, "scope: cannot chown %s: %s\n", d->dir, strerror(errno));
        rc = -1;
    }
    if (dfd >= 0)
        close(dfd);
    return rc;
}

/* /proc/PID/cmdline as a JSON array. */
static json_t *cmdline_json(pid_t pid)
{
    char path[64], buf[4096];
    json_t *cmd = json_array();
    size_t n = 0;

    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "re");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        json_array_append_new(cmd, json_string(buf + i));
    return cmd;
}

static int write_info(const struct inj_attach_dests *d, const struct inj_process *t,
                      const char *lib, unsigned long n, long long start)
{
    json_t *info = json_pack("{s:o, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:b}",
                             "cmd", cmdline_json(t->pid), "proc", t->comm,
                             "pid", (json_int_t)t->pid, "n", (json_int_t)n,
                             "start", (json_int_t)start, "library", lib,
                             "metric_dest", d->to.metric, "event_dest", d->to.event,
                             "attached", 1);
    if (!info) {
        fprintf(stderr, "scope: out of memory\n");
        return -1;
    }
    if (d->to.metric_format)
        json_object_set_new(info, "metric_format", json_string(d->to.metric_format));
    int rc = inj_info_write(d->dir, info);
    json_decref(info);
    return rc;
}

void inj_attach_session_remove(struct inj_attach_dests *d)
{
    if (d->dir[0])
        inj_session_remove(d->dir);
    if (d->link[0])
        unlink(d->link);
    d->dir[0] = d->link[0] = '\0';
}

/* A process of another user cannot reach our home: as root, its session
 * is made in inj_shared_parent() and linked from history/. One handed its
 * files as descriptors opens nothing by path: the session stays ours. */
int inj_attach_session_make(const struct inj_attach_opts *o, const struct inj_process *t,
                            const char *lib, bool handed, struct inj_attach_dests *d)
{
    char hist[PATH_MAX], parent[PATH_MAX];
    long long start = (long long)time(NULL);
    unsigned long n;
    int theirs = !handed && geteuid() == 0 && t->uid[1] != 0;
    int rc;

    memset(d, 0, sizeof *d);
    if (o->lib.metric_dest && o->lib.event_dest) {
        inj_dests_choose(o->lib.metric_dest, o->lib.event_dest, o->lib.metric_format, d->dir, &d->to);
        return 0;
    }
    if (inj_history_dir(hist, sizeof hist) < 0)
        return -1;
    if (theirs)
        rc = inj_shared_parent(parent, sizeof parent) < 0 ? -1 :
             inj_session_create_linked(hist, parent, t->comm, t->pid, start, d->dir,
                                       sizeof d->dir, &n);
    else
        rc = inj_session_create(hist, t->comm, t->pid, start, d->dir, sizeof d->dir, &n);
    if (rc < 0)
        return -1;
    if (theirs)
        inj_path_join(d->link, sizeof d->link, hist, strrchr(d->dir, '/') + 1);
    inj_dests_choose(o->lib.metric_dest, o->lib.event_dest, o->lib.metric_format, d->dir, &d->to);
    if ((!o->lib.metric_dest && inj_session_touch(d->dir, INJ_METRICS_FILE) < 0) ||
        (!o->lib.event_dest && inj_session_touch(d->dir, INJ_EVENTS_FILE) < 0) ||
        write_info(d, t, lib, n, start) < 0 || (theirs && give_session(d, t) < 0)) {
        inj_attach_session_remove(d);
        return -1;
    }
    return 0;
}
