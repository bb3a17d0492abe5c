/* inj_top_act.h: what `scope top` does besides looking: attach and detach,
 * run as `scope attach` and `scope detach` run them (the same code, in a
 * child process whose output is collected instead of reaching the screen),
 * and the stderr of the view held while the screen is ours. */
#ifndef INJ_TOP_ACT_H
#define INJ_TOP_ACT_H

#include <stddef.h>

/* `scope attach -p 1 -v 5 TARGET` (one period a second, files and peers
 * named: what the view shows) or `scope detach TARGET`. Its last line of
 * output into msg; returns its exit status (-1: it could not be run). */
int inj_top_act_attach(const char *target, char *msg, size_t cap);
int inj_top_act_detach(const char *target, char *msg, size_t cap);

/* While the screen is ours, what is written to stderr is kept instead
 * (a pipe, never blocking the writer: a flood is cut). start: 0 or -1;
 * last: the newest complete line since the last call into msg (1), or
 * 0 when none came; stop: stderr back, and what was kept and not shown
 * printed on it. */
int inj_top_stderr_start(void);
int inj_top_stderr_last(char *msg, size_t cap);
void inj_top_stderr_stop(void);

#endif
