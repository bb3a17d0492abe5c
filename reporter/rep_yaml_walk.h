/* rep_yaml_walk.h: the pieces of the scope.yml reader share this (internal
 * to reporter_config; rep_yaml.h is the API).
 *
 * A walk holds one libyaml event at a time (p->ev, "the current node"
 * when it starts one). The functions that read on leave p->stop set after
 * a fatal error (syntax, alias, depth, memory): then nothing more is read
 * and every walk unwinds. Errors go to p->y->errors with p->path, the
 * dotted key being walked, when with_key is set.
 */
#ifndef REP_YAML_WALK_H
#define REP_YAML_WALK_H

#include "rep_yaml.h"

#include <stddef.h>
#include <yaml.h>

/* Longer values cannot be handed over (rep_config reads 4 KiB at most). */
#define REP_YAML_VALUE_MAX 4000

struct rep_yaml_parser {
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

/* errors: one line appended to y->errors (counted even when cut) */
void rep_yaml_error_add(struct rep_yaml *y, const char *line);
/* "NAME:LINE: [key PATH: ]what", line 0: "NAME: what". */
void __attribute__((format(printf, 4, 5)))
rep_yaml_error_at(struct rep_yaml_parser *p, unsigned line, int with_key, const char *fmt, ...);
/* The line of the current event, counted from 1. */
unsigned rep_yaml_line_of(const struct rep_yaml_parser *p);

/* events */
/* The next event into p->ev: 0, or -1 after a fatal error. */
int rep_yaml_next(struct rep_yaml_parser *p);
/* Past the node whose first event is current. */
void rep_yaml_skip(struct rep_yaml_parser *p);
/* `key:`, `key: ~`, `key: null`: as if the key were not there. */
int rep_yaml_is_null(const struct rep_yaml_parser *p);
/* The current node is a `want` start event, or an error (node skipped). */
int rep_yaml_expect(struct rep_yaml_parser *p, yaml_event_type_t want, const char *what);
/* The current node as a value that can be handed over, or NULL after an
 * error (node skipped). */
const char *rep_yaml_value_of(struct rep_yaml_parser *p);

/* output: one "KEY=VALUE" line of the file's line */
void rep_yaml_emit(struct rep_yaml_parser *p, const char *key, const char *value, unsigned line);
/* key=value if rep_config takes it, else an error at line. */
void rep_yaml_check_emit(struct rep_yaml_parser *p, const char *key, const char *value,
                         unsigned line);

/* mappings */
/* name appended to p->path; returns the old length, to cut it back. */
size_t rep_yaml_path_push(struct rep_yaml_parser *p, const char *name);
/* In a mapping, after rep_yaml_next(): 1 with the key in key (printable,
 * shortened), 0 at the end or after a fatal error, -1 after a key that is
 * not a name (the caller goes on). */
int rep_yaml_map_entry(struct rep_yaml_parser *p, char *key, size_t cap, size_t *mark,
                       unsigned *line);
/* Which of the n names key is (n, after an error, when none); each may
 * come once (seen: a bit each). */
size_t rep_yaml_name_index(struct rep_yaml_parser *p, const char *const *names, size_t n,
                           const char *key, unsigned *seen, unsigned line);
/* A mapping of plain values: vals[i] (malloc'd, NULL when absent or null)
 * and lines[i] for names[i]. */
void rep_yaml_walk_values(struct rep_yaml_parser *p, const char *const *names, size_t n,
                          char **vals, unsigned *lines);
void rep_yaml_free_values(char **vals, size_t n);

/* rep_yaml_schema.c: the whole stream, one document, walked to y. */
void rep_yaml_walk_stream(struct rep_yaml_parser *p);

#endif
