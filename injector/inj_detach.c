/* inj_detach.c: `scope detach` (see inj_detach.h): scope_ctl_detach() run
 * on a stopped thread of each process named, after the checks attach
 * makes too (inj_judge). */
#include "inj_detach.h"
#include "inj_term.h"

#include "inj_cli.h"
#include "inj_help.h"
#include "inj_inject.h"
#include "inj_judge.h"
#include "inj_lock.h"
#include "inj_proc.h"
#include "inj_stop.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct detach_job {
    struct inj_libc libc;
    int restored;
    double ms;
};

/* scope_ctl_detach()'s result is lost with the safe call: the slots it
 * restored are those its status no longer counts, and it was not attached
 * (-1) when the status does not change to detached. */
static int detach_work(struct inj_tracee *t, void *ctx)
{
    struct scope_ctl_status before, after;
    struct detach_job *j = ctx;

    if (inj_scope_status(t->tid, &before, NULL, 0) != 0) {
        snprintf(t->why, sizeof t->why, "cannot read libscope's status in %d", (int)t->pid);
        return INJ_FAILED;
    }
    int rc = inj_scope_call(t, &j->libc, "scope_ctl_detach", NULL, 0, &j->ms);
    if (rc != 0)
        return rc;
    if (inj_scope_status(t->tid, &after, NULL, 0) != 0 || after.state == SCOPE_CTL_ATTACHED)
        j->restored = -1;
    else
        j->restored = (int)before.patched_slots - (int)after.patched_slots;
    return 0;
}

/* What the safe call needs of libc, found before the process is stopped. */
static int detach_libc(const struct inj_process *t, struct inj_libc *libc)
{
    struct inj_maps maps;
    char why[1024];
    int rc = inj_maps_read(t->proc, &maps);

    if (rc < 0) {
        snprintf(why, sizeof why, "cannot read its memory map: %s", strerror(-rc));
        return inj_judge_fail(t, why);
    }
    rc = inj_libc_resolve(t->proc, &maps, libc, why, sizeof why);
    inj_maps_free(&maps);
    return rc < 0 ? inj_judge_fail(t, why) : 0;
}

/* Detach one process, holding its lock. */
static int detach_locked(const struct inj_process *t, int verbose)
{
    struct scope_ctl_status st;
    struct detach_job j = {0};
    struct inj_tracee *tracee;
    int rc, loaded;

    if ((rc = inj_judge_look(t, &st, &loaded)) != 0)
        return rc;
    if (!loaded || st.state != SCOPE_CTL_ATTACHED) {
        char why[128];
        snprintf(why, sizeof why, "it is not attached (libscope.so is %s)",
                 loaded ? "loaded but detached" : "not loaded in it");
        return inj_judge_fail(t, why);
    }
    if ((rc = inj_judge_not_traced(t)) != 0 || (rc = detach_libc(t, &j.libc)) != 0)
        return rc;
    if (!(tracee = malloc(sizeof *tracee)))
        return 1;
    rc = inj_with_stopped(t, tracee, detach_work, &j);
    if (rc == 0 && j.restored < 0)
        rc = inj_judge_fail(t, "scope_ctl_detach() says it was not attached");
    if (rc == 0) {
        char comm[INJ_TERM_CAP(sizeof t->comm)];
        fprintf(stderr, "scope: detached from %d (%s): %d GOT slots restored\n",
                (int)t->pid, inj_term(t->comm, comm, sizeof comm), j.restored);
        if (verbose) {
            char phases[64];
            snprintf(phases, sizeof phases, "detach %.1f ms", j.ms);
            inj_stop_print(tracee, phases);
        }
    }
    free(tracee);
    return rc;
}

static int detach_one(const struct inj_process *t, int verbose)
{
    int lock = inj_target_lock(t->pid);

    if (lock == -2)
        return 1;
    int rc = detach_locked(t, verbose);
    inj_target_unlock(lock);
    return rc;
}

struct procs {
    pid_t *pid, *ppid;
    size_t n, cap;
};

static int procs_add(struct procs *p, pid_t pid, pid_t ppid)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        pid_t *a = realloc(p->pid, cap * sizeof *a);
        if (a)
            p->pid = a;
        pid_t *b = a ? realloc(p->ppid, cap * sizeof *b) : NULL;
        if (!b)
            return -1;
        p->ppid = b;
        p->cap = cap;
    }
    p->pid[p->n] = pid;
    p->ppid[p->n++] = ppid;
    return 0;
}

/* Every process of /proc with its parent. 0, or -1 after a message. */
static int procs_read(struct procs *p)
{
    struct dirent *e;
    DIR *d = opendir("/proc");

    memset(p, 0, sizeof *p);
    if (!d) {
        fprintf(stderr, "scope: cannot read /proc: %s\n", strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name), ppid;
        if (pid > 0 && (ppid = inj_proc_parent(pid)) > 0 && procs_add(p, pid, ppid) < 0) {
            fprintf(stderr, "scope: out of memory\n");
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static void procs_free(struct procs *p)
{
    free(p->pid);
    free(p->ppid);
}

/* The attached descendants of root, parents before their children, into
 * out (malloc'd, *n of them). Children forked while a process is attached
 * inherit the attach. 0, or -1 after a message. */
static int attached_descendants(pid_t root, pid_t **out, size_t *n)
{
    struct scope_ctl_status st;
    struct procs all, tree;
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (procs_read(&all) < 0)
        return -1;
    memset(&tree, 0, sizeof tree);
    if (procs_add(&tree, root, 0) < 0)
        goto out;
    /* Breadth first: each process found is a parent to look for in turn. */
    for (size_t i = 0; i < tree.n; i++)
        for (size_t j = 0; j < all.n; j++)
            if (all.ppid[j] == tree.pid[i] && procs_add(&tree, all.pid[j], tree.pid[i]) < 0)
                goto out;
    if (!(*out = calloc(tree.n, sizeof **out)))
        goto out;
    for (size_t i = 1; i < tree.n; i++)
        if (inj_scope_status(tree.pid[i], &st, NULL, 0) == 0 && st.state == SCOPE_CTL_ATTACHED)
            (*out)[(*n)++] = tree.pid[i];
    rc = 0;
out:
    if (rc < 0)
        fprintf(stderr, "scope: out of memory\n");
    procs_free(&all);
    procs_free(&tree);
    return rc;
}

static int detach_pid(pid_t pid, int verbose)
{
    struct inj_process t;

    if (inj_process_read(pid, &t) != 0)
        return 0;       /* gone since we looked: nothing left to detach */
    t.doing = "detach";
    return detach_one(&t, verbose);
}

/* The process named, then the descendants that inherited its attach
 * (detached after it: it forks no more attached children then). */
static int detach_tree(const struct inj_process *t, const struct inj_attach_opts *o)
{
    pid_t *kids;
    size_t n;
    int failed = detach_one(t, o->verbose) != 0;

    if (o->no_children)
        return failed;
    if (attached_descendants(t->pid, &kids, &n) < 0)
        return 1;
    if (n) {
        fprintf(stderr, "scope: %zu descendant%s of %d inherited the attach:", n,
                n == 1 ? "" : "s", (int)t->pid);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %d", (int)kids[i]);
        fprintf(stderr, "\n");
    }
    for (size_t i = 0; i < n; i++)
        failed |= detach_pid(kids[i], o->verbose) != 0;
    free(kids);
    return failed;
}

/* Every process whose libscope status says attached. */
static int detach_all(int verbose)
{
    struct scope_ctl_status st;
    struct dirent *e;
    int failed = 0, found = 0;
    DIR *d = opendir("/proc");

    if (!d) {
        fprintf(stderr, "scope: cannot read /proc: %s\n", strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid == getpid() || inj_scope_status(pid, &st, NULL, 0) != 0 ||
            st.state != SCOPE_CTL_ATTACHED)
            continue;
        found++;
        failed |= detach_pid(pid, verbose) != 0;
    }
    closedir(d);
    if (!found)
        fprintf(stderr, "scope: no process is attached\n");
    return failed;
}

int inj_detach_main(int argc, char **argv)
{
    struct inj_attach_opts o;
    struct inj_process t;
    enum inj_cli_result r = inj_cli_detach(argc, argv, &o);
    int rc;

    if (r != INJ_CLI_OK)
        return r == INJ_CLI_HELP ? (inj_help_print("detach", stdout), 0) : 2;
    if (o.all)
        return detach_all(o.verbose);
    if ((rc = inj_process_resolve(o.target, "detach", &t)) != 0)
        return rc;
    return detach_tree(&t, &o);
}
