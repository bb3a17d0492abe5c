/* inj_look.h: what `scope ps` and `scope inspect` both say: libscope's
 * state in a process in words, and their JSON output. */
#ifndef INJ_LOOK_H
#define INJ_LOOK_H

#include "scope_ctl.h"

#include <jansson.h>

/* Why inj_scope_status() (rc, -errno) could not read a status that is there. */
const char *inj_look_status_error(int rc);

/* "run", "attached", "detached" or "unknown" (see `scope ps --help`). */
const char *inj_look_state_name(const struct scope_ctl_status *st);

/* s as a JSON string, or null when it is not valid UTF-8 (json_string()
 * refuses it; a path or destination may hold any bytes). */
json_t *inj_look_json_text(const char *s);

/* Print doc (and drop it) on stdout; 0, or 1 after "out of memory". */
int inj_look_json_print(json_t *doc);

#endif
