/* rep_yaml_schema.c: what scope.yml may hold (see rep_yaml.h), section by
 * section: the table of keys and the SCOPE_* line each becomes, and the
 * sections that are more than a value: transports, event.watch and tags.
 */
#include "rep_yaml_walk.h"

#include "rep_config.h"
#include "rep_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
    K_VALUE,        /* a scalar for `key` */
    K_ONLY,         /* a scalar that may only be `key` */
    K_MAP,          /* a mapping of `sub` */
    K_TRANSPORT,    /* {type, host, port, path}: the URL for `key` */
    K_WATCH,        /* event.watch */
    K_TAGS,         /* NAME: value, for SCOPE_TAG_NAME */
};

struct field {
    const char *name;
    enum kind kind;
    const char *key;
    const struct field *sub;
};

static const struct field metric_format[] = {
    {"type", K_VALUE, "SCOPE_METRIC_FORMAT", NULL},
    {"statsdprefix", K_VALUE, "SCOPE_STATSD_PREFIX", NULL},
    {"statsdmaxlen", K_VALUE, "SCOPE_STATSD_MAXLEN", NULL},
    {"verbosity", K_VALUE, "SCOPE_METRIC_VERBOSITY", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field metric[] = {
    {"enable", K_VALUE, "SCOPE_METRIC_ENABLE", NULL},
    {"http", K_VALUE, "SCOPE_METRIC_HTTP", NULL},
    {"format", K_MAP, NULL, metric_format},
    {"transport", K_TRANSPORT, "SCOPE_METRIC_DEST", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field event_format[] = {
    {"type", K_ONLY, "ndjson", NULL},
    {"maxeventpersec", K_VALUE, "SCOPE_EVENT_MAXEPS", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field event[] = {
    {"enable", K_VALUE, "SCOPE_EVENT_ENABLE", NULL},
    {"format", K_MAP, NULL, event_format},
    {"watch", K_WATCH, NULL, NULL},
    {"transport", K_TRANSPORT, "SCOPE_EVENT_DEST", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field log_fields[] = {
    {"level", K_VALUE, "SCOPE_LOG_LEVEL", NULL},
    {"transport", K_TRANSPORT, "SCOPE_LOG_DEST", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field snapshot[] = {
    {"backtrace", K_VALUE, "SCOPE_SNAPSHOT_BACKTRACE", NULL},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field libscope[] = {
    {"summaryperiod", K_VALUE, "SCOPE_SUMMARY_PERIOD", NULL},
    {"log", K_MAP, NULL, log_fields},
    {"snapshot", K_MAP, NULL, snapshot},
    {NULL, K_VALUE, NULL, NULL},
};

static const struct field top[] = {
    {"metric", K_MAP, NULL, metric},
    {"event", K_MAP, NULL, event},
    {"libscope", K_MAP, NULL, libscope},
    {"tags", K_TAGS, NULL, NULL},
    {NULL, K_VALUE, NULL, NULL},
};

/* event.watch types: the switch and the name filter of each (rep_watch.def),
 * in AppScope's order. */
static const struct {
    const char *type, *enable_key, *name_key;
} kinds[] = {
#define REP_WATCH(id, type, yaml_order, enable_key, name_key, enable, name) \
    [yaml_order] = { type, enable_key, name_key },
#include "rep_watch.def"
#undef REP_WATCH
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- transports ------------------------------------------------------------ */

enum { T_TYPE, T_HOST, T_PORT, T_PATH, T_N };

/* The URL of a transport's values, or NULL after an error at line. */
static char *transport_url(struct rep_yaml_parser *p, char **v, unsigned line)
{
    const char *type = v[T_TYPE];
    char *url = NULL;
    int rc = 0;

    if (!type) {
        rep_yaml_error_at(p, line, 1, "type is missing (udp, tcp, unix or file)");
    } else if (!strcmp(type, "udp") || !strcmp(type, "tcp")) {
        if (!v[T_HOST] || !v[T_PORT] || v[T_PATH])
            rep_yaml_error_at(p, line, 1, "type %s takes host and port (and no path)", type);
        else
            rc = asprintf(&url, strchr(v[T_HOST], ':') && v[T_HOST][0] != '[' ?
                          "%s://[%s]:%s" : "%s://%s:%s", type, v[T_HOST], v[T_PORT]);
    } else if (!strcmp(type, "unix") || !strcmp(type, "file")) {
        if (!v[T_PATH] || v[T_HOST] || v[T_PORT])
            rep_yaml_error_at(p, line, 1, "type %s takes path (and no host or port)", type);
        else
            rc = asprintf(&url, "%s://%s", type, v[T_PATH]);
    } else {
        rep_yaml_error_at(p, line, 1, "type \"%s\" is not udp, tcp, unix or file", type);
    }
    if (rc < 0) {
        p->stop = 1;
        rep_yaml_error_at(p, line, 0, "out of memory");
        url = NULL;
    }
    return url;
}

static void walk_transport(struct rep_yaml_parser *p, const char *key)
{
    static const char *const names[T_N] = {"type", "host", "port", "path"};
    char *v[T_N] = {NULL}, *url, err[600];
    unsigned lines[T_N], line = p->key_line;

    if (rep_yaml_is_null(p) || !rep_yaml_expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    rep_yaml_walk_values(p, names, T_N, v, lines);
    if (!p->stop && (url = transport_url(p, v, line)) != NULL) {
        if (rep_transport_url_check(url, err, sizeof err) < 0)
            rep_yaml_error_at(p, line, 1, "%s", err);
        else
            rep_yaml_check_emit(p, key, url, line);
        free(url);
    }
    rep_yaml_free_values(v, T_N);
}

/* ---- event.watch ------------------------------------------------------------ */

enum { W_TYPE, W_NAME, W_FIELD, W_VALUE, W_ALLOWBINARY, W_HEADERS, W_ENABLED, W_N };

/* Which kind an entry's type names, or NKINDS after an error. */
static size_t watch_kind(struct rep_yaml_parser *p, const char *type, unsigned line)
{
    size_t k;

    if (!type) {
        rep_yaml_error_at(p, line, 1, "type is missing (file, console, net, fs, dns or http)");
        return NKINDS;
    }
    for (k = 0; k < NKINDS && strcmp(kinds[k].type, type) != 0; k++)
        ;
    if (k == NKINDS)
        rep_yaml_error_at(p, line, 1,
                          "type \"%s\" is not one scope has (file, console, net, fs, dns, http)",
                          type);
    return k;
}

/* A key of the current entry: the error names it. */
static void watch_error(struct rep_yaml_parser *p, const char *sub, unsigned line, const char *what)
{
    size_t mark = rep_yaml_path_push(p, sub);
    rep_yaml_error_at(p, line, 1, "%s", what);
    p->path[mark] = '\0';
}

/* One entry of event.watch; *on gets the kinds listed and enabled. */
static void watch_entry(struct rep_yaml_parser *p, int *listed, int *on)
{
    static const char *const names[W_N] = {"type", "name", "field", "value", "allowbinary",
                                           "headers", "enabled"};
    char *v[W_N] = {NULL}, err[600];
    unsigned lines[W_N], line = rep_yaml_line_of(p);
    size_t k;

    if (!rep_yaml_expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    rep_yaml_walk_values(p, names, W_N, v, lines);
    if (p->stop || (k = watch_kind(p, v[W_TYPE], line)) == NKINDS)
        goto out;
    if (listed[k]) {
        rep_yaml_error_at(p, line, 1, "type %s is listed twice", kinds[k].type);
        goto out;
    }
    listed[k] = 1;
    on[k] = 1;
    for (int f = W_FIELD; f <= W_VALUE; f++)
        if (v[f] && strcmp(v[f], ".*") != 0)
            watch_error(p, names[f], lines[f], "only .* is supported: scope filters "
                        "events by name only");
    if (v[W_ALLOWBINARY] && strcmp(kinds[k].type, "console") != 0)
        watch_error(p, "allowbinary", lines[W_ALLOWBINARY], "applies to type console only");
    else if (v[W_ALLOWBINARY])
        rep_yaml_check_emit(p, "SCOPE_ALLOW_BINARY_CONSOLE", v[W_ALLOWBINARY],
                            lines[W_ALLOWBINARY]);
    if (v[W_HEADERS] && strcmp(kinds[k].type, "http") != 0)
        watch_error(p, "headers", lines[W_HEADERS], "applies to type http only");
    else if (v[W_HEADERS]) {
        size_t mark = rep_yaml_path_push(p, "headers");
        rep_yaml_check_emit(p, "SCOPE_EVENT_HTTP_HEADER", v[W_HEADERS], lines[W_HEADERS]);
        p->path[mark] = '\0';
    }
    if (v[W_ENABLED] && rep_config_check(kinds[k].enable_key, v[W_ENABLED], err, sizeof err) < 0)
        watch_error(p, "enabled", lines[W_ENABLED], err);
    else if (v[W_ENABLED])
        on[k] = strcmp(v[W_ENABLED], "true") == 0;
    if (v[W_NAME]) {
        size_t mark = rep_yaml_path_push(p, "name");
        rep_yaml_check_emit(p, kinds[k].name_key, v[W_NAME], lines[W_NAME]);
        p->path[mark] = '\0';
    }
out:
    rep_yaml_free_values(v, W_N);
}

/* The kinds listed are on, the others off (AppScope: "comment out an
 * entry to disable the category"). */
static void walk_watch(struct rep_yaml_parser *p)
{
    int listed[NKINDS] = {0}, on[NKINDS] = {0};
    unsigned line = p->key_line, i = 0;
    char idx[24];

    if (!rep_yaml_is_null(p)) {
        if (!rep_yaml_expect(p, YAML_SEQUENCE_START_EVENT, "a list"))
            return;
        while (rep_yaml_next(p) == 0 && p->ev.type != YAML_SEQUENCE_END_EVENT) {
            snprintf(idx, sizeof idx, "[%u]", i++);
            size_t mark = rep_yaml_path_push(p, idx);
            watch_entry(p, listed, on);
            p->path[mark] = '\0';
        }
    }
    for (size_t k = 0; k < NKINDS && !p->stop; k++)
        rep_yaml_emit(p, kinds[k].enable_key, on[k] ? "true" : "false", line);
}

/* ---- tags, and the walk of the table ---------------------------------------- */

static void walk_tags(struct rep_yaml_parser *p)
{
    char name[72], key[96], buf[REP_YAML_VALUE_MAX + 1];
    unsigned ntags = 0, key_line;
    size_t mark;
    int r;

    if (rep_yaml_is_null(p) || !rep_yaml_expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    while (rep_yaml_next(p) == 0 &&
           (r = rep_yaml_map_entry(p, name, sizeof name, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        unsigned line = rep_yaml_line_of(p);
        const char *v = rep_yaml_is_null(p) ? NULL : rep_yaml_value_of(p);
        snprintf(key, sizeof key, "SCOPE_TAG_%s", name);
        if (v && rep_yaml_value(p->y, key, buf, sizeof buf, NULL))
            rep_yaml_error_at(p, key_line, 1, "given twice");
        else if (v && ++ntags > REP_CONFIG_MAX_TAGS)
            rep_yaml_error_at(p, line, 1, "more than %d tags", REP_CONFIG_MAX_TAGS);
        else if (v)
            rep_yaml_check_emit(p, key, v, line);
        p->path[mark] = '\0';
    }
}

static void walk_map(struct rep_yaml_parser *p, const struct field *fields);

static void walk_value(struct rep_yaml_parser *p, const struct field *f)
{
    const char *v;

    switch (f->kind) {
    case K_VALUE:
        if (!rep_yaml_is_null(p) && (v = rep_yaml_value_of(p)) != NULL)
            rep_yaml_check_emit(p, f->key, v, rep_yaml_line_of(p));
        break;
    case K_ONLY:
        if (!rep_yaml_is_null(p) && (v = rep_yaml_value_of(p)) != NULL && strcmp(v, f->key) != 0)
            rep_yaml_error_at(p, rep_yaml_line_of(p), 1, "only %s is supported", f->key);
        break;
    case K_MAP: walk_map(p, f->sub); break;
    case K_TRANSPORT: walk_transport(p, f->key); break;
    case K_WATCH: walk_watch(p); break;
    case K_TAGS: walk_tags(p); break;
    }
}

static void walk_map(struct rep_yaml_parser *p, const struct field *fields)
{
    const char *names[32];
    unsigned seen = 0, key_line;
    size_t n = 0, mark;
    char key[72];
    int r;

    if (rep_yaml_is_null(p) || !rep_yaml_expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    while (fields[n].name)
        names[n] = fields[n].name, n++;
    while (rep_yaml_next(p) == 0 &&
           (r = rep_yaml_map_entry(p, key, sizeof key, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        size_t i = rep_yaml_name_index(p, names, n, key, &seen, key_line);
        p->key_line = key_line;
        if (i < n)
            walk_value(p, &fields[i]);
        p->path[mark] = '\0';
    }
}

/* The stream: one document (or none), a mapping at its root. */
void rep_yaml_walk_stream(struct rep_yaml_parser *p)
{
    if (rep_yaml_next(p) < 0 || rep_yaml_next(p) < 0 || p->ev.type == YAML_STREAM_END_EVENT)
        return;
    if (rep_yaml_next(p) < 0)    /* the root node */
        return;
    walk_map(p, top);
    if (rep_yaml_next(p) < 0 || rep_yaml_next(p) < 0)     /* document end, then stream end */
        return;
    if (p->ev.type == YAML_DOCUMENT_START_EVENT)
        rep_yaml_error_at(p, rep_yaml_line_of(p), 0, "a second YAML document: only one is read");
}
