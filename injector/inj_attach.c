/* inj_attach.c: `scope attach` (see inj_attach.h).
 *
 * Everything that can be judged from /proc and the files is judged before
 * the target is touched (inj_judge): its state, whether we may trace it,
 * whether libscope is already there, its executable, the library file.
 * Then one thread is stopped once (inj_stop, inj_ptrace), the calls run on
 * it (inj_inject), and it is given back. Errors print "scope: ..." and
 * exit 1; usage errors exit 2.
 */
#include "inj_attach.h"
#include "inj_term.h"

#include "inj_attach_session.h"
#include "inj_cli.h"
#include "inj_config.h"
#include "inj_help.h"
#include "inj_inject.h"
#include "inj_interp.h"
#include "inj_judge.h"
#include "inj_libcopy.h"
#include "inj_lock.h"
#include "inj_proc.h"
#include "inj_stop.h"
#include "inj_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct attach_job {
    const struct inj_libc *libc;
    const char *lib, *config;
    int loaded;
    struct inj_timings tm;
    int result;
};

static int attach_work(struct inj_tracee *t, void *ctx)
{
    struct attach_job *j = ctx;
    return inj_load_and_attach(t, j->libc, j->lib, j->config, j->loaded, &j->tm, &j->result);
}

/* 0 to go on, 1 when refused (printed), 2 when it is attached already
 * (printed). *loaded: libscope is mapped there but detached. */
static int attach_judge(const struct inj_process *t, const char *lib, int *loaded)
{
    struct scope_ctl_status st;
    int rc;

    if ((rc = inj_judge_look(t, &st, loaded)) != 0)
        return rc;
    if (*loaded && st.state == SCOPE_CTL_ATTACHED) {
        char comm[INJ_TERM_CAP(sizeof t->comm)], dest[INJ_TERM_CAP(sizeof st.metric_dest)];
        fprintf(stderr, "scope: %d (%s) is already attached; metrics go to %s\n", (int)t->pid,
                inj_term(t->comm, comm, sizeof comm),
                st.metric_dest[0] ? inj_term(st.metric_dest, dest, sizeof dest) : "nowhere");
        return 2;
    }
    if ((rc = inj_judge_not_traced(t)) != 0 || (rc = inj_judge_program(t)) != 0)
        return rc;
    return inj_judge_library(t, lib);
}

static int attach_run(const struct inj_attach_opts *o, const struct inj_process *t,
                      const char *lib, const struct inj_config *cfg, struct attach_job *j,
                      struct inj_attach_dests *d)
{
    struct inj_maps maps;
    struct inj_libc libc;
    struct inj_tracee *tracee;
    char why[1024];
    int rc;

    if ((rc = inj_maps_read(t->proc, &maps)) < 0) {
        snprintf(why, sizeof why, "cannot read its memory map: %s", strerror(-rc));
        return inj_judge_fail(t, why);
    }
    rc = inj_libc_resolve(t->proc, &maps, &libc, why, sizeof why);
    inj_maps_free(&maps);
    if (rc < 0)
        return inj_judge_fail(t, why);
    if (inj_attach_session_make(o, t, lib, d) < 0)
        return 1;
    char *config = inj_config_block(&o->lib, &d->to, d->dir, cfg);
    if (!config || !(tracee = malloc(sizeof *tracee))) {
        free(config);
        return 1;
    }
    j->libc = &libc;
    j->config = config;
    rc = inj_with_stopped(t, tracee, attach_work, j);
    if (rc == 0 && o->verbose) {
        char phases[96];
        if (j->loaded)
            snprintf(phases, sizeof phases, "attach %.1f ms", j->tm.call_ms);
        else
            snprintf(phases, sizeof phases, "dlopen %.1f ms, attach %.1f ms",
                     j->tm.dlopen_ms, j->tm.call_ms);
        inj_stop_print(tracee, phases);
    }
    free(tracee);
    free(config);
    return rc;
}

/* What scope_ctl_attach() said, told to the user. */
static int attach_report(const struct inj_process *t, const struct attach_job *j,
                         struct inj_attach_dests *d)
{
    struct scope_ctl_status st;
    char why[700], comm[INJ_TERM_CAP(sizeof t->comm)];
    char metric[INJ_TERM_CAP(sizeof d->to.metric)], event[INJ_TERM_CAP(sizeof d->to.event)];

    if (j->result < 0) {
        int rc = inj_scope_status(t->pid, &st, NULL, 0);
        snprintf(why, sizeof why, "libscope.so is loaded but could not attach: %s",
                 rc == 0 && st.error[0] ? st.error : "no reason given");
        inj_attach_session_remove(d);
        return inj_judge_fail(t, why);
    }
    fprintf(stderr, "scope: attached to %d (%s)", (int)t->pid,
            inj_term(t->comm, comm, sizeof comm));
    if (d->dir[0])
        fprintf(stderr, "\nscope: session %s\n", d->dir);
    else
        fprintf(stderr, "; metrics go to %s, events to %s\n",
                inj_term(d->to.metric, metric, sizeof metric),
                inj_term(d->to.event, event, sizeof event));
    return 0;
}

/* lib becomes the build of libscope.so for t's C library. 0, or 1
 * printed. */
static int attach_library(const struct inj_process *t, char *lib, size_t cap)
{
    char exe[64], glibc[PATH_MAX], why[PATH_MAX * 2 + 256];

    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)t->proc);
    snprintf(glibc, sizeof glibc, "%s", lib);
    if (inj_interp_library(exe, glibc, lib, cap, why, sizeof why) == 0)
        return 0;
    return why[0] ? inj_judge_fail(t, why) : 1;
}

/* Attach t, holding its lock. */
static int attach_target(const struct inj_attach_opts *o, const struct inj_config *cfg,
                         const struct inj_process *t)
{
    struct inj_attach_dests d = {0};
    struct attach_job j = {0};
    char ours[PATH_MAX], lib[PATH_MAX + 96];
    int rc;

    if (inj_find_library(ours, sizeof ours) < 0 || attach_library(t, ours, sizeof ours) != 0 ||
        inj_library_for(t, ours, lib, sizeof lib) < 0)
        return 1;
    if ((rc = attach_judge(t, lib, &j.loaded)) != 0)
        return rc == 2 ? 0 : rc;
    j.lib = lib;
    if ((rc = attach_run(o, t, lib, cfg, &j, &d)) != 0) {
        inj_attach_session_remove(&d);
        return rc;
    }
    return attach_report(t, &j, &d);
}

/* Attach, once the configuration is known. */
static int attach_configured(const struct inj_attach_opts *o, const struct inj_config *cfg)
{
    struct inj_process t;
    int rc, lock;

    if ((rc = inj_process_resolve(o->target, "attach", &t)) != 0)
        return rc;
    if ((lock = inj_target_lock(t.pid)) == -2)
        return 1;
    rc = attach_target(o, cfg, &t);
    inj_target_unlock(lock);
    return rc;
}

static int attach_go(void *o, const struct inj_config *cfg)
{
    return attach_configured(o, cfg);
}

int inj_attach_main(int argc, char **argv)
{
    struct inj_attach_opts o;
    enum inj_cli_result r = inj_cli_attach(argc, argv, &o);

    if (r != INJ_CLI_OK)
        return r == INJ_CLI_HELP ? (inj_help_print("attach", stdout), 0) : 2;
    return inj_config_run("attach", &o.lib, attach_go, &o);
}
