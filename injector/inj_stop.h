/* inj_stop.h: run a piece of work on a target's stopped thread and give
 * the thread back, whatever happened, with SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT to scope held until then (the target must never be left to
 * return into our call). */
#ifndef INJ_STOP_H
#define INJ_STOP_H

#include "inj_judge.h"
#include "inj_ptrace.h"

/* Stop tg (inj_ptrace_stop into *t), run work(t, ctx), release it. 0, or
 * the exit status after the reason is printed (the worst of the work's
 * and the release's results). */
int inj_with_stopped(const struct inj_process *tg, struct inj_tracee *t,
                     int (*work)(struct inj_tracee *, void *), void *ctx);

/* --verbose: "scope: PID stopped for N ms (phases)". */
void inj_stop_print(const struct inj_tracee *t, const char *phases);

#endif
