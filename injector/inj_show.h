/* inj_show.h: `scope metrics`, `scope events` and `scope history`: read
 * recorded sessions and print them as tables (or raw with --json). Each
 * returns the exit status: 0, or 1 when there is nothing to show. */
#ifndef INJ_SHOW_H
#define INJ_SHOW_H

#include "inj_cli.h"

int inj_show_metrics(const struct inj_show_opts *o);
int inj_show_events(const struct inj_show_opts *o);
int inj_show_history(void);

#endif
