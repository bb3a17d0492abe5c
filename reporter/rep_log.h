/* rep_log.h: libscope.so's own diagnostics log.
 *
 * One process-wide log, configured once at attach (SCOPE_LOG_LEVEL,
 * SCOPE_LOG_DEST: rep_config.h). Lines look like
 *     2026-11-26T08:12:12.123Z scope[1234] warning: what happened
 * The file is created on the first line that passes the level, mode 0600,
 * never through a symlink; with no SCOPE_LOG_DEST it is libscope.log in the
 * CLI's session directory, else in $HOME/.scope (made then, not before).
 * Not for wrapper paths nor signal handlers: it formats with snprintf,
 * takes a lock and may open a file.
 */
#ifndef REP_LOG_H
#define REP_LOG_H

#include "rep_config.h"

/* Where and how much to log, from c (as rep_config_load checked it). With
 * no HOME of ours for the default place, the log is quietly off. */
void rep_log_configure(const struct rep_config *c);

/* A line at level, when the configured level lets it through. */
void rep_log(enum rep_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether a line at level would be written (to skip costly formatting). */
int rep_log_wants(enum rep_log_level level);

/* Where to keep the log's descriptor (-1: none) for the program's close()
 * to leave alone. */
void rep_log_publish(int *slot);

/* The calling thread (the reporter's) works in a descriptor table of its
 * own from now on: it gets a log descriptor of its own. */
void rep_log_own_table(void);

/* In a fork child: the lock another thread of the parent held is free. */
void rep_log_after_fork_child(void);

/* Detach: close the file and log nothing until configured again. */
void rep_log_close(void);

#endif
