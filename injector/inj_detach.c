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
    int restored;
    double ms;
};

static int detach_work(struct inj_tracee *t, void *ctx)
{
    struct detach_job *j = ctx;
    return inj_scope_call(t, "scope_ctl_detach", NULL, 0, &j->restored, &j->ms);
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
    if ((rc = inj_judge_not_traced(t)) != 0)
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

/* Every process whose libscope status says attached. */
static int detach_all(int verbose)
{
    struct scope_ctl_status st;
    struct inj_process t;
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
            st.state != SCOPE_CTL_ATTACHED || inj_process_read(pid, &t) != 0)
            continue;
        t.doing = "detach";
        found++;
        failed |= detach_one(&t, verbose) != 0;
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
    return detach_one(&t, o.verbose);
}
