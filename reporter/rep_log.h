/* rep_log.h: libscope.so's own diagnostics log.
 *
 * One process-wide log, configured once at attach (SCOPE_LOG_LEVEL,
 * SCOPE_LOG_DEST: rep_config.h). Lines look like
 *     2026-11-26T08:12:12.123Z scope[1234] warning: what happened
 * The file is created on the first line that passes the level, mode 0600,
 * never through a symlink; with no SCOPE_LOG_DEST it is libscope.log in the
 * CLI's session directory, else in $HOME/.scope. Not for wrapper paths nor
 * signal handlers: it formats with snprintf and may open a file.
 */
#ifndef REP_LOG_H
#define REP_LOG_H

#include "rep_config.h"

/* Where and how much to log, from c. Returns 0, or -1 with a reason in err
 * (the log is then off). */
int rep_log_configure(const struct rep_config *c, char *err, size_t errlen);

/* A line at level, when the configured level lets it through. */
void rep_log(enum rep_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether a line at level would be written (to skip costly formatting). */
int rep_log_wants(enum rep_log_level level);

/* Detach: close the file and log nothing until configured again. */
void rep_log_close(void);

#endif
