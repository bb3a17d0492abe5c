/* inj_session.h: session directories.
 *
 *   $SCOPE_HOME/history/<proc>_<n>_<pid>_<start>/   (SCOPE_HOME: ~/.scope)
 *       metrics.json   NDJSON metric lines written by libscope.so
 *       events.json    NDJSON event lines written by libscope.so
 *       info.json      what ran, written by scope: cmd, pid, start, ...
 *
 * <proc> is the basename of CMD (or the process's comm) with every byte
 * but letters, digits, '.', '-' and '+' (and a leading '.') made '_', <n>
 * the session number (1 + the highest in history/), <pid> CMD's pid, <start> the start time in Unix seconds.
 * Directories are 0700, files 0600. Every file is created (O_EXCL) or
 * replaced (renameat) relative to a directory opened without following a
 * symlink and checked to be ours and writable by nobody else: HOME may lie
 * in another user's tree. Errors are printed here ("scope: ...") and
 * returned as -1.
 */
#ifndef INJ_SESSION_H
#define INJ_SESSION_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define INJ_METRICS_FILE "metrics.json"
#define INJ_EVENTS_FILE "events.json"
#define INJ_INFO_FILE "info.json"

struct inj_session {
    char name[NAME_MAX + 1];    /* the directory name */
    unsigned long n;
    long pid;
    long long start;
};

/* "dir/name" into buf. */
int inj_path_join(char *buf, size_t len, const char *dir, const char *name);

/* dir opened (O_DIRECTORY, O_NOFOLLOW) and checked: owned by our effective
 * uid, not writable by group or others. The fd, or -1 after saying why. */
int inj_dir_open_verified(const char *dir);

/* "$SCOPE_HOME/history" into buf. */
int inj_history_dir(char *buf, size_t len);

/* Create history/ (and missing parents, 0700) and a new session directory
 * in it; its full path goes to dir, its number to *n. */
int inj_session_create(const char *hist, const char *proc, pid_t pid,
                       long long start, char *dir, size_t len, unsigned long *n);

/* The same, but the directory is made in parent (which must exist) and
 * history/ gets a symlink to it under the session's name; dir receives the
 * real path. For a session written by another user than ours. */
int inj_session_create_linked(const char *hist, const char *parent, const char *proc,
                              pid_t pid, long long start, char *dir, size_t len,
                              unsigned long *n);

/* /run/scope (or /var/tmp/scope when /run is not writable) into out:
 * root's, 0711, so that each session in it is reachable by its owner only.
 * Made if missing; 0, or -1 (printed) when it is not a directory owned by
 * root and writable by root only. */
int inj_shared_parent(char *out, size_t len);

/* Create the empty file `name` (0600) in dir. */
int inj_session_touch(const char *dir, const char *name);

/* Remove a session directory that scope created and the files it may hold. */
void inj_session_remove(const char *dir);

/* The sessions in hist, oldest first (by start time, then n). A missing
 * history directory holds no sessions. Free *list with free(). */
int inj_session_list(const char *hist, struct inj_session **list, size_t *count);

/* The newest session (id NULL), or the newest whose n or directory name
 * equals id. NULL when there is none. */
const struct inj_session *inj_session_pick(const struct inj_session *list,
                                           size_t count, const char *id);

/* Write info (a JSON object) as dir/info.json, replacing it atomically. */
int inj_info_write(const char *dir, json_t *info);

/* dir/name for reading. Another user may own a session's directory (handed
 * to the process's user): opened with O_NONBLOCK and O_NOFOLLOW, and only
 * if it is a regular file; *size: its size now, all a reader should read
 * (it may grow meanwhile). NULL with errno set when it cannot be opened,
 * or with errno 0 after a warning that it is not a regular file. */
FILE *inj_session_file_open(const char *dir, const char *name, off_t *size);

/* dir/info.json, or NULL when it is missing, not a regular file (warned),
 * over 1 MiB, or not an object. */
json_t *inj_info_read(const char *dir);

/* Where metrics and events go: the -m/-e flags (NULL: not given), with the
 * session directory `dir` ("" for none) standing in for a missing one; a
 * session's metrics.json is always NDJSON. */
struct inj_dests {
    char metric[PATH_MAX + 32];
    char event[PATH_MAX + 32];
    const char *metric_format;      /* NULL: the library's default */
};

void inj_dests_choose(const char *metric_dest, const char *event_dest,
                      const char *metric_format, const char *dir,
                      struct inj_dests *d);

#endif
