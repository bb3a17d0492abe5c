/* inj_attach_session.h: the session directory `scope attach` makes for a
 * running process (as `scope run` does for the program it starts), unless
 * both destinations are given (option, variable or file).
 *
 * The process opens the session's files itself, as its own user: when
 * scope runs as root and the process as another user, the directory is
 * made in inj_shared_parent(), handed to that user (files first, the
 * directory last) and linked from $SCOPE_HOME/history/. A process in
 * another mount namespace or root (handed, inj_handover.h) gets the files
 * as descriptors: its session is made like one of our own processes'.
 */
#ifndef INJ_ATTACH_SESSION_H
#define INJ_ATTACH_SESSION_H

#include "inj_cli.h"
#include "inj_judge.h"
#include "inj_session.h"

#include <limits.h>
#include <stdbool.h>

struct inj_attach_dests {
    struct inj_dests to;        /* shared with scope run */
    char dir[PATH_MAX];         /* the session directory, "" for none */
    char link[PATH_MAX];        /* its symlink in history/, "" for none */
};

/* Fill *d: the destinations, and the session directory (with its empty
 * metrics.json/events.json and info.json) when one is needed. 0, or -1
 * after the reason is printed (nothing is left behind). */
int inj_attach_session_make(const struct inj_attach_opts *o, const struct inj_process *t,
                            const char *lib, bool handed, struct inj_attach_dests *d);

/* Remove what inj_attach_session_make() made (nothing when it made none). */
void inj_attach_session_remove(struct inj_attach_dests *d);

#endif
