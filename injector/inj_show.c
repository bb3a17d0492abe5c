/* inj_show.c: `scope metrics`, `scope events`, `scope history` (see inj_show.h).
 *
 * events: one row per line, in file order; metrics: inj_metrics.c. Lines
 * that are not the documented shapes are skipped and counted; lines the
 * filter flags leave out are not shown. --follow is inj_follow.c's,
 * --graph inj_graph.c's.
 */
#include "inj_show.h"
#include "inj_term.h"

#include "inj_follow.h"
#include "inj_graph.h"
#include "inj_lines.h"
#include "inj_metrics.h"
#include "inj_session.h"
#include "inj_table.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_LINE_MAX 100  /* events rows are cut to this many characters */
#define HISTORY_CMD_MAX 40   /* characters of the command line in history */

/* ---- sessions and files -------------------------------------------------- */

static int load_sessions(char *hist, size_t len, struct inj_session **list, size_t *count)
{
    if (inj_history_dir(hist, len) < 0 || inj_session_list(hist, list, count) < 0)
        return -1;
    if (*count == 0) {
        fprintf(stderr, "scope: no sessions in %s; run `scope run -- CMD` first\n", hist);
        free(*list);
        return -1;
    }
    return 0;
}

/* The newest session started for pid, or NULL. */
static const struct inj_session *newest_of_pid(const struct inj_session *list, size_t count,
                                               long pid)
{
    for (size_t i = count; pid && i-- > 0;)
        if (list[i].pid == pid)
            return &list[i];
    return NULL;
}

int inj_show_session_dir(const struct inj_show_opts *o, char *dir, size_t len)
{
    char hist[PATH_MAX];
    struct inj_session *list;
    const struct inj_session *s = NULL;
    size_t count;
    int rc = -1;

    if (load_sessions(hist, sizeof hist, &list, &count) < 0)
        return -1;
    if (!o->id)
        s = newest_of_pid(list, count, o->lines.pid);
    if (!s && !(s = inj_session_pick(list, count, o->id)))
        fprintf(stderr, "scope: no session with id '%s' in %s; see `scope history`\n", o->id,
                hist);
    else
        rc = inj_path_join(dir, len, hist, s->name);
    free(list);
    return rc;
}

/* Open dir/name (*size: how much to read); when it is missing, say where
 * info.json says the output went. */
static FILE *open_output(const char *dir, const char *name, const char *dest_key, off_t *size)
{
    FILE *f;
    json_t *info;
    const char *dest;

    if ((f = inj_session_file_open(dir, name, size)))
        return f;
    if (errno == 0)
        return NULL;
    fprintf(stderr, "scope: cannot read %s/%s: %s\n", dir, name, strerror(errno));
    info = inj_info_read(dir);
    char *shown = (dest = json_string_value(json_object_get(info, dest_key))) ? inj_term_dup(dest)
                                                                             : NULL;
    if (shown)
        fprintf(stderr, "scope: this session sent its output to %s\n", shown);
    free(shown);
    json_decref(info);
    return NULL;
}

/* At most size bytes of f to stdout. */
static int copy_raw(FILE *f, off_t size)
{
    char buf[65536];
    size_t n;

    while (size > 0 &&
           (n = fread(buf, 1, (size_t)size < sizeof buf ? (size_t)size : sizeof buf, f)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n)
            return -1;
        size -= (off_t)n;
    }
    return ferror(f) ? -1 : 0;
}

/* Every non-empty line of the first size bytes that passes the filter, to
 * each() parsed as JSON (root NULL when it is none); what each() rejects
 * is counted in *malformed. */
static int each_line(FILE *f, off_t size, const struct inj_line_filter *filter,
                     inj_line_fn *each, void *ctx, size_t *malformed)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    enum inj_line_verdict r = INJ_LINE_OK;

    *malformed = 0;
    while (r != INJ_LINE_FATAL && size > 0 && (len = getline(&line, &cap, f)) >= 0) {
        json_t *root;
        size -= len;
        if (len == 0 || (len == 1 && line[0] == '\n'))
            continue;
        root = json_loadb(line, (size_t)len, 0, NULL);
        if (inj_line_filter_pass(filter, line, (size_t)len, root))
            r = each(root, line, (size_t)len, ctx);
        *malformed += r == INJ_LINE_MALFORMED;
        json_decref(root);
    }
    free(line);
    if (r == INJ_LINE_FATAL || ferror(f)) {
        fprintf(stderr, "scope: %s\n", r == INJ_LINE_FATAL ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

void inj_show_malformed(size_t n)
{
    if (n)
        fprintf(stderr, "scope: %zu malformed line%s skipped\n", n, n == 1 ? "" : "s");
}

int inj_show_read(const struct inj_show_opts *o, const char *dir, const char *file,
                  inj_line_fn *each, void *ctx)
{
    const char *dest_key = strcmp(file, INJ_METRICS_FILE) == 0 ? "metric_dest" : "event_dest";
    struct inj_line_filter filter;
    size_t malformed = 0;
    off_t size;
    FILE *f;
    int rc;

    if (!(f = open_output(dir, file, dest_key, &size)))
        return -1;
    if (each == inj_show_raw && !o->lines.match && !o->lines.pid && !o->lines.source &&
        !o->lines.sourcetype && !o->lines.since) {
        rc = copy_raw(f, size);         /* byte for byte, blank lines too */
        fclose(f);
        return rc;
    }
    if (inj_line_filter_init(&filter, &o->lines) < 0) {
        fclose(f);
        return -1;
    }
    rc = each_line(f, size, &filter, each, ctx, &malformed);
    inj_line_filter_free(&filter);
    fclose(f);
    inj_show_malformed(malformed);
    return rc;
}

enum inj_line_verdict inj_show_raw(json_t *root, const char *line, size_t len, void *ctx)
{
    (void)root;
    (void)ctx;
    return fwrite(line, 1, len, stdout) == len ? INJ_LINE_OK : INJ_LINE_FATAL;
}

/* Print session output raw (--json) or as a table built by each(). */
static int show(const struct inj_show_opts *o, const char *file, inj_line_fn *each, void *ctx,
                int (*print)(void *ctx, const char *dir))
{
    char dir[PATH_MAX];

    if (inj_show_session_dir(o, dir, sizeof dir) < 0)
        return 1;
    if (o->follow)
        return inj_follow_show(o, dir, file);
    if (o->json)
        return inj_show_read(o, dir, file, inj_show_raw, NULL) < 0 ? 1 : 0;
    if (inj_show_read(o, dir, file, each, ctx) < 0)
        return 1;
    return print(ctx, dir) < 0 ? 1 : 0;
}

/* ---- metrics ------------------------------------------------------------- */

static int print_metrics(void *ctx, const char *dir)
{
    return inj_metrics_print(ctx, dir);
}

int inj_show_metrics(const struct inj_show_opts *o)
{
    struct inj_metrics *m;
    int rc;

    if (o->graph)
        return inj_graph_show(o);
    if (!(m = inj_metrics_new())) {
        fprintf(stderr, "scope: out of memory\n");
        return 1;
    }
    rc = show(o, INJ_METRICS_FILE, inj_metrics_add, m, print_metrics);
    inj_metrics_free(m);
    return rc;
}

/* ---- events -------------------------------------------------------------- */

static enum inj_line_verdict add_event(json_t *root, const char *line, size_t len, void *ctx)
{
    struct inj_table *t = ctx;
    json_t *body = json_object_get(root, "body");
    json_t *pid = json_object_get(body, "pid");
    const char *source = json_string_value(json_object_get(body, "source"));
    char when[32], pidbuf[32], *raw, *data;
    int rc;

    (void)line;
    (void)len;
    if (inj_line_is_start(root))
        return INJ_LINE_OK;         /* the process-start message: no event */
    if (!inj_line_is(root, "evt") || !json_is_number(json_object_get(body, "_time")) || !source)
        return INJ_LINE_MALFORMED;
    inj_line_time(json_number_value(json_object_get(body, "_time")), when, sizeof when);
    snprintf(pidbuf, sizeof pidbuf, json_is_integer(pid) ? "%" JSON_INTEGER_FORMAT : "-",
             json_integer_value(pid));
    if (!(raw = inj_line_event_summary(body)))
        return INJ_LINE_FATAL;
    data = inj_term_dup(raw);
    free(raw);
    if (!data)
        return INJ_LINE_FATAL;
    const char *row[] = {when, pidbuf, source, data};
    rc = inj_table_add(t, row);
    free(data);
    return rc < 0 ? INJ_LINE_FATAL : INJ_LINE_OK;
}

static int print_events(void *ctx, const char *dir)
{
    struct inj_table *t = ctx;

    (void)dir;
    if (inj_table_rows(t) == 0)
        fprintf(stderr, "scope: no events recorded in this session\n");
    else
        inj_table_print(t, stdout, EVENTS_LINE_MAX);
    return 0;
}

int inj_show_events(const struct inj_show_opts *o)
{
    static const char *const headers[] = {"TIME", "PID", "SOURCE", "DATA"};
    struct inj_table *t = inj_table_new(4, headers);
    int rc = t ? show(o, INJ_EVENTS_FILE, add_event, t, print_events) : 1;

    inj_table_free(t);
    return rc;
}

/* ---- history ------------------------------------------------------------- */

/* CMD and EXIT of a session, from its info.json ("-" when unknown). */
static void describe(const char *dir, char *cmd, size_t cmdlen, char *ended, size_t endedlen)
{
    json_t *info = inj_info_read(dir);
    json_t *argv = json_object_get(info, "cmd"), *arg;
    json_t *status = json_object_get(info, "exit_status");
    const char *sig = json_string_value(json_object_get(info, "signal"));
    size_t i, used = 0;

    snprintf(cmd, cmdlen, "-");
    json_array_foreach(argv, i, arg) {
        if (json_is_string(arg) && used < cmdlen)
            used += (size_t)snprintf(cmd + used, cmdlen - used, "%s%s", i ? " " : "",
                                     json_string_value(arg));
    }
    inj_table_cut(cmd, HISTORY_CMD_MAX);
    if (!json_is_integer(status))
        snprintf(ended, endedlen, "-");
    else
        snprintf(ended, endedlen, sig ? "%" JSON_INTEGER_FORMAT " (%s)" : "%" JSON_INTEGER_FORMAT,
                 json_integer_value(status), sig);
    json_decref(info);
}

int inj_show_history(void)
{
    static const char *const headers[] = {"ID", "CMD", "PID", "START", "EXIT", "DIR"};
    char hist[PATH_MAX];
    struct inj_session *list;
    size_t count;
    struct inj_table *t;
    int rc = 0;

    if (load_sessions(hist, sizeof hist, &list, &count) < 0)
        return 1;
    if (!(t = inj_table_new(6, headers))) {
        fprintf(stderr, "scope: out of memory\n");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char id[32], pid[32], start[32], dir[PATH_MAX], cmd[256], ended[64];
        time_t secs = (time_t)list[i].start;
        struct tm tm;
        snprintf(id, sizeof id, "%lu", list[i].n);
        snprintf(pid, sizeof pid, "%ld", list[i].pid);
        if (!localtime_r(&secs, &tm) || !strftime(start, sizeof start, "%Y-%m-%d %H:%M:%S", &tm))
            snprintf(start, sizeof start, "%lld", list[i].start);
        if ((rc = inj_path_join(dir, sizeof dir, hist, list[i].name)) < 0)
            break;
        describe(dir, cmd, sizeof cmd, ended, sizeof ended);
        const char *row[] = {id, cmd, pid, start, ended, dir};
        if ((rc = inj_table_add(t, row)) < 0)
            fprintf(stderr, "scope: out of memory\n");
    }
    if (rc == 0)
        inj_table_print(t, stdout, 0);
    inj_table_free(t);
    free(list);
    return rc < 0 ? 1 : 0;
}
