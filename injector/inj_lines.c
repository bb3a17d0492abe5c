/* inj_lines.c: filters and text of session lines (see inj_lines.h). */
#include "inj_lines.h"
#include "inj_term.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int inj_line_filter_init(struct inj_line_filter *f, const struct inj_line_opts *o)
{
    memset(f, 0, sizeof *f);
    f->o = *o;
    if (o->since > 0)
        f->since_time = (double)time(NULL) - o->since;
    if (o->match) {
        if (regcomp(&f->re, o->match, REG_EXTENDED | REG_NOSUB) != 0) {
            fprintf(stderr, "scope: --match: not a regular expression\n");
            return -1;
        }
        f->has_re = true;
    }
    return 0;
}

void inj_line_filter_free(struct inj_line_filter *f)
{
    if (f->has_re)
        regfree(&f->re);
    f->has_re = false;
}

bool inj_line_filter_any_field(const struct inj_line_filter *f)
{
    return f->o.pid || f->o.source || f->o.sourcetype || f->since_time > 0;
}

bool inj_line_is(json_t *root, const char *type)
{
    const char *t = json_string_value(json_object_get(root, "type"));

    return t && strcmp(t, type) == 0 && json_is_object(json_object_get(root, "body"));
}

bool inj_line_is_start(json_t *root)
{
    return !json_object_get(root, "type") && json_is_object(json_object_get(root, "info"));
}

static bool same_string(json_t *v, const char *want)
{
    const char *s = json_string_value(v);
    return !want || (s && strcmp(s, want) == 0);
}

static bool fields_pass(const struct inj_line_filter *f, json_t *root)
{
    json_t *body = json_object_get(root, "body");
    bool metric = inj_line_is(root, "metric");
    json_t *pid = json_object_get(body, "pid"), *when = json_object_get(body, "_time");

    if (!inj_line_filter_any_field(f))
        return true;
    if (!json_is_object(body))
        return false;
    if (f->o.pid && !(json_is_integer(pid) && json_integer_value(pid) == f->o.pid))
        return false;
    if (f->since_time > 0 && !(json_is_number(when) && json_number_value(when) >= f->since_time))
        return false;
    return same_string(json_object_get(body, metric ? "_metric" : "source"), f->o.source) &&
           same_string(json_object_get(body, metric ? "_metric_type" : "sourcetype"),
                       f->o.sourcetype);
}

bool inj_line_filter_pass(const struct inj_line_filter *f, const char *line, size_t len,
                          json_t *root)
{
    if (f->has_re) {
        regmatch_t whole = { .rm_so = 0, .rm_eo = (regoff_t)(len && line[len - 1] == '\n'
                                                                  ? len - 1 : len) };
        if (regexec(&f->re, line, 1, &whole, REG_STARTEND) != 0)
            return false;
    }
    return root ? fields_pass(f, root) : !inj_line_filter_any_field(f);
}

void inj_line_number(double v, char *buf, size_t len)
{
    char *end;

    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    snprintf(buf, len, "%.3f", v);
    end = buf + strlen(buf);
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.')
        *--end = '\0';
}

void inj_line_time(double t, char *buf, size_t len)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    char hms[16] = "??:??:??";

    if (isfinite(t) && localtime_r(&secs, &tm))
        strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03d", hms, isfinite(t) ? (int)((t - floor(t)) * 1000) : 0);
}

void inj_line_value(FILE *out, json_t *v)
{
    char *s;

    if (json_is_string(v)) {
        fputs(json_string_value(v), out);
    } else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT))) {
        fputs(s, out);
        free(s);
    }
}

/* Body fields shown in their own column or not at all. */
static bool is_column(const char *key)
{
    static const char *const columns[] = {"proc", "pid", "host", "unit", "_time",
                                          "_metric", "_metric_type", "_value"};

    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(key, columns[i]) == 0)
            return true;
    return inj_line_is_dist_field(key);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *inj_line_tags(json_t *body)
{
    const char *keys[json_object_size(body) + 1];
    size_t n = 0, len;
    const char *key;
    json_t *v;
    char *out = NULL, *line;
    FILE *f = open_memstream(&out, &len);

    if (!f)
        return NULL;
    json_object_foreach(body, key, v)
        if (!is_column(key))
            keys[n++] = key;
    qsort(keys, n, sizeof keys[0], by_key);
    if (n == 0)
        fputc('-', f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s%s:", i ? "," : "", keys[i]);
        inj_line_value(f, json_object_get(body, keys[i]));
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    line = inj_term_dup(out);
    free(out);
    return line;
}

char *inj_line_event_summary(json_t *body)
{
    json_t *data = json_object_get(body, "data");
    const char *type = json_string_value(json_object_get(body, "sourcetype"));
    const char *source = json_string_value(json_object_get(body, "source"));
    const char *message = json_string_value(json_object_get(data, "message"));
    const char *op = json_string_value(json_object_get(data, "op"));
    json_t *value = json_object_get(data, "_value");
    char *out = NULL;
    size_t len;
    FILE *f;

    if (type && (strcmp(type, "console") == 0 || strcmp(type, "file") == 0) && message)
        return strdup(message);
    if (!source || strncmp(source, "fs.", 3) != 0 ||
        !json_is_string(json_object_get(data, "file")))
        return json_dumps(data, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!(f = open_memstream(&out, &len)))
        return NULL;
    fprintf(f, "%s %s", op ? op : source + 3, json_string_value(json_object_get(data, "file")));
    if (json_is_number(value)) {
        fputc(' ', f);
        inj_line_value(f, value);
        if (json_is_string(json_object_get(data, "unit")))
            fprintf(f, " %s", json_string_value(json_object_get(data, "unit")));
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

char *inj_line_event_text(json_t *root, bool *malformed)
{
    json_t *body = json_object_get(root, "body");
    json_t *when = json_object_get(body, "_time"), *pid = json_object_get(body, "pid");
    const char *source = json_string_value(json_object_get(body, "source"));
    char tbuf[32], *raw, *text = NULL, *out = NULL;

    *malformed = !inj_line_is(root, "evt") || !json_is_number(when) || !source;
    if (*malformed)
        return NULL;
    inj_line_time(json_number_value(when), tbuf, sizeof tbuf);
    if (!(raw = inj_line_event_summary(body)))
        return NULL;
    text = inj_term_dup(raw);
    free(raw);
    char *src = inj_term_dup(source);
    if (text && src &&
        asprintf(&out, "%s  %" JSON_INTEGER_FORMAT "  %s  %s", tbuf,
                 json_is_integer(pid) ? json_integer_value(pid) : (json_int_t)-1, src, text) < 0)
        out = NULL;
    free(src);
    free(text);
    return out;
}

static const char *const dist_fields[] = {"p50", "p90", "p99", "max", "samples", "calls"};

bool inj_line_is_dist_field(const char *key)
{
    for (size_t i = 0; i < sizeof dist_fields / sizeof dist_fields[0]; i++)
        if (strcmp(key, dist_fields[i]) == 0)
            return true;
    return false;
}

bool inj_line_is_dist(const char *metric)
{
    return metric && (strcmp(metric, "scope.fs.duration") == 0 ||
                      strcmp(metric, "scope.net.duration") == 0);
}

void inj_line_dist(json_t *body, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < 4 && used < len; i++) {
        json_t *v = json_object_get(body, dist_fields[i]);
        char num[64] = "-";
        if (json_is_number(v))
            inj_line_number(json_number_value(v), num, sizeof num);
        used += (size_t)snprintf(buf + used, len - used, "%s%s %s", i ? " " : "",
                                 dist_fields[i], num);
    }
}
