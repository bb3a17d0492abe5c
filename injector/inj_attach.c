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
#include "inj_handover.h"
#include "inj_help.h"
#include "inj_inject.h"
#include "inj_interp.h"
#include "inj_judge.h"
#include "inj_libcopy.h"
#include "inj_lock.h"
#include "inj_proc.h"
#include "inj_stop.h"
#include "inj_target.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct attach_job {
    const struct inj_libc *libc;
    const char *lib, *config;
    int loaded;
    bool handed;                /* its files are not ours: it gets descriptors */
    struct inj_handover *hand;  /* while handed: what it gets */
    char container[80];         /* handed: its container's id, or "" */
    const struct inj_attach_opts *o;
    const struct inj_config *cfg;
    const struct inj_attach_dests *d;
    struct inj_timings tm;
    int result;
};

/* The configuration of a handed process, its container said: its pid as
 * we name it (the host's), the host's pid namespace when it was handed
 * one (for its children's), and the container's id when its cgroup shows
 * one. Its crash backtraces have no session directory it could reach. */
static char *handed_config(const struct attach_job *j, pid_t pid, const struct inj_dests *named)
{
    char *config = inj_config_block(&j->o->lib, named, "", j->cfg), host_pid[16], pidns[16];
    char handed[64];
    int ns = j->hand->theirs[INJ_HAND_PIDNS];

    snprintf(host_pid, sizeof host_pid, "%d", (int)pid);
    snprintf(pidns, sizeof pidns, "%d", ns);
    inj_handover_taken_list(j->hand, handed, sizeof handed);
    if (config && (inj_config_append(&config, "SCOPE_HOST_PID", host_pid) < 0 ||
                   (ns >= 0 && inj_config_append(&config, "SCOPE_HOST_PIDNS_FD", pidns) < 0) ||
                   inj_config_append(&config, "SCOPE_CONTAINER_ID", j->container) < 0 ||
                   (handed[0] &&
                    inj_config_append(&config, "SCOPE_HANDED_CLOSE", handed) < 0))) {
        free(config);
        return NULL;
    }
    return config;
}

/* first: t->why as the first step that failed (rc) left it. */
static void first_failure(char *first, const struct inj_tracee *t, int rc)
{
    if (rc && !first[0])
        memcpy(first, t->why, sizeof t->why);
}

/* A process whose files are not ours: the descriptors handed over, the
 * library loaded through its own, the configuration naming them; the
 * pair and the library's number closed once it is loaded, the rest by
 * the library once it took its copies (SCOPE_HANDED_CLOSE); whatever is
 * left closed at the end, whatever happened (a failed handover too: what
 * it received). What failed first is what is said. */
static int attach_handed(struct inj_tracee *t, struct attach_job *j)
{
    char lib[64], *config = NULL, first_why[sizeof t->why] = "";
    struct inj_dests named;
    int rc, crc = 0;

    t->restorer = j->libc->restorer;
    t->sigaltstack_fn = j->libc->sigaltstack;
    if ((rc = inj_handover_send(t, j->hand)) == 0) {
        inj_handover_names(j->hand, &j->d->to, lib, sizeof lib, &named);
        if (!(config = handed_config(j, t->pid, &named))) {
            snprintf(t->why, sizeof t->why, "out of memory");
            rc = INJ_FAILED;
        }
    }
    if (rc == 0 && !j->loaded)
        rc = inj_load(t, j->libc, lib, &j->tm);
    first_failure(first_why, t, rc);
    if (rc != INJ_EXITED)
        first_failure(first_why, t, crc = inj_handover_close_loaded(t, j->hand));
    if (rc == 0 && crc == 0)
        first_failure(first_why, t, rc = inj_attach_call(t, j->libc, config, &j->tm,
                                                         &j->result));
    free(config);
    if (rc != INJ_EXITED && crc != INJ_EXITED) {
        int lrc = inj_handover_close(t, j->hand);
        first_failure(first_why, t, lrc);
        crc = crc ? crc : lrc;
    }
    if (first_why[0])
        memcpy(t->why, first_why, sizeof first_why);
    return rc ? rc : crc;
}

static int attach_work(struct inj_tracee *t, void *ctx)
{
    struct attach_job *j = ctx;

    if (j->handed)
        return attach_handed(t, j);
    return inj_load_and_attach(t, j->libc, j->lib, j->config, j->loaded, &j->tm, &j->result);
}

/* 0 to go on, 1 when refused (printed), 2 when it is attached already
 * (printed). *loaded: libscope is mapped there but detached. A process
 * handed our files needs no path of ours, only a /proc to open them. */
static int attach_judge(const struct inj_process *t, const char *lib, bool handed, int *loaded)
{
    struct scope_ctl_status st;
    struct stat st_lib;
    char why[512];
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
    if (!handed)
        return inj_judge_library(t, lib);
    if (*loaded)
        return 0;
    if ((rc = inj_judge_library_safe(t, lib, &st_lib)) != 0 ||
        (rc = inj_judge_memfd_readable(t)) != 0)
        return rc;
    return inj_handover_proc_check(t->proc, why, sizeof why) < 0 ? inj_judge_fail(t, why) : 0;
}

static int attach_run(const struct inj_attach_opts *o, const struct inj_process *t,
                      const char *lib, const struct inj_config *cfg, struct attach_job *j,
                      struct inj_attach_dests *d)
{
    struct inj_maps maps;
    struct inj_libc libc;
    struct inj_handover hand;
    struct inj_tracee *tracee;
    char why[1024];
    int rc;

    if ((rc = inj_maps_read(t->proc, &maps)) < 0) {
        snprintf(why, sizeof why, "cannot read its memory map: %s", strerror(-rc));
        return inj_judge_fail(t, why);
    }
    rc = inj_libc_resolve(t->proc, &maps, &libc, why, sizeof why);
    if (rc < 0) {
        inj_maps_free(&maps);
        return inj_judge_fail(t, why);
    }
    if (inj_attach_session_make(o, t, lib, j->handed, d) < 0) {
        inj_maps_free(&maps);
        return 1;
    }
    if (j->handed) {
        inj_proc_container_id(t->proc, j->container, sizeof j->container);
        rc = inj_handover_prepare(&hand, t->proc, &maps, j->loaded ? NULL : lib, &d->to,
                                  o->dest_netns_target, why, sizeof why);
    }
    inj_maps_free(&maps);
    if (rc < 0)
        return inj_judge_fail(t, why);
    j->hand = j->handed ? &hand : NULL;
    char *config = j->handed ? NULL : inj_config_block(&o->lib, &d->to, d->dir, cfg);
    if ((!j->handed && !config) || !(tracee = malloc(sizeof *tracee))) {
        free(config);
        if (j->handed)
            inj_handover_free(&hand);
        return 1;
    }
    j->libc = &libc;
    j->config = config;
    j->o = o;
    j->cfg = cfg;
    j->d = d;
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
    if (j->handed)
        inj_handover_free(&hand);
    j->hand = NULL;
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

/* Does t get descriptors: its files are not ours, or scope connects a
 * network destination for it (in another network namespace)? */
static bool attach_gets_descriptors(const struct inj_attach_opts *o,
                                    const struct inj_process *t)
{
    bool target = o->dest_netns_target;

    return inj_handover_needed(t->proc) ||
           (o->lib.metric_dest && inj_handover_connects(t->proc, o->lib.metric_dest, target)) ||
           (o->lib.event_dest && inj_handover_connects(t->proc, o->lib.event_dest, target));
}

/* Attach t, holding its lock. */
static int attach_target(const struct inj_attach_opts *o, const struct inj_config *cfg,
                         const struct inj_process *t)
{
    struct inj_attach_dests d = {0};
    struct attach_job j = {0};
    char ours[PATH_MAX], lib[PATH_MAX + 96];
    bool handed = attach_gets_descriptors(o, t);
    int rc;

    /* A process handed our library as a descriptor needs no copy it can
     * reach by path; attach_library picks the build for its C library. */
    if (inj_find_library(ours, sizeof ours) < 0 || attach_library(t, ours, sizeof ours) != 0 ||
        (handed ? snprintf(lib, sizeof lib, "%s", ours) < 0
                : inj_library_for(t, ours, lib, sizeof lib) < 0))
        return 1;
    if ((rc = attach_judge(t, lib, handed, &j.loaded)) != 0)
        return rc == 2 ? 0 : rc;
    j.lib = lib;
    j.handed = handed;
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
