/* inj_run.h: `scope run`: start CMD with libscope.so preloaded and the
 * SCOPE_* environment set, wait for it, and record the session. */
#ifndef INJ_RUN_H
#define INJ_RUN_H

#include "inj_cli.h"

/* Returns scope's exit status: CMD's own, 128+N when CMD died by signal N,
 * 126/127 when it could not be executed, 2 when scope refused or failed to
 * set up the run. */
int inj_run(const struct inj_run_opts *o);

#endif
