/* rep_config.h: what the reporter is told to do, read from SCOPE_* variables.
 *
 *   SCOPE_METRIC_DEST       a destination URL (rep_transport.h); default
 *                           udp://127.0.0.1:8125 (StatsD), as AppScope;
 *                           empty: metrics are off
 *   SCOPE_EVENT_DEST        same; default tcp://127.0.0.1:9109
 *   SCOPE_METRIC_ENABLE, SCOPE_EVENT_ENABLE  true (default) | false: false
 *                           turns that output off whatever its destination
 *   SCOPE_METRIC_FORMAT     statsd (default) | ndjson
 *   SCOPE_METRIC_VERBOSITY  0-9, default 4; >= 5: per-file metrics
 *   SCOPE_SUMMARY_PERIOD    seconds between metric periods, default 10
 *   SCOPE_STATSD_PREFIX     prepended to StatsD metric names
 *   SCOPE_STATSD_MAXLEN     the largest StatsD datagram, 64-65507 bytes,
 *                           default 512; a longer line loses tags
 *   SCOPE_LOG_LEVEL         none | error | warning (default) | info | debug:
 *                           what the library's own log keeps
 *   SCOPE_LOG_DEST          file:///abs/path (or file://stderr) of that log;
 *                           default: the CLI's session dir, else
 *                           $HOME/.scope/libscope.log
 *   SCOPE_SNAPSHOT_BACKTRACE  true: write a backtrace when the program
 *                           crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT)
 *   SCOPE_EVENT_FS, _NET, _DNS, _CONSOLE, SCOPE_EVENT_LOGFILE (or our
 *                           SCOPE_EVENT_FILE)  true (default) | false: which
 *                           kinds of events are sent (LOGFILE: AppScope's
 *                           "file" kind, writes to log files as text)
 *   SCOPE_EVENT_FS_NAME, _NET_NAME, _DNS_NAME, _CONSOLE_NAME
 *                           POSIX extended regular expressions (under 256
 *                           bytes) on the event's name (its source: fs.open,
 *                           net.close, dns.req, stdout...): only events that
 *                           match are sent; default .*, console
 *                           (stdout)|(stderr)
 *   SCOPE_EVENT_LOGFILE_NAME  which paths are log files; default
 *                           (\/logs?\/)|(\.log$)|(\.log[.\d]), AppScope's
 *   SCOPE_ALLOW_BINARY_CONSOLE  true | false (default): console output that
 *                           is not text is sent too (else counted in a notice)
 *   SCOPE_EVENT_HTTP, SCOPE_EVENT_HTTP_NAME  http.req and http.resp events
 *                           (default true, .*), as the other kinds
 *   SCOPE_EVENT_HTTP_HEADER  a POSIX extended regex on header names
 *                           (case-insensitive, under 256 bytes): those
 *                           headers go into http events too; default
 *                           empty: none. Authorization, Cookie, Set-Cookie
 *                           and Proxy-Authorization only when the regex
 *                           names them
 *   SCOPE_METRIC_HTTP       true (default) | false: the http.* metrics
 *   SCOPE_EVENT_MAXEPS      events per second at most (default 10000); the
 *                           rest are cut, counted and said in a notice
 *   SCOPE_TAG_<name>=value  a tag added to every metric (up to 8)
 *   SCOPE_HOST_PID          set by scope attach into a container: the
 *                           process's pid as the host sees it (the
 *                           "host_pid" of its metrics and events)
 *   SCOPE_HOST_PIDNS_FD     set by scope attach into another pid
 *                           namespace: a descriptor of the host's, which
 *                           gives the host_pid of the children it forks
 *                           (ip_hostpid.h)
 *   SCOPE_HANDED_CLOSE      set by scope attach with handed descriptors:
 *                           the numbers it handed ("5,6,7"), the
 *                           library's to close once it has its copies
 *                           (ip_handed.h); no other number, whatever a
 *                           destination names
 *   SCOPE_CONTAINER_ID      set by scope attach: the container's id, read
 *                           from its cgroup ("container_id")
 *   SCOPE_SESSION_DIR       where crash backtraces are written (the CLI's
 *                           session directory); default $HOME/.scope/crash
 * The same keys come from the environment (scope run) or from a block of
 * lines (scope attach), after scope.yml (rep_yaml.h) when there is one. A
 * bad value is reported in `err` and leaves the value it would have
 * replaced (scope.yml's, or the default): the library must never refuse
 * to let the program run because of its configuration.
 */
#ifndef REP_CONFIG_H
#define REP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum rep_metric_format { REP_FORMAT_STATSD, REP_FORMAT_NDJSON };
enum rep_log_level { REP_LOG_NONE, REP_LOG_ERROR, REP_LOG_WARNING, REP_LOG_INFO,
                     REP_LOG_DEBUG };
/* Their names, by level: SCOPE_LOG_LEVEL's values. */
extern const char *const rep_log_level_names[REP_LOG_DEBUG + 1];

#define REP_DEFAULT_METRIC_DEST "udp://127.0.0.1:8125"
#define REP_DEFAULT_EVENT_DEST "tcp://127.0.0.1:9109"
#define REP_DEFAULT_LOGFILE_NAME "(\\/logs?\\/)|(\\.log$)|(\\.log[.\\d])"

#define REP_CONFIG_MAX_TAGS 8

struct rep_config_tag {
    char name[64], value[192];
};

/* Descriptors scope attach hands (metrics, events, the pid namespace). */
#define REP_HANDED_MAX 3

struct rep_config {
    char metric_dest[4096];
    char event_dest[4096];
    bool metric_enable, event_enable;   /* false: that output is off */
    enum rep_metric_format metric_format;
    int verbosity;
    unsigned period_s;
    char statsd_prefix[128];
    unsigned statsd_maxlen;
    enum rep_log_level log_level;
    char log_dest[4096];
    bool backtrace;
    /* each kind of event's switch and name regex (rep_watch.def) */
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
    bool enable;                                                         \
    char name[256];
#include "rep_watch.def"
#undef REP_WATCH
    bool ev_allow_binary;               /* console events with binary data */
    bool metric_http;                   /* http.* metrics */
    char ev_http_header[256];           /* headers sent in http events: a regex */
    unsigned maxeps;
    size_t ntags;
    struct rep_config_tag tags[REP_CONFIG_MAX_TAGS];
    char session_dir[1024];
    int host_pid;               /* 0: not given */
    bool host_pidns_given;
    int host_pidns_fd;          /* the host's pid namespace, handed */
    int handed_close[REP_HANDED_MAX];   /* handed numbers ours to close */
    size_t handed_close_n;
    char container_id[80];      /* "": not given */
};

/* The rows of rep_watch.def. */
enum rep_watch {
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) REP_WATCH_##id,
#include "rep_watch.def"
#undef REP_WATCH
    REP_WATCH_N
};

/* Whether the operator wants the events of watch row w. */
static inline bool rep_watch_enabled(const struct rep_config *c, enum rep_watch w)
{
    switch (w) {
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
    case REP_WATCH_##id: return c->enable;
#include "rep_watch.def"
#undef REP_WATCH
    default: return false;
    }
}

/* Every key, one "KEY=default\n" line each, in a sensible order. */
extern const char rep_config_default_lines[];

void rep_config_defaults(struct rep_config *c);

/* Read the variables from `block` ("KEY=VALUE\n" lines, as `scope attach`
 * hands them over; the last of a key wins) or, when block is NULL, from the
 * environment, over what c holds. Returns the number of bad values found,
 * each described in err ("KEY=\"value\" is not ..."), appended with "; ". */
int rep_config_read(struct rep_config *c, const char *block,
                    char *err, size_t errlen);

/* The directory for scope's own files of this process (crash backtraces,
 * the log): the session directory when the CLI gave one, else
 * $HOME/.scope/<sub> (or $HOME/.scope when sub is NULL), created 0700 and
 * refused when it is a symlink or another user's. 0, or -1. */
int rep_config_user_dir(const struct rep_config *c, const char *sub,
                        char *out, size_t cap);

/* The value of key in "KEY=VALUE\n" lines (the last one wins, as in an
 * environment), copied into buf, with the number of its line (from 0) in
 * *index unless index is NULL; NULL when absent or not shorter than buflen. */
const char *rep_config_lookup(const char *block, const char *key, char *buf, size_t buflen,
                              size_t *index);

/* Whether KEY=value would be accepted: 0, or -1 with what is wrong in err. */
int rep_config_check(const char *key, const char *value, char *err, size_t errlen);

/* The library's whole configuration: defaults, then, with no block
 * (preloaded), scope.yml if rep_yaml_find() finds one (ignored entirely
 * when it has an error) and the environment over it; with a block
 * (attached: the CLI put the file's lines first), the block alone. Returns
 * the number of problems, described in err. */
int rep_config_load(struct rep_config *c, const char *block, char *err, size_t errlen);

#endif
