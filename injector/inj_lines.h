/* inj_lines.h: one line of a session's metrics.json or events.json: which
 * lines the filter flags let through, and each as one line of text for a
 * terminal (control characters escaped, inj_term).
 *
 * The lines are hostile input (the process wrote them): every field is
 * checked for its type, and a line that is not the documented shape is
 * the caller's to count as malformed.
 */
#ifndef INJ_LINES_H
#define INJ_LINES_H

#include "inj_cli.h"

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct inj_line_filter {
    struct inj_line_opts o;
    regex_t re;
    bool has_re;
    double since_time;          /* Unix time, 0: all */
};

/* 0, or -1 after saying why (the regex: checked by the parser already). */
int inj_line_filter_init(struct inj_line_filter *f, const struct inj_line_opts *o);
void inj_line_filter_free(struct inj_line_filter *f);
/* Does the line pass? line is NUL-terminated, len bytes, maybe ending in
 * '\n' (not matched); root is the line parsed (NULL: it is no JSON, and
 * passes only a filter that asks nothing of the fields). */
bool inj_line_filter_pass(const struct inj_line_filter *f, const char *line, size_t len,
                          json_t *root);
bool inj_line_filter_any_field(const struct inj_line_filter *f);

/* {"type": type, "body": {...}, ...} */
bool inj_line_is(json_t *root, const char *type);
/* The process-start message that opens events.json (no event). */
bool inj_line_is_start(json_t *root);

/* An integer when the value is whole, else up to 3 decimals. */
void inj_line_number(double v, char *buf, size_t len);
/* Local HH:MM:SS.mmm of a Unix time. */
void inj_line_time(double t, char *buf, size_t len);
/* A JSON value as a tag shows it: strings bare, others compact. */
void inj_line_value(FILE *out, json_t *v);

/* What an event says, in a few words (fs.* events: op, file, value),
 * unescaped; malloc'd, NULL when out of memory. */
char *inj_line_event_summary(json_t *body);
/* "TIME  PID  SOURCE  DATA" of an event line, escaped; malloc'd. NULL when
 * out of memory or not an event (*malformed says which). */
char *inj_line_event_text(json_t *root, bool *malformed);

/* A metric body's other fields (not name, value, type, unit, pid, proc,
 * host, time, nor a distribution's figures) as "k:v,k:v" by key, escaped;
 * "-" when there are none. malloc'd, NULL when out of memory. */
char *inj_line_tags(json_t *body);

/* scope.fs.duration and scope.net.duration (reporter/rep_latency.c):
 * the fields that hold the distribution. */
bool inj_line_is_dist_field(const char *key);
bool inj_line_is_dist(const char *metric);
/* "p50 X p90 X p99 X max X unit" of such a body, into buf. */
void inj_line_dist(json_t *body, char *buf, size_t len);

#endif
