/* rep_yaml_walk.c: the walk of libyaml's events that the scope.yml reader
 * (rep_yaml.c, rep_yaml_schema.c) is made of: the next event with the
 * limits on aliases and depth, skipping a node, values checked and handed
 * over, mappings entry by entry, and errors as "FILE:LINE: key PATH: what".
 */
#include "rep_yaml_walk.h"

#include "rep_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ---------------------------------------------------------------- */

void rep_yaml_error_add(struct rep_yaml *y, const char *line)
{
    size_t used = strlen(y->errors), n = strlen(line);

    y->nerrors++;
    if (used + n + 2 <= sizeof y->errors) {
        memcpy(y->errors + used, line, n);
        memcpy(y->errors + used + n, "\n", 2);
    }
}

/* "NAME:LINE: [key PATH: ]what", line 0: "NAME: what". */
void __attribute__((format(printf, 4, 5)))
rep_yaml_error_at(struct rep_yaml_parser *p, unsigned line, int with_key, const char *fmt, ...)
{
    char what[640], msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%u: %s%s%s%s", p->name, line,
             with_key ? "key " : "", with_key ? p->path : "", with_key ? ": " : "", what);
    rep_yaml_error_add(p->y, msg);
}

unsigned rep_yaml_line_of(const struct rep_yaml_parser *p)
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
int rep_yaml_next(struct rep_yaml_parser *p)
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
            rep_yaml_error_at(p, (unsigned)p->yp.problem_mark.line + 1, 0, "out of memory");
        else
            rep_yaml_error_at(p, (unsigned)p->yp.problem_mark.line + 1, 0,
                              "YAML syntax error: %s%s%s",
                              p->yp.problem ? p->yp.problem : "malformed",
                              p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
        return -1;
    }
    p->have_ev = 1;
    switch (p->ev.type) {
    case YAML_ALIAS_EVENT:
        p->stop = 1;
        rep_yaml_error_at(p, rep_yaml_line_of(p), 0, "aliases (*name) are not supported");
        return -1;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (++p->depth > REP_YAML_MAX_DEPTH) {
            p->stop = 1;
            rep_yaml_error_at(p, rep_yaml_line_of(p), 0, "nested deeper than %d levels",
                              REP_YAML_MAX_DEPTH);
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
void rep_yaml_skip(struct rep_yaml_parser *p)
{
    unsigned depth = p->depth;

    if (p->ev.type != YAML_MAPPING_START_EVENT && p->ev.type != YAML_SEQUENCE_START_EVENT)
        return;
    while (p->depth >= depth && rep_yaml_next(p) == 0)
        ;
}

/* `key:`, `key: ~`, `key: null`: as if the key were not there. */
int rep_yaml_is_null(const struct rep_yaml_parser *p)
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

static const char *node_kind(const struct rep_yaml_parser *p)
{
    return p->ev.type == YAML_MAPPING_START_EVENT ? "a mapping" :
           p->ev.type == YAML_SEQUENCE_START_EVENT ? "a list" : "a value";
}

/* The current node is a `want` start event, or an error (node skipped). */
int rep_yaml_expect(struct rep_yaml_parser *p, yaml_event_type_t want, const char *what)
{
    if (p->ev.type == want)
        return 1;
    rep_yaml_error_at(p, rep_yaml_line_of(p), p->path[0] != '\0', "expected %s, found %s", what,
                      node_kind(p));
    rep_yaml_skip(p);
    return 0;
}

/* The current node as a value that can be handed over, or NULL after an
 * error (node skipped). */
const char *rep_yaml_value_of(struct rep_yaml_parser *p)
{
    const char *v = (const char *)p->ev.data.scalar.value;
    size_t len;

    if (p->ev.type != YAML_SCALAR_EVENT) {
        rep_yaml_error_at(p, rep_yaml_line_of(p), 1, "expected a value, found %s", node_kind(p));
        rep_yaml_skip(p);
        return NULL;
    }
    len = p->ev.data.scalar.length;
    if (len > REP_YAML_VALUE_MAX) {
        rep_yaml_error_at(p, rep_yaml_line_of(p), 1, "value longer than %d bytes",
                          REP_YAML_VALUE_MAX);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            rep_yaml_error_at(p, rep_yaml_line_of(p), 1,
                              "control characters (newlines, tabs, ...) are not "
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

void rep_yaml_emit(struct rep_yaml_parser *p, const char *key, const char *value, unsigned line)
{
    struct rep_yaml *y = p->y;
    size_t n = strlen(key) + strlen(value) + 2;

    if (grow((void **)&y->lines, &y->cap, y->len + n + 1, 1) < 0 ||
        grow((void **)&y->src, &y->src_cap, y->nlines + 1, sizeof *y->src) < 0) {
        p->stop = 1;
        rep_yaml_error_at(p, line, 0, "out of memory");
        return;
    }
    y->len += (size_t)snprintf(y->lines + y->len, y->cap - y->len, "%s=%s\n", key, value);
    y->src[y->nlines++] = line;
}

/* key=value if rep_config takes it, else an error at line. */
void rep_yaml_check_emit(struct rep_yaml_parser *p, const char *key, const char *value,
                         unsigned line)
{
    char err[600];

    if (rep_config_check(key, value, err, sizeof err) < 0)
        rep_yaml_error_at(p, line, 1, "%s", err);
    else
        rep_yaml_emit(p, key, value, line);
}

/* ---- mappings ------------------------------------------------------------- */

size_t rep_yaml_path_push(struct rep_yaml_parser *p, const char *name)
{
    size_t old = strlen(p->path);

    snprintf(p->path + old, sizeof p->path - old, "%s%s",
             old && name[0] != '[' ? "." : "", name);
    return old;
}

/* In a mapping, after rep_yaml_next(): 1 with the key (printable, shortened) in
 * key, its line in *line, the path extended and the value current; 0 at
 * the end of the mapping or after a fatal error; -1 after a key that is
 * not a name (key and value skipped: the caller goes on). */
int rep_yaml_map_entry(struct rep_yaml_parser *p, char *key, size_t cap, size_t *mark,
                       unsigned *line)
{
    if (p->ev.type == YAML_MAPPING_END_EVENT || p->stop)
        return 0;
    if (p->ev.type != YAML_SCALAR_EVENT) {
        rep_yaml_error_at(p, rep_yaml_line_of(p), p->path[0] != '\0',
                          "a key must be a name, found %s",
                          node_kind(p));
        rep_yaml_skip(p);
        if (rep_yaml_next(p) == 0)
            rep_yaml_skip(p);
        return -1;
    }
    printable(key, cap, (const char *)p->ev.data.scalar.value, p->ev.data.scalar.length);
    *line = rep_yaml_line_of(p);
    *mark = rep_yaml_path_push(p, key);
    if (rep_yaml_next(p) == 0)
        return 1;
    p->path[*mark] = '\0';
    return 0;
}

/* An entry that is not wanted: the error, and past its value. */
static void entry_refuse(struct rep_yaml_parser *p, unsigned line, const char *why)
{
    rep_yaml_error_at(p, line, 1, "%s", why);
    rep_yaml_skip(p);
}

/* Which of the n names key is (n when none); each may come once. */
size_t rep_yaml_name_index(struct rep_yaml_parser *p, const char *const *names, size_t n,
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
void rep_yaml_walk_values(struct rep_yaml_parser *p, const char *const *names, size_t n,
                          char **vals, unsigned *lines)
{
    unsigned seen = 0, key_line;
    char key[72];
    size_t mark;
    int r;

    while (rep_yaml_next(p) == 0 &&
           (r = rep_yaml_map_entry(p, key, sizeof key, &mark, &key_line)) != 0) {
        if (r < 0)
            continue;
        unsigned line = rep_yaml_line_of(p);
        size_t i = rep_yaml_name_index(p, names, n, key, &seen, key_line);
        const char *v = i < n && !rep_yaml_is_null(p) ? rep_yaml_value_of(p) : NULL;
        if (v && !(vals[i] = strdup(v))) {
            p->stop = 1;
            rep_yaml_error_at(p, line, 0, "out of memory");
        }
        if (i < n)
            lines[i] = line;
        p->path[mark] = '\0';
    }
}

void rep_yaml_free_values(char **vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
}
