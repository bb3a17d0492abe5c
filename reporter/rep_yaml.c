/* rep_yaml.c: scope.yml into SCOPE_* lines (see rep_yaml.h).
 *
 * libyaml's event parser drives a walk of the schema below. No document
 * tree is built and aliases are refused where they appear, so memory and
 * time follow the size of the file, which is bounded. Every value is
 * checked by rep_config_check(), the same code that reads it later.
 */
#include "rep_yaml.h"

#include "rep_config.h"
#include "rep_url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Longer values cannot be handed over (rep_config reads 4 KiB at most). */
#define VALUE_MAX 4000

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

struct parser {
    yaml_parser_t yp;
    yaml_event_t ev;        /* the current event */
    int have_ev;            /* ev is to be deleted */
    int stop;               /* after a fatal error: read no further */
    unsigned depth;
    unsigned key_line;      /* the line of the key whose value is walked */
    const char *name;
    struct rep_yaml *y;
    char path[256];         /* "event.watch[2].name" */
};

/* ---- errors ---------------------------------------------------------------- */

static void error_add(struct rep_yaml *y, const char *line)
{
    size_t used = strlen(y->errors), n = strlen(line);

    y->nerrors++;
    if (used + n + 2 <= sizeof y->errors) {
        memcpy(y->errors + used, line, n);
        memcpy(y->errors + used + n, "\n", 2);
    }
}

/* "NAME:LINE: [key PATH: ]what", line 0: "NAME: what". */
static void __attribute__((format(printf, 4, 5)))
error_at(struct parser *p, unsigned line, int with_key, const char *fmt, ...)
{
    char what[640], msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%u: %s%s%s%s", p->name, line,
             with_key ? "key " : "", with_key ? p->path : "", with_key ? ": " : "", what);
    error_add(p->y, msg);
}

static unsigned line_of(const struct parser *p)
{
    return (unsigned)p->ev.start_mark.line + 1;
}

/* A name from the file, shortened and made printable for a message. */
static void printable(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap - 4 ? len : cap - 4;

    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
    strcpy(dst + n, len > n ? "..." : "");
}

/* ---- events ---------------------------------------------------------------- */

/* The next event into p->ev: 0, or -1 after a fatal error. */
static int next(struct parser *p)
{
    if (p->have_ev) {
        yaml_event_delete(&p->ev);
        p->have_ev = 0;
    }
    if (p->stop)
        return -1;
    if (!yaml_parser_parse(&p->yp, &p->ev)) {
        p->stop = 1;
        if (p->yp.error == YAML_MEMORY_ERROR)
            error_at(p, (unsigned)p->yp.problem_mark.line + 1, 0, "out of memory");
        else
            error_at(p, (unsigned)p->yp.problem_mark.line + 1, 0, "YAML syntax error: %s%s%s",
                     p->yp.problem ? p->yp.problem : "malformed",
                     p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
        return -1;
    }
    p->have_ev = 1;
    switch (p->ev.type) {
    case YAML_ALIAS_EVENT:
        p->stop = 1;
        error_at(p, line_of(p), 0, "aliases (*name) are not supported");
        return -1;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (++p->depth > REP_YAML_MAX_DEPTH) {
            p->stop = 1;
            error_at(p, line_of(p), 0, "nested deeper than %d levels", REP_YAML_MAX_DEPTH);
            return -1;
        }
        break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        p->depth--;
        break;
    default:
        break;
    }
    return 0;
}

/* Past the node whose first event is current. */
static void skip(struct parser *p)
{
    unsigned depth = p->depth;

    if (p->ev.type != YAML_MAPPING_START_EVENT && p->ev.type != YAML_SEQUENCE_START_EVENT)
        return;
    while (p->depth >= depth && next(p) == 0)
        ;
}

/* `key:`, `key: ~`, `key: null`: as if the key were not there. */
static int is_null(const struct parser *p)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    const yaml_event_t *e = &p->ev;

    if (e->type != YAML_SCALAR_EVENT || e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp((const char *)e->data.scalar.value, nulls[i]) == 0)
            return 1;
    return 0;
}

static const char *node_kind(const struct parser *p)
{
    return p->ev.type == YAML_MAPPING_START_EVENT ? "a mapping" :
           p->ev.type == YAML_SEQUENCE_START_EVENT ? "a list" : "a value";
}

/* The current node is a `want` start event, or an error (node skipped). */
static int expect(struct parser *p, yaml_event_type_t want, const char *what)
{
    if (p->ev.type == want)
        return 1;
    error_at(p, line_of(p), p->path[0] != '\0', "expected %s, found %s", what, node_kind(p));
    skip(p);
    return 0;
}

/* The current node as a value that can be handed over, or NULL after an
 * error (node skipped). */
static const char *value_of(struct parser *p)
{
    const char *v = (const char *)p->ev.data.scalar.value;
    size_t len;

    if (p->ev.type != YAML_SCALAR_EVENT) {
        error_at(p, line_of(p), 1, "expected a value, found %s", node_kind(p));
        skip(p);
        return NULL;
    }
    len = p->ev.data.scalar.length;
    if (len > VALUE_MAX) {
        error_at(p, line_of(p), 1, "value longer than %d bytes", VALUE_MAX);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            error_at(p, line_of(p), 1, "control characters (newlines, tabs, ...) are not "
                     "allowed in a value");
            return NULL;
        }
    }
    return v;
}

/* ---- output ---------------------------------------------------------------- */

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *nb = realloc(*buf, ncap * elem);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = ncap;
    return 0;
}

static void emit(struct parser *p, const char *key, const char *value, unsigned line)
{
    struct rep_yaml *y = p->y;
    size_t n = strlen(key) + strlen(value) + 2;

    if (grow((void **)&y->lines, &y->cap, y->len + n + 1, 1) < 0 ||
        grow((void **)&y->src, &y->src_cap, y->nlines + 1, sizeof *y->src) < 0) {
        p->stop = 1;
        error_at(p, line, 0, "out of memory");
        return;
    }
    y->len += (size_t)snprintf(y->lines + y->len, y->cap - y->len, "%s=%s\n", key, value);
    y->src[y->nlines++] = line;
}

/* key=value if rep_config takes it, else an error at line. */
static void check_emit(struct parser *p, const char *key, const char *value, unsigned line)
{
    char err[600];

    if (rep_config_check(key, value, err, sizeof err) < 0)
        error_at(p, line, 1, "%s", err);
    else
        emit(p, key, value, line);
}

/* ---- mappings ------------------------------------------------------------- */

static size_t path_push(struct parser *p, const char *name)
{
    size_t old = strlen(p->path);

    snprintf(p->path + old, sizeof p->path - old, "%s%s",
             old && name[0] != '[' ? "." : "", name);
    return old;
}

/* In a mapping, after next(): 1 with the key (printable, shortened) in
 * key, its line in *line, the path extended and the value current; 0 at
 * the end of the mapping or after a fatal error; -1 after a key that is
 * not a name (key and value skipped: the caller goes on). */
static int map_entry(struct parser *p, char *key, size_t cap, size_t *mark, unsigned *line)
{
    if (p->ev.type == YAML_MAPPING_END_EVENT || p->stop)
        return 0;
    if (p->ev.type != YAML_SCALAR_EVENT) {
        error_at(p, line_of(p), p->path[0] != '\0', "a key must be a name, found %s",
                 node_kind(p));
        skip(p);
        if (next(p) == 0)
            skip(p);
        return -1;
    }
    printable(key, cap, (const char *)p->ev.data.scalar.value, p->ev.data.scalar.length);
    *line = line_of(p);
    *mark = path_push(p, key);
    if (next(p) == 0)
        return 1;
    p->path[*mark] = '\0';
    return 0;
}

/* An entry that is not wanted: the error, and past its value. */
static void entry_refuse(struct parser *p, unsigned line, const char *why)
{
    error_at(p, line, 1, "%s", why);
    skip(p);
}

/* Which of the n names key is (n when none); each may come once. */
static size_t name_index(struct parser *p, const char *const *names, size_t n,
                         const char *key, unsigned *seen, unsigned line)
{
    size_t i;

    for (i = 0; i < n && strcmp(names[i], key) != 0; i++)
        ;
    if (i == n) {
        entry_refuse(p, line, "unknown key");
        return n;
    }
    if (*seen & (1u << i)) {
        entry_refuse(p, line, "given twice");
        return n;
    }
    *seen |= 1u << i;
    return i;
}

/* A mapping of plain values: vals[i] (malloc'd, NULL when absent or null)
 * and lines[i] for names[i]. Unknown keys and non-values are errors. */
static void walk_values(struct parser *p, const char *const *names, size_t n,
                        char **vals, unsigned *lines)
{
    unsigned seen = 0, key_line;
    char key[72];
    size_t mark;
    int r;

    while (next(p) == 0 && (r = map_entry(p, key, sizeof key, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        unsigned line = line_of(p);
        size_t i = name_index(p, names, n, key, &seen, key_line);
        const char *v = i < n && !is_null(p) ? value_of(p) : NULL;
        if (v && !(vals[i] = strdup(v))) {
            p->stop = 1;
            error_at(p, line, 0, "out of memory");
        }
        if (i < n)
            lines[i] = line;
        p->path[mark] = '\0';
    }
}

static void free_values(char **vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
}

/* ---- transports ------------------------------------------------------------ */

enum { T_TYPE, T_HOST, T_PORT, T_PATH, T_N };

/* The URL of a transport's values, or NULL after an error at line. */
static char *transport_url(struct parser *p, char **v, unsigned line)
{
    const char *type = v[T_TYPE];
    char *url = NULL;
    int rc = 0;

    if (!type) {
        error_at(p, line, 1, "type is missing (udp, tcp, unix or file)");
    } else if (!strcmp(type, "udp") || !strcmp(type, "tcp")) {
        if (!v[T_HOST] || !v[T_PORT] || v[T_PATH])
            error_at(p, line, 1, "type %s takes host and port (and no path)", type);
        else
            rc = asprintf(&url, strchr(v[T_HOST], ':') && v[T_HOST][0] != '[' ?
                          "%s://[%s]:%s" : "%s://%s:%s", type, v[T_HOST], v[T_PORT]);
    } else if (!strcmp(type, "unix") || !strcmp(type, "file")) {
        if (!v[T_PATH] || v[T_HOST] || v[T_PORT])
            error_at(p, line, 1, "type %s takes path (and no host or port)", type);
        else
            rc = asprintf(&url, "%s://%s", type, v[T_PATH]);
    } else {
        error_at(p, line, 1, "type \"%s\" is not udp, tcp, unix or file", type);
    }
    if (rc < 0) {
        p->stop = 1;
        error_at(p, line, 0, "out of memory");
        url = NULL;
    }
    return url;
}

static void walk_transport(struct parser *p, const char *key)
{
    static const char *const names[T_N] = {"type", "host", "port", "path"};
    char *v[T_N] = {NULL}, *url, err[600];
    unsigned lines[T_N], line = p->key_line;

    if (is_null(p) || !expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    walk_values(p, names, T_N, v, lines);
    if (!p->stop && (url = transport_url(p, v, line)) != NULL) {
        if (rep_transport_url_check(url, err, sizeof err) < 0)
            error_at(p, line, 1, "%s", err);
        else
            check_emit(p, key, url, line);
        free(url);
    }
    free_values(v, T_N);
}

/* ---- event.watch ------------------------------------------------------------ */

enum { W_TYPE, W_NAME, W_FIELD, W_VALUE, W_ALLOWBINARY, W_ENABLED, W_N };

/* Which kind an entry's type names, or NKINDS after an error. */
static size_t watch_kind(struct parser *p, const char *type, unsigned line)
{
    size_t k;

    if (!type) {
        error_at(p, line, 1, "type is missing (file, console, net, fs or dns)");
        return NKINDS;
    }
    for (k = 0; k < NKINDS && strcmp(kinds[k].type, type) != 0; k++)
        ;
    if (k == NKINDS)
        error_at(p, line, 1, "type \"%s\" is not one scope has (file, console, net, fs, dns)",
                 type);
    return k;
}

/* A key of the current entry: the error names it. */
static void watch_error(struct parser *p, const char *sub, unsigned line, const char *what)
{
    size_t mark = path_push(p, sub);
    error_at(p, line, 1, "%s", what);
    p->path[mark] = '\0';
}

/* One entry of event.watch; *on gets the kinds listed and enabled. */
static void watch_entry(struct parser *p, int *listed, int *on)
{
    static const char *const names[W_N] = {"type", "name", "field", "value", "allowbinary",
                                           "enabled"};
    char *v[W_N] = {NULL}, err[600];
    unsigned lines[W_N], line = line_of(p);
    size_t k;

    if (!expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    walk_values(p, names, W_N, v, lines);
    if (p->stop || (k = watch_kind(p, v[W_TYPE], line)) == NKINDS)
        goto out;
    if (listed[k]) {
        error_at(p, line, 1, "type %s is listed twice", kinds[k].type);
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
        check_emit(p, "SCOPE_ALLOW_BINARY_CONSOLE", v[W_ALLOWBINARY], lines[W_ALLOWBINARY]);
    if (v[W_ENABLED] && rep_config_check(kinds[k].enable_key, v[W_ENABLED], err, sizeof err) < 0)
        watch_error(p, "enabled", lines[W_ENABLED], err);
    else if (v[W_ENABLED])
        on[k] = strcmp(v[W_ENABLED], "true") == 0;
    if (v[W_NAME]) {
        size_t mark = path_push(p, "name");
        check_emit(p, kinds[k].name_key, v[W_NAME], lines[W_NAME]);
        p->path[mark] = '\0';
    }
out:
    free_values(v, W_N);
}

/* The kinds listed are on, the others off (AppScope: "comment out an
 * entry to disable the category"). */
static void walk_watch(struct parser *p)
{
    int listed[NKINDS] = {0}, on[NKINDS] = {0};
    unsigned line = p->key_line, i = 0;
    char idx[24];

    if (!is_null(p)) {
        if (!expect(p, YAML_SEQUENCE_START_EVENT, "a list"))
            return;
        while (next(p) == 0 && p->ev.type != YAML_SEQUENCE_END_EVENT) {
            snprintf(idx, sizeof idx, "[%u]", i++);
            size_t mark = path_push(p, idx);
            watch_entry(p, listed, on);
            p->path[mark] = '\0';
        }
    }
    for (size_t k = 0; k < NKINDS && !p->stop; k++)
        emit(p, kinds[k].enable_key, on[k] ? "true" : "false", line);
}

/* ---- the rest ------------------------------------------------------------- */

static void walk_tags(struct parser *p)
{
    char name[72], key[96], buf[VALUE_MAX + 1];
    unsigned ntags = 0, key_line;
    size_t mark;
    int r;

    if (is_null(p) || !expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    while (next(p) == 0 && (r = map_entry(p, name, sizeof name, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        unsigned line = line_of(p);
        const char *v = is_null(p) ? NULL : value_of(p);
        snprintf(key, sizeof key, "SCOPE_TAG_%s", name);
        if (v && rep_yaml_value(p->y, key, buf, sizeof buf, NULL))
            error_at(p, key_line, 1, "given twice");
        else if (v && ++ntags > REP_CONFIG_MAX_TAGS)
            error_at(p, line, 1, "more than %d tags", REP_CONFIG_MAX_TAGS);
        else if (v)
            check_emit(p, key, v, line);
        p->path[mark] = '\0';
    }
}

static void walk_map(struct parser *p, const struct field *fields);

static void walk_value(struct parser *p, const struct field *f)
{
    const char *v;

    switch (f->kind) {
    case K_VALUE:
        if (!is_null(p) && (v = value_of(p)) != NULL)
            check_emit(p, f->key, v, line_of(p));
        break;
    case K_ONLY:
        if (!is_null(p) && (v = value_of(p)) != NULL && strcmp(v, f->key) != 0)
            error_at(p, line_of(p), 1, "only %s is supported", f->key);
        break;
    case K_MAP: walk_map(p, f->sub); break;
    case K_TRANSPORT: walk_transport(p, f->key); break;
    case K_WATCH: walk_watch(p); break;
    case K_TAGS: walk_tags(p); break;
    }
}

static void walk_map(struct parser *p, const struct field *fields)
{
    const char *names[32];
    unsigned seen = 0, key_line;
    size_t n = 0, mark;
    char key[72];
    int r;

    if (is_null(p) || !expect(p, YAML_MAPPING_START_EVENT, "a mapping"))
        return;
    while (fields[n].name)
        names[n] = fields[n].name, n++;
    while (next(p) == 0 && (r = map_entry(p, key, sizeof key, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        size_t i = name_index(p, names, n, key, &seen, key_line);
        p->key_line = key_line;
        if (i < n)
            walk_value(p, &fields[i]);
        p->path[mark] = '\0';
    }
}

/* The stream: one document (or none), a mapping at its root. */
static void walk_stream(struct parser *p)
{
    if (next(p) < 0 || next(p) < 0 || p->ev.type == YAML_STREAM_END_EVENT)
        return;
    if (next(p) < 0)    /* the root node */
        return;
    walk_map(p, top);
    if (next(p) < 0 || next(p) < 0)     /* document end, then stream end */
        return;
    if (p->ev.type == YAML_DOCUMENT_START_EVENT)
        error_at(p, line_of(p), 0, "a second YAML document: only one is read");
}

static int init(struct rep_yaml *y)
{
    memset(y, 0, sizeof *y);
    y->lines = calloc(1, 1);
    y->cap = 1;
    if (!y->lines) {
        y->cap = 0;
        error_add(y, "out of memory");
        return -1;
    }
    return 0;
}

static int parse(struct rep_yaml *y, const char *name, const char *text, size_t len)
{
    struct parser p = {.name = name, .y = y};

    if (!yaml_parser_initialize(&p.yp)) {
        error_add(y, "out of memory");
        return (int)y->nerrors;
    }
    yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);
    walk_stream(&p);
    if (p.have_ev)
        yaml_event_delete(&p.ev);
    yaml_parser_delete(&p.yp);
    return (int)y->nerrors;
}

int rep_yaml_parse(struct rep_yaml *y, const char *name, const char *text, size_t len)
{
    if (init(y) < 0)
        return (int)y->nerrors;
    return parse(y, name, text, len);
}

static int file_error(struct rep_yaml *y, const char *path, const char *what)
{
    char msg[1200];

    snprintf(msg, sizeof msg, "%s: %s", path, what);
    error_add(y, msg);
    return (int)y->nerrors;
}

int rep_yaml_read(struct rep_yaml *y, const char *path)
{
    struct stat st;
    char *text, what[96];
    size_t got = 0;
    int fd, rc;

    if (init(y) < 0)
        return (int)y->nerrors;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
        return file_error(y, path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > REP_YAML_MAX_BYTES) {
        if (S_ISREG(st.st_mode))
            snprintf(what, sizeof what, "larger than %d bytes (%lld): not read",
                     REP_YAML_MAX_BYTES, (long long)st.st_size);
        else
            snprintf(what, sizeof what, "not a regular file");
        close(fd);
        return file_error(y, path, what);
    }
    if (!(text = malloc((size_t)st.st_size + 1))) {
        close(fd);
        return file_error(y, path, "out of memory");
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    rc = parse(y, path, text, got);
    free(text);
    return rc;
}

void rep_yaml_free(struct rep_yaml *y)
{
    free(y->lines);
    free(y->src);
    y->lines = NULL;
    y->src = NULL;
}

const char *rep_yaml_value(const struct rep_yaml *y, const char *key, char *buf,
                           size_t cap, unsigned *line)
{
    size_t i;
    const char *v = rep_config_lookup(y->lines ? y->lines : "", key, buf, cap, &i);

    if (v && line)
        *line = y->src[i];
    return v;
}

int rep_yaml_find(char *path, size_t cap, char *err, size_t errlen)
{
    const char *conf = getenv("SCOPE_CONF_PATH");
    const char *scope_home = getenv("SCOPE_HOME"), *home = getenv("HOME");
    char places[2][4096];
    size_t n = 0;

    if (conf && conf[0]) {
        if (access(conf, R_OK) != 0) {
            snprintf(err, errlen, "SCOPE_CONF_PATH=%s: %s", conf, strerror(errno));
            return -1;
        }
        snprintf(path, cap, "%s", conf);
        return 1;
    }
    if (scope_home && scope_home[0])
        snprintf(places[n++], sizeof places[0], "%s/scope.yml", scope_home);
    else if (home && home[0])
        snprintf(places[n++], sizeof places[0], "%s/.scope/scope.yml", home);
    snprintf(places[n++], sizeof places[0], "/etc/scope/scope.yml");
    for (size_t i = 0; i < n; i++) {
        if (access(places[i], F_OK) == 0) {
            snprintf(path, cap, "%s", places[i]);
            return 1;
        }
    }
    return 0;
}
