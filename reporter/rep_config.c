/* rep_config.c: read the reporter's configuration from SCOPE_* variables. */
#include "rep_config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void rep_config_defaults(struct rep_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->metric_dest, sizeof c->metric_dest, "%s", REP_DEFAULT_METRIC_DEST);
    snprintf(c->event_dest, sizeof c->event_dest, "%s", REP_DEFAULT_EVENT_DEST);
    c->metric_enable = c->event_enable = true;
    c->metric_format = REP_FORMAT_STATSD;
    c->statsd_maxlen = 512;
    c->log_level = REP_LOG_WARNING;
    c->verbosity = 4;
    c->period_s = 10;
    c->ev_fs = c->ev_net = c->ev_dns = c->ev_console = true;
    c->maxeps = 10000;
    snprintf(c->ev_fs_name, sizeof c->ev_fs_name, ".*");
    snprintf(c->ev_net_name, sizeof c->ev_net_name, ".*");
    snprintf(c->ev_dns_name, sizeof c->ev_dns_name, ".*");
    snprintf(c->ev_console_name, sizeof c->ev_console_name, "(stdout)|(stderr)");
    snprintf(c->ev_file_name, sizeof c->ev_file_name, "%s", REP_DEFAULT_LOGFILE_NAME);
    c->ev_file = true;
}

static void complain(char *err, size_t errlen, const char *var, const char *val,
                     const char *expected)
{
    size_t used = strlen(err);
    if (used + 1 >= errlen)
        return;
    snprintf(err + used, errlen - used, "%s%s=\"%s\" is not %s; using the default",
             used ? "; " : "", var, val, expected);
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

/* A value from "KEY=VALUE\n" lines (the last one wins, as in an
 * environment), copied into buf; NULL when absent or too long. */
static const char *block_lookup(const char *block, const char *key,
                                char *buf, size_t buflen)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    size_t found_len = 0;

    for (const char *line = block; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
            found = line + klen + 1;
            found_len = len - klen - 1;
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
    return block ? block_lookup(block, key, buf, buflen) : getenv(key);
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

/* One SCOPE_TAG_<name>=<value> entry; names and values must be plain
 * (letters, digits, _ . - :) to be valid in StatsD and JSON alike. */
static int tag_add(struct rep_config *c, const char *entry, size_t len,
                   char *err, size_t errlen)
{
    const char *eq = memchr(entry, '=', len);
    size_t nlen = eq ? (size_t)(eq - entry) - 10 : 0;   /* after "SCOPE_TAG_" */
    size_t vlen = eq ? len - (size_t)(eq - entry) - 1 : 0;

    if (!eq || nlen == 0 || nlen >= sizeof c->tags[0].name ||
        vlen >= sizeof c->tags[0].value || c->ntags == 8 ||
        strspn(entry + 10, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") < nlen) {
        complain(err, errlen, "SCOPE_TAG_*", "...", "NAME=value with a short plain name (8 at most)");
        return 1;
    }
    memcpy(c->tags[c->ntags].name, entry + 10, nlen);
    c->tags[c->ntags].name[nlen] = '\0';
    memcpy(c->tags[c->ntags].value, eq + 1, vlen);
    c->tags[c->ntags].value[vlen] = '\0';
    c->ntags++;
    return 0;
}

/* SCOPE_TAG_* from the block's lines, or from the environment. */
static int tags_read(struct rep_config *c, const char *block, char *err, size_t errlen)
{
    extern char **environ;
    int bad = 0;

    c->ntags = 0;
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

static int log_level_read(struct rep_config *c, const char *v, char *err, size_t errlen)
{
    static const char *const names[] = { "none", "error", "warning", "info", "debug" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(v, names[i])) {
            c->log_level = (enum rep_log_level)i;
            return 0;
        }
    }
    complain(err, errlen, "SCOPE_LOG_LEVEL", v, "none, error, warning, info or debug");
    return 1;
}

/* An event name filter: a POSIX extended regex that compiles, of sane
 * length; else the default stays. */
static int regex_read(const char *block, const char *key, char *out, size_t cap,
                      char *err, size_t errlen)
{
    char buf[1024];
    const char *v = config_value(block, key, buf, sizeof buf);
    regex_t re;

    if (!v)
        return 0;
    if (strlen(v) >= cap) {
        complain(err, errlen, key, "...", "a regex shorter than 256 bytes");
        return 1;
    }
    if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) {
        complain(err, errlen, key, v, "a valid extended regex");
        return 1;
    }
    regfree(&re);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int rep_config_read(struct rep_config *c, const char *block,
                    char *err, size_t errlen)
{
    int bad = 0;
    char buf[4096];
    const char *v;

    if (errlen)
        err[0] = '\0';
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
    if ((v = VALUE("SCOPE_STATSD_PREFIX")) && copy_string(c->statsd_prefix, sizeof c->statsd_prefix, v))
        complain(err, errlen, "SCOPE_STATSD_PREFIX", v, "shorter than 128 bytes"), bad++;
    if ((v = VALUE("SCOPE_STATSD_MAXLEN"))) {
        long n = parse_bounded(v, 64, 65507);
        if (n < 0)
            complain(err, errlen, "SCOPE_STATSD_MAXLEN", v, "a number of bytes from 64 to 65507"), bad++;
        else
            c->statsd_maxlen = (unsigned)n;
    }
    if ((v = VALUE("SCOPE_LOG_LEVEL")))
        bad += log_level_read(c, v, err, errlen);
    if ((v = VALUE("SCOPE_LOG_DEST")) && copy_string(c->log_dest, sizeof c->log_dest, v))
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
    bad += bool_read(block, "SCOPE_EVENT_FS", &c->ev_fs, err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_NET", &c->ev_net, err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_DNS", &c->ev_dns, err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_CONSOLE", &c->ev_console, err, errlen);
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
    bad += regex_read(block, "SCOPE_EVENT_FS_NAME", c->ev_fs_name, sizeof c->ev_fs_name, err, errlen);
    bad += regex_read(block, "SCOPE_EVENT_NET_NAME", c->ev_net_name, sizeof c->ev_net_name, err, errlen);
    bad += regex_read(block, "SCOPE_EVENT_DNS_NAME", c->ev_dns_name, sizeof c->ev_dns_name, err, errlen);
    bad += regex_read(block, "SCOPE_EVENT_CONSOLE_NAME", c->ev_console_name,
                      sizeof c->ev_console_name, err, errlen);
    bad += regex_read(block, "SCOPE_EVENT_LOGFILE_NAME", c->ev_file_name, sizeof c->ev_file_name,
                      err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_LOGFILE", &c->ev_file, err, errlen);
    bad += bool_read(block, "SCOPE_EVENT_FILE", &c->ev_file, err, errlen);
    bad += bool_read(block, "SCOPE_ALLOW_BINARY_CONSOLE", &c->ev_allow_binary, err, errlen);
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
