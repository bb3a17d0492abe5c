/* rep_config.c: read the reporter's configuration from SCOPE_* variables. */
#include "rep_config.h"
#include "rep_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every key with its default, read by rep_config_defaults() so that the
 * defaults exist once; --dry-run lists them. */
const char rep_config_default_lines[] =
    "SCOPE_METRIC_ENABLE=true\n"
    "SCOPE_METRIC_DEST=" REP_DEFAULT_METRIC_DEST "\n"
    "SCOPE_METRIC_FORMAT=statsd\n"
    "SCOPE_METRIC_VERBOSITY=4\n"
    "SCOPE_STATSD_PREFIX=\n"
    "SCOPE_STATSD_MAXLEN=512\n"
    "SCOPE_SUMMARY_PERIOD=10\n"
    "SCOPE_EVENT_ENABLE=true\n"
    "SCOPE_EVENT_DEST=" REP_DEFAULT_EVENT_DEST "\n"
    "SCOPE_EVENT_MAXEPS=10000\n"
    "SCOPE_EVENT_LOGFILE=true\n"
    "SCOPE_EVENT_LOGFILE_NAME=" REP_DEFAULT_LOGFILE_NAME "\n"
    "SCOPE_EVENT_CONSOLE=true\n"
    "SCOPE_EVENT_CONSOLE_NAME=(stdout)|(stderr)\n"
    "SCOPE_ALLOW_BINARY_CONSOLE=false\n"
    "SCOPE_EVENT_NET=true\n"
    "SCOPE_EVENT_NET_NAME=.*\n"
    "SCOPE_EVENT_FS=true\n"
    "SCOPE_EVENT_FS_NAME=.*\n"
    "SCOPE_EVENT_DNS=true\n"
    "SCOPE_EVENT_DNS_NAME=.*\n"
    "SCOPE_EVENT_HTTP=true\n"
    "SCOPE_EVENT_HTTP_NAME=.*\n"
    "SCOPE_EVENT_HTTP_HEADER=\n"
    "SCOPE_METRIC_HTTP=true\n"
    "SCOPE_LOG_LEVEL=warning\n"
    "SCOPE_LOG_DEST=\n"
    "SCOPE_SNAPSHOT_BACKTRACE=false\n"
    "SCOPE_SESSION_DIR=\n";

void rep_config_defaults(struct rep_config *c)
{
    char err[256] = "";

    memset(c, 0, sizeof(*c));
    rep_config_read(c, rep_config_default_lines, err, sizeof err);
}

static void complain(char *err, size_t errlen, const char *var, const char *val,
                     const char *expected)
{
    size_t used = strlen(err);
    if (used + 1 >= errlen)
        return;
    snprintf(err + used, errlen - used, "%s%s=\"%s\" is not %s",
             used ? "; " : "", var, val, expected);
}

/* Where the library's log may go: a file by absolute path, or stderr.
 * Not the network: the log is what tells why a destination failed. */
static bool log_dest_valid(const char *v)
{
    if (strncmp(v, "file://", strlen("file://")) != 0)
        return false;
    const char *rest = v + strlen("file://");
    return rest[0] == '/' || strcmp(rest, "stderr") == 0;
}

/* A whole decimal number within [min, max], or -1. */
static long parse_bounded(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    return v;
}

static int copy_string(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

const char *rep_config_lookup(const char *block, const char *key, char *buf, size_t buflen,
                              size_t *index)
{
    size_t klen = strlen(key), n = 0;
    const char *found = NULL;
    size_t found_len = 0;

    for (const char *line = block; *line; n++) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
            found = line + klen + 1;
            found_len = len - klen - 1;
            if (index)
                *index = n;
        }
        line += len + (end != NULL);
    }
    if (!found || found_len >= buflen)
        return NULL;
    memcpy(buf, found, found_len);
    buf[found_len] = '\0';
    return buf;
}

static const char *config_value(const char *block, const char *key,
                                char *buf, size_t buflen)
{
    return block ? rep_config_lookup(block, key, buf, buflen, NULL) : getenv(key);
}

static int bool_read(const char *block, const char *key, bool *out, char *err, size_t errlen)
{
    char buf[64];
    const char *v = config_value(block, key, buf, sizeof buf);

    if (!v)
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "false")) {
        *out = v[0] == 't';
        return 0;
    }
    complain(err, errlen, key, v, "true or false");
    return 1;
}

/* The tag called name[0..len), or a new one (NULL when all are taken). */
static struct rep_config_tag *tag_slot(struct rep_config *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->ntags; i++)
        if (strlen(c->tags[i].name) == len && memcmp(c->tags[i].name, name, len) == 0)
            return &c->tags[i];
    return c->ntags < REP_CONFIG_MAX_TAGS ? &c->tags[c->ntags++] : NULL;
}

/* One SCOPE_TAG_<name>=<value> entry; names and values must be plain
 * (letters, digits, _ . - :) to be valid in StatsD and JSON alike. A name
 * given again (the environment after the file) replaces its value. */
static int tag_add(struct rep_config *c, const char *entry, size_t len,
                   char *err, size_t errlen)
{
    const char *eq = memchr(entry, '=', len);
    size_t nlen = eq ? (size_t)(eq - entry) - 10 : 0;   /* after "SCOPE_TAG_" */
    size_t vlen = eq ? len - (size_t)(eq - entry) - 1 : 0;
    struct rep_config_tag *t = NULL;

    if (!eq || nlen == 0 || nlen >= sizeof c->tags[0].name ||
        vlen >= sizeof c->tags[0].value ||
        strspn(entry + 10, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") < nlen ||
        !(t = tag_slot(c, entry + 10, nlen))) {
        complain(err, errlen, "SCOPE_TAG_*", "...", "NAME=value with a short plain name (8 at most)");
        return 1;
    }
    memcpy(t->name, entry + 10, nlen);
    t->name[nlen] = '\0';
    memcpy(t->value, eq + 1, vlen);
    t->value[vlen] = '\0';
    return 0;
}

/* SCOPE_TAG_* from the block's lines, or from the environment. */
static int tags_read(struct rep_config *c, const char *block, char *err, size_t errlen)
{
    extern char **environ;
    int bad = 0;

    if (block) {
        for (const char *line = block; *line;) {
            size_t len = strcspn(line, "\n");
            if (strncmp(line, "SCOPE_TAG_", 10) == 0)
                bad += tag_add(c, line, len, err, errlen);
            line += len + (line[len] == '\n');
        }
        return bad;
    }
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "SCOPE_TAG_", 10) == 0)
            bad += tag_add(c, *e, strlen(*e), err, errlen);
    return bad;
}

const char *const rep_log_level_names[REP_LOG_DEBUG + 1] = {
    "none", "error", "warning", "info", "debug"
};

static int log_level_read(struct rep_config *c, const char *v, char *err, size_t errlen)
{
    for (size_t i = 0; i <= REP_LOG_DEBUG; i++) {
        if (!strcmp(v, rep_log_level_names[i])) {
            c->log_level = (enum rep_log_level)i;
            return 0;
        }
    }
    complain(err, errlen, "SCOPE_LOG_LEVEL", v, "none, error, warning, info or debug");
    return 1;
}

/* Whether regcomp and regexec stay cheap on re. glibc copies the subtree
 * under each {m,n} bound (m or n times) and each + (twice), so nested or
 * stacked ones multiply: "((a{255}){255}){255}" and "a" followed by 57 +
 * take seconds and gigabytes to compile (the fuzzer found the second).
 * Backreferences make matching exponential. So: none of those, and the
 * product of all bounds (2 for each +), nested or not, 10000 at most. */
static bool regex_tame(const char *re)
{
    unsigned long product = 1, bound;

    for (const char *s = re; *s; s++) {
        if (s[0] == '\\' && s[1] >= '1' && s[1] <= '9')
            return false;
        if (s[0] == '\\' && s[1]) {
            s++;
            continue;
        }
        if (s[0] == '+') {
            bound = 2;
        } else if (s[0] == '{') {
            char *end;
            bound = strtoul(s + 1, &end, 10);
            if (*end == ',' && end[1] >= '0' && end[1] <= '9')
                bound = strtoul(end + 1, &end, 10);
        } else {
            continue;
        }
        if (bound > 10000 || (product *= bound ? bound : 1) > 10000)
            return false;
    }
    return true;
}

/* An event name filter: a POSIX extended regular expression that compiles. */
static int regex_read(const char *block, const char *key, char *dst, size_t cap,
                      char *err, size_t errlen)
{
    char buf[4096];
    const char *v = config_value(block, key, buf, sizeof buf);
    regex_t re;

    if (!v)
        return 0;
    if (strlen(v) >= cap) {
        complain(err, errlen, key, "...", "a regular expression shorter than 256 bytes");
        return 1;
    }
    if (!regex_tame(v)) {
        complain(err, errlen, key, v, "a regular expression without backreferences whose "
                 "repetitions ({m,n} bounds, 2 for each +) multiply to 10000 at most");
        return 1;
    }
    if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) {
        complain(err, errlen, key, v, "a valid regular expression");
        return 1;
    }
    regfree(&re);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* SCOPE_EVENT_HTTP_HEADER: which headers of a request or response go
 * into its event besides AppScope's own; empty: none. */
static int header_read(const char *block, char *dst, size_t cap, char *err, size_t errlen)
{
    char buf[8];
    const char *v = config_value(block, "SCOPE_EVENT_HTTP_HEADER", buf, sizeof buf);

    if (v && v[0] == '\0') {
        dst[0] = '\0';
        return 0;
    }
    return regex_read(block, "SCOPE_EVENT_HTTP_HEADER", dst, cap, err, errlen);
}

/* The event kinds' switches and name filters (AppScope's event.watch). */
static int watch_read(struct rep_config *c, const char *block, char *err, size_t errlen)
{
    int bad = 0;

#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
    bad += bool_read(block, enable_key, &c->enable, err, errlen);
#include "rep_watch.def"
#undef REP_WATCH
    bad += bool_read(block, "SCOPE_EVENT_FILE", &c->ev_file, err, errlen);     /* our name */
    bad += bool_read(block, "SCOPE_ALLOW_BINARY_CONSOLE", &c->ev_allow_binary, err, errlen);
    bad += bool_read(block, "SCOPE_METRIC_HTTP", &c->metric_http, err, errlen);
    bad += header_read(block, c->ev_http_header, sizeof c->ev_http_header, err, errlen);
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
    bad += regex_read(block, name_key, c->name, sizeof c->name, err, errlen);
#include "rep_watch.def"
#undef REP_WATCH
    return bad;
}

/* Letters, digits, '.', '_', '-': a container id or name, nothing a
 * consumer could mistake for syntax. */
static bool plain_name(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return false;
    return true;
}

/* "N[,N...]": the numbers handed, into c; -1 if v is not that. */
static int handed_read(struct rep_config *c, const char *v)
{
    char list[64], *save = NULL;

    if (copy_string(list, sizeof list, v))
        return -1;
    c->handed_close_n = 0;
    for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
        long fd = parse_bounded(n, 0, INT_MAX);
        if (fd < 0 || c->handed_close_n == REP_HANDED_MAX)
            return -1;
        c->handed_close[c->handed_close_n++] = (int)fd;
    }
    return 0;
}

static int container_read(struct rep_config *c, const char *block, char *err, size_t errlen)
{
    char buf[128];
    const char *v;
    int bad = 0;

    if ((v = config_value(block, "SCOPE_HOST_PID", buf, sizeof buf)) && v[0]) {
        long n = parse_bounded(v, 1, INT_MAX);
        if (n < 0)
            complain(err, errlen, "SCOPE_HOST_PID", v, "a pid"), bad++;
        else
            c->host_pid = (int)n;
    }
    if ((v = config_value(block, "SCOPE_HOST_PIDNS_FD", buf, sizeof buf)) && v[0]) {
        long n = parse_bounded(v, 0, INT_MAX);
        if (n < 0)
            complain(err, errlen, "SCOPE_HOST_PIDNS_FD", v, "a descriptor number"), bad++;
        c->host_pidns_fd = (int)n;
        c->host_pidns_given = n >= 0;
    }
    if ((v = config_value(block, "SCOPE_HANDED_CLOSE", buf, sizeof buf)) && v[0] &&
        handed_read(c, v) < 0)
        complain(err, errlen, "SCOPE_HANDED_CLOSE", v,
                 "descriptor numbers, comma-separated (at most 3)"), bad++;
    if ((v = config_value(block, "SCOPE_CONTAINER_ID", buf, sizeof buf)) &&
        (!plain_name(v) || copy_string(c->container_id, sizeof c->container_id, v)))
        complain(err, errlen, "SCOPE_CONTAINER_ID", "...", "a short plain name"), bad++;
    return bad;
}

int rep_config_read(struct rep_config *c, const char *block,
                    char *err, size_t errlen)
{
    int bad = 0;
    char buf[4096];
    const char *v;

#define VALUE(key) config_value(block, key, buf, sizeof buf)
    if ((v = VALUE("SCOPE_METRIC_DEST")) && copy_string(c->metric_dest, sizeof c->metric_dest, v))
        complain(err, errlen, "SCOPE_METRIC_DEST", "...", "a URL of sane length"), bad++;
    if ((v = VALUE("SCOPE_EVENT_DEST")) && copy_string(c->event_dest, sizeof c->event_dest, v))
        complain(err, errlen, "SCOPE_EVENT_DEST", "...", "a URL of sane length"), bad++;
    if ((v = VALUE("SCOPE_METRIC_FORMAT"))) {
        if (!strcmp(v, "statsd"))
            c->metric_format = REP_FORMAT_STATSD;
        else if (!strcmp(v, "ndjson"))
            c->metric_format = REP_FORMAT_NDJSON;
        else
            complain(err, errlen, "SCOPE_METRIC_FORMAT", v, "statsd or ndjson"), bad++;
    }
    if ((v = VALUE("SCOPE_METRIC_VERBOSITY"))) {
        long n = parse_bounded(v, 0, 9);
        if (n < 0)
            complain(err, errlen, "SCOPE_METRIC_VERBOSITY", v, "a number from 0 to 9"), bad++;
        else
            c->verbosity = (int)n;
    }
    if ((v = VALUE("SCOPE_SUMMARY_PERIOD"))) {
        long n = parse_bounded(v, 1, 86400);
        if (n < 0)
            complain(err, errlen, "SCOPE_SUMMARY_PERIOD", v, "a number of seconds from 1 to 86400"), bad++;
        else
            c->period_s = (unsigned)n;
    }
    /* the prefix is part of every StatsD name: a delimiter in it (: | # ,
     * a line end) would change what the lines mean */
    if ((v = VALUE("SCOPE_STATSD_PREFIX")) &&
        (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(v) ||
         copy_string(c->statsd_prefix, sizeof c->statsd_prefix, v)))
        complain(err, errlen, "SCOPE_STATSD_PREFIX", v,
                 "letters, digits, '_', '.' and '-' (under 128)"), bad++;
    if ((v = VALUE("SCOPE_STATSD_MAXLEN"))) {
        long n = parse_bounded(v, 64, 65507);
        if (n < 0)
            complain(err, errlen, "SCOPE_STATSD_MAXLEN", v, "a number of bytes from 64 to 65507"), bad++;
        else
            c->statsd_maxlen = (unsigned)n;
    }
    if ((v = VALUE("SCOPE_LOG_LEVEL")))
        bad += log_level_read(c, v, err, errlen);
    if ((v = VALUE("SCOPE_LOG_DEST")) && v[0] && !log_dest_valid(v))
        complain(err, errlen, "SCOPE_LOG_DEST", v,
                 "file:///abs/path or file://stderr (the log goes to a file only)"), bad++;
    else if (v && copy_string(c->log_dest, sizeof c->log_dest, v))
        complain(err, errlen, "SCOPE_LOG_DEST", "...", "a URL of sane length"), bad++;
    bad += bool_read(block, "SCOPE_METRIC_ENABLE", &c->metric_enable, err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_ENABLE", &c->event_enable, err, errlen);
    if ((v = VALUE("SCOPE_SNAPSHOT_BACKTRACE"))) {
        if (!strcmp(v, "true"))
            c->backtrace = true;
        else if (!strcmp(v, "false"))
            c->backtrace = false;
        else
            complain(err, errlen, "SCOPE_SNAPSHOT_BACKTRACE", v, "true or false"), bad++;
    }
    bad += watch_read(c, block, err, errlen);
    if ((v = VALUE("SCOPE_EVENT_MAXEPS"))) {
        long n = parse_bounded(v, 1, 10000000);
        if (n < 0)
            complain(err, errlen, "SCOPE_EVENT_MAXEPS", v, "a number from 1 to 10000000"), bad++;
        else
            c->maxeps = (unsigned)n;
    }
    bad += tags_read(c, block, err, errlen);
    if ((v = VALUE("SCOPE_SESSION_DIR")) && copy_string(c->session_dir, sizeof c->session_dir, v))
        complain(err, errlen, "SCOPE_SESSION_DIR", "...", "a path of sane length"), bad++;
    bad += container_read(c, block, err, errlen);
#undef VALUE
    return bad;
}

/* mkdir 0700, or an existing real directory of ours: never a symlink
 * someone planted to make us write elsewhere. */
static int dir_ours(const char *path)
{
    struct stat st;

    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -1;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return -1;
    return 0;
}

int rep_config_user_dir(const struct rep_config *c, const char *sub,
                        char *out, size_t cap)
{
    const char *home = getenv("HOME");
    int n;

    if (c->session_dir[0]) {
        n = snprintf(out, cap, "%s", c->session_dir);
        return n > 0 && (size_t)n < cap ? 0 : -1;
    }
    if (!home || home[0] != '/')
        return -1;
    n = snprintf(out, cap, "%s/.scope", home);
    if (n <= 0 || (size_t)n >= cap || dir_ours(out) < 0)
        return -1;
    if (!sub)
        return 0;
    n = snprintf(out, cap, "%s/.scope/%s", home, sub);
    return n > 0 && (size_t)n < cap ? dir_ours(out) : -1;
}

int rep_config_check(const char *key, const char *value, char *err, size_t errlen)
{
    struct rep_config *c = calloc(1, sizeof *c);
    char *line = NULL;
    int bad;

    err[0] = '\0';
    if (!c || asprintf(&line, "%s=%s\n", key, value) < 0) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bad = rep_config_read(c, line, err, errlen);
    free(line);
    free(c);
    return bad ? -1 : 0;
}

/* rep_yaml's error lines as one line, "; " between them. */
static void errors_join(char *err, size_t errlen, const char *lines)
{
    size_t used = strlen(err);

    for (const char *l = lines; *l && used + 1 < errlen;) {
        size_t n = strcspn(l, "\n");
        snprintf(err + used, errlen - used, "%s%.*s", used ? "; " : "", (int)n, l);
        used = strlen(err);
        l += n + (l[n] == '\n');
    }
}

int rep_config_load(struct rep_config *c, const char *block, char *err, size_t errlen)
{
    struct rep_yaml y;
    char path[4096], why[512];
    int found, bad = 0;

    err[0] = '\0';
    rep_config_defaults(c);
    if (block)
        return rep_config_read(c, block, err, errlen);
    found = rep_yaml_find(path, sizeof path, why, sizeof why);
    if (found < 0) {
        snprintf(err, errlen, "%s", why);
        bad++;
    } else if (found > 0) {
        if (rep_yaml_read(&y, path) > 0) {
            errors_join(err, errlen, y.errors);
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, "; %s is ignored", path);
            bad++;
        } else {
            bad += rep_config_read(c, y.lines, err, errlen);
        }
        rep_yaml_free(&y);
    }
    return bad + rep_config_read(c, NULL, err, errlen);
}
