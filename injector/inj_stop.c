/* inj_stop.c: a piece of work on a stopped target (see inj_stop.h). */
#include "inj_stop.h"
#include "inj_cpu.h"
#include "inj_seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Its seccomp filters, read now that it is stopped: true (t->why) when
 * one may kill or trap it on a call scope would make. */
static bool filters_harm(const struct inj_process *tg, struct inj_tracee *t)
{
    if (inj_seccomp_harmless(t->tid, tg->seccomp_filters, t->why, sizeof t->why) == 0)
        return false;
    if (strcmp(tg->doing, "detach") == 0) {
        size_t used = strlen(t->why);
        snprintf(t->why + used, sizeof t->why - used, " (it stays attached)");
    }
    return true;
}

int inj_with_stopped(const struct inj_process *tg, struct inj_tracee *t,
                     int (*work)(struct inj_tracee *, void *), void *ctx)
{
    char why[512];
    sigset_t quit, before;

    /* Ctrl-C and kill wait until the thread is given back: the work is
     * finished or undone first (SIGKILL cannot wait, and need not: each
     * call puts the thread back by itself, see inj_ptrace_call_safe). */
    sigemptyset(&quit);
    sigaddset(&quit, SIGINT);
    sigaddset(&quit, SIGTERM);
    sigaddset(&quit, SIGHUP);
    sigaddset(&quit, SIGQUIT);
    sigprocmask(SIG_BLOCK, &quit, &before);
    int rc = inj_ptrace_stop(t, tg->pid);

    if (rc == INJ_FAILED && t->error == EPERM) {
        inj_judge_explain_eperm(tg, why, sizeof why);
        return inj_judge_fail(tg, why);
    }
    if (rc == 0 && tg->seccomp == 2 && filters_harm(tg, t))
        rc = INJ_FAILED;        /* given back untouched */
    else if (rc == 0) {
        struct inj_cpu cpu;
        inj_cpu_join(&cpu, tg->pid, t->tid);
        rc = work(t, ctx);
        if (rc != INJ_EXITED) {
            memcpy(why, t->why, sizeof why);
            int released = inj_ptrace_release(t);
            if (released != 0)
                rc = released;
            else
                memcpy(t->why, why, sizeof why);
        }
        inj_cpu_leave(&cpu);
    }
    sigprocmask(SIG_SETMASK, &before, NULL);
    if (rc == INJ_EXITED)
        return inj_judge_exited(tg);
    return rc == 0 ? 0 : inj_judge_fail(tg, t->why);
}

void inj_stop_print(const struct inj_tracee *t, const char *phases)
{
    fprintf(stderr, "scope: %d stopped for %.1f ms (%s)\n", (int)t->pid, t->stopped_ms, phases);
}
