/* inj_show.h: `scope metrics`, `scope events` and `scope history`: read
 * recorded sessions and print them as tables (or raw with --json), or
 * follow them as they are written (--follow). Each returns the exit
 * status: 0, or 1 when there is nothing to show.
 *
 * Also what the other readers of sessions share (inj_follow, inj_graph,
 * inj_trace): the session the flags name, and a session file's lines.
 */
#ifndef INJ_SHOW_H
#define INJ_SHOW_H

#include "inj_cli.h"
#include "inj_lines.h"

#include <stddef.h>

int inj_show_metrics(const struct inj_show_opts *o);
int inj_show_events(const struct inj_show_opts *o);
int inj_show_history(void);

/* The directory of the session --id names; without it, the newest session
 * started for --pid, else the newest. 0, or -1 after saying why. */
int inj_show_session_dir(const struct inj_show_opts *o, char *dir, size_t len);

/* What a line callback says of a line. */
enum inj_line_verdict { INJ_LINE_OK, INJ_LINE_MALFORMED, INJ_LINE_FATAL };
/* root: the line parsed, NULL when it is no JSON; line: len bytes, NUL-
 * terminated, with its '\n' when it has one. */
typedef enum inj_line_verdict inj_line_fn(json_t *root, const char *line, size_t len,
                                          void *ctx);

/* each() for every line of dir/file (as it is now) that the flags' filter
 * lets through; malformed ones counted and said. 0, or -1 after saying
 * why. */
int inj_show_read(const struct inj_show_opts *o, const char *dir, const char *file,
                  inj_line_fn *each, void *ctx);
/* A line callback that prints the raw line. */
enum inj_line_verdict inj_show_raw(json_t *root, const char *line, size_t len, void *ctx);
/* "scope: N malformed lines skipped" when n. */
void inj_show_malformed(size_t n);

#endif
