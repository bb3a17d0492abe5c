/* inj_follow.h: a session file as the library appends to it.
 *
 * Only whole lines are handed on: a line still being written waits for
 * its '\n'. The file is a session file (inj_session_file_open: a regular
 * file, no symlink followed, FIFOs and devices refused), read at most
 * INJ_TAIL_READ_MAX bytes a look; a line longer than INJ_TAIL_LINE_MAX is
 * skipped to its end and counted. When the library reopens its path (the
 * file was moved or deleted: logrotate), the old file is read to its end
 * before the new one, from its start, once the new one has anything in
 * it; a file cut short is read again from its start.
 */
#ifndef INJ_FOLLOW_H
#define INJ_FOLLOW_H

#include "inj_period.h"
#include "inj_show.h"

#include <stdbool.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

#define INJ_TAIL_LINE_MAX (1024 * 1024)
#define INJ_TAIL_READ_MAX (4 * 1024 * 1024)

struct inj_tail {
    char path[4096];
    FILE *f, *old;              /* old: the file before the path was reopened */
    dev_t dev;
    ino_t ino;
    off_t off;
    char *buf;                  /* the line being written */
    size_t len, cap;
    bool skipping;              /* in a line over INJ_TAIL_LINE_MAX */
    size_t cut;                 /* lines skipped for that, or lost in a cut */
};

/* -1 after saying why (the file cannot be opened, or is no regular file). */
int inj_tail_open(struct inj_tail *t, const char *dir, const char *name);
/* each() for every new whole line (NUL-terminated, with its '\n'); stops
 * at each()'s first INJ_LINE_FATAL. Returns the lines handed on, or -1. */
long inj_tail_poll(struct inj_tail *t, inj_line_fn *each, void *ctx);
void inj_tail_close(struct inj_tail *t);

/* How a follower prints: raw lines (--json) or one line of text each. */
struct inj_follow_print {
    bool json, metrics;
    struct inj_line_filter filter;
    struct inj_periods periods; /* metrics: for rates */
    size_t malformed;
};
/* For the lines of o (--json, the filters) of dir's metrics or events.
 * 0, or -1 after saying why. */
int inj_follow_print_init(struct inj_follow_print *fp, const struct inj_show_opts *o,
                          bool metrics, const char *dir);
/* Says how many lines were malformed. */
void inj_follow_print_free(struct inj_follow_print *fp);
/* An inj_line_fn for the lines of a follower, ctx a struct
 * inj_follow_print. */
enum inj_line_verdict inj_follow_line(json_t *root, const char *line, size_t len, void *ctx);

/* Follow dir/file until a signal ends it (SIGINT, SIGTERM, SIGHUP), or
 * until stop(ctx) says so (NULL: the session's process ended, as its
 * info.json says), then read what is left and return. Exit status: 0, or
 * 1 when the file cannot be followed. */
int inj_follow_file(const struct inj_show_opts *o, const char *dir, const char *file,
                    bool (*stop)(void *ctx), void *ctx);

/* `scope metrics --follow` and `scope events --follow`. */
int inj_follow_show(const struct inj_show_opts *o, const char *dir, const char *file);

/* Set by SIGINT, SIGTERM and SIGHUP once inj_follow_signals() ran. */
extern volatile sig_atomic_t inj_follow_interrupted;
void inj_follow_signals(void);

#endif
