/* emit_samples.c: write NDJSON sample lines made by rep_fmt to a file, so
 * that tests/tools/validate_ndjson.py can check them against the AppScope
 * schemas: the proof that the formatter and the schemas agree.
 *
 * Every fs.* metric appears in its summary form and in its per-file form
 * with the tags the schemas declare for it; the events are fs.open,
 * fs.close and console (with text that needs escaping).
 *
 * usage: emit_samples OUT.ndjson
 */
#include "rep_fmt.h"

#include <stdio.h>
#include <stdlib.h>

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct rep_ident ident = {
    .pid = 4242,
    .proc = "dd",
    .cmd = "dd if=/dev/zero of=/tmp/out bs=4k count=1",
    .host = "box",
    .channel = "5890090429747",
};

static const double now = 1643826292.076709;

static FILE *out;
static int failures;

static void emit(const char *line, size_t len, const char *what)
{
    if (len == 0 || fwrite(line, 1, len, out) != len) {
        fprintf(stderr, "emit_samples: cannot write %s\n", what);
        failures++;
    }
}

static void metric(const char *name, enum rep_metric_type type, double value,
                   const char *unit, bool summary,
                   const struct rep_field *tags, size_t ntags)
{
    char line[2048];
    struct rep_metric m = { .name = name, .type = type, .value = value,
                            .unit = unit, .tags = tags, .ntags = ntags,
                            .summary = summary };

    emit(line, rep_fmt_metric_json(line, sizeof line, &ident, &m, now), name);
}

static void event(const char *sourcetype, const char *source,
                  const struct rep_field *data, size_t ndata)
{
    static struct rep_ident_json who;
    char line[4096];

    rep_ident_json_make(&who, &ident);
    emit(line, rep_fmt_event_json(line, sizeof line, &who, sourcetype,
                                  source, now, data, ndata), source);
}

/* The summary form has no tags but "summary":"true"; the per-file form has
 * the tags AppScope puts on it. */
static void fs_metrics(void)
{
    const struct rep_field open_tags[] = {
        REP_FIELD_STR("file", "/tmp/out"), REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "open"),
    };
    const struct rep_field close_tags[] = {
        REP_FIELD_STR("file", "/tmp/out"), REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "close"),
    };
    const struct rep_field read_tags[] = {
        REP_FIELD_STR("file", "/dev/zero"), REP_FIELD_INT("fd", 0),
        REP_FIELD_STR("op", "read"), REP_FIELD_INT("numops", 1),
    };
    const struct rep_field write_tags[] = {
        REP_FIELD_STR("file", "/tmp/out"), REP_FIELD_INT("fd", 1),
        REP_FIELD_STR("op", "write"), REP_FIELD_INT("numops", 1),
    };
    const struct rep_field seek_tags[] = {
        REP_FIELD_STR("file", "/tmp/out"), REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "lseek"),
    };
    const struct rep_field duration_tags[] = {
        REP_FIELD_STR("file", "/tmp/out"), REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "write"), REP_FIELD_INT("numops", 2),
    };
    const struct rep_field error_summary_tags[] = {
        REP_FIELD_STR("class", "open_close"),
    };
    const struct rep_field error_tags[] = {
        REP_FIELD_STR("op", "open"), REP_FIELD_STR("file", "/nonexistent"),
        REP_FIELD_STR("class", "open_close"),
    };

    metric("fs.open", REP_COUNTER, 1, "operation", true, NULL, 0);
    metric("fs.open", REP_COUNTER, 1, "operation", false, open_tags,
           NITEMS(open_tags));
    metric("fs.close", REP_COUNTER, 1, "operation", true, NULL, 0);
    metric("fs.close", REP_COUNTER, 1, "operation", false, close_tags,
           NITEMS(close_tags));
    metric("fs.read", REP_COUNTER, 4096, "byte", true, NULL, 0);
    metric("fs.read", REP_COUNTER, 4096, "byte", false, read_tags,
           NITEMS(read_tags));
    metric("fs.write", REP_COUNTER, 4096, "byte", true, NULL, 0);
    metric("fs.write", REP_COUNTER, 4096, "byte", false, write_tags,
           NITEMS(write_tags));
    metric("fs.seek", REP_COUNTER, 3, "operation", true, NULL, 0);
    metric("fs.seek", REP_COUNTER, 1, "operation", false, seek_tags,
           NITEMS(seek_tags));
    metric("fs.duration", REP_HISTOGRAM, 16.5, "microsecond", true, NULL, 0);
    metric("fs.duration", REP_HISTOGRAM, 16, "microsecond", false,
           duration_tags, NITEMS(duration_tags));
    /* fs.error requires "class" even in its summary form */
    metric("fs.error", REP_COUNTER, 2, "operation", true, error_summary_tags,
           NITEMS(error_summary_tags));
    metric("fs.error", REP_COUNTER, 1, "operation", false, error_tags,
           NITEMS(error_tags));
}

static void fs_events(void)
{
    const struct rep_field open_data[] = {
        REP_FIELD_STR("proc", "dd"), REP_FIELD_INT("pid", 4242),
        REP_FIELD_STR("host", "box"), REP_FIELD_STR("file", "/tmp/out"),
        REP_FIELD_INT("fd", 3), REP_FIELD_STR("op", "open"),
    };
    const struct rep_field close_data[] = {
        REP_FIELD_STR("proc", "dd"), REP_FIELD_INT("pid", 4242),
        REP_FIELD_STR("host", "box"), REP_FIELD_STR("file", "/tmp/out"),
        REP_FIELD_INT("fd", 3), REP_FIELD_STR("op", "close"),
        REP_FIELD_INT("file_read_bytes", 0),
        REP_FIELD_INT("file_read_ops", 0),
        REP_FIELD_INT("file_write_bytes", 4096),
        REP_FIELD_INT("file_write_ops", 1),
        REP_FIELD_DBL("duration", 0.25),
    };

    event("fs", "fs.open", open_data, NITEMS(open_data));
    event("fs", "fs.close", close_data, NITEMS(close_data));
}

/* Console text is arbitrary bytes: quotes, control bytes, an emoji and an
 * invalid byte must all still give a schema-valid string. */
static void console_events(void)
{
    static const char text[] = "1+0 records in \"ok\"\t\x01\xf0\x9f\x98\x80"
                               "\xff\n";
    const struct rep_field out_data[] = {
        REP_FIELD_STRN("message", text, sizeof text - 1),
    };
    const struct rep_field err_data[] = {
        REP_FIELD_STR("message", "dd: error writing '/tmp/out'\n"),
    };

    event("console", "stdout", out_data, NITEMS(out_data));
    event("console", "stderr", err_data, NITEMS(err_data));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: emit_samples OUT.ndjson\n");
        return 2;
    }
    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    fs_metrics();
    fs_events();
    console_events();
    if (fclose(out) != 0) {
        perror(argv[1]);
        failures++;
    }
    return failures ? 1 : 0;
}
