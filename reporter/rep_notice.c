/* rep_notice.c: nothing is lost silently: drops, cuts and lines a
 * destination never took become notices (and scope.dropped), or a line in
 * the library's log at the end. */
#include "rep_internal.h"
#include "rep_log.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

void rep_drops_add(struct rep *r, uint64_t events_dropped)
{
    r->drops_to_report += events_dropped;
}

void rep_events_cut_add(struct rep *r, uint64_t cut)
{
    r->events_cut += cut;
}

void rep_unrecorded_add(struct rep *r, uint64_t calls)
{
    r->calls_unrecorded += calls;
}

void rep_paths_stored_cut_add(struct rep *r, uint64_t files, unsigned kept, unsigned long_slots)
{
    r->paths_stored_cut += files;
    r->path_kept = kept;
    r->long_paths = long_slots;
}

/* A notice event with a printf-formatted message. */
static void notice_vadd(struct rep *r, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void notice_vadd(struct rep *r, const char *fmt, va_list ap)
{
    char line[REP_LINE_MAX], msg[4400];

    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = rep_fmt_notice_json(line, sizeof line, &r->ident_json, rep_now_unix(), msg);
    rep_batch_add(&r->ebatch, &r->events, line, n);
}

void rep_notice(struct rep *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    notice_vadd(r, fmt, ap);
    va_end(ap);
}


/* Losses that are also counted on the metric stream, one row each: the
 * counter in struct rep, and the metric's name and tags. */
static const struct loss_metric {
    size_t count_at;
    const char *name, *unit, *stream, *reason;
} loss_metrics[] = {
    { offsetof(struct rep, drops_to_report), "scope.dropped", "line", "event", "queue" },
    { offsetof(struct rep, events_cut), "scope.dropped", "line", "event", "rate" },
    { offsetof(struct rep, calls_unrecorded), "scope.uncounted", "call", NULL, "no_record" },
};

/* One loss counter line: n of unit, tagged with its stream (if any) and
 * reason. */
static void loss_metric_write(struct rep *r, const struct loss_metric *l, uint64_t n,
                              double now)
{
    struct rep_field tags[2];
    size_t ntags = 0;

    if (l->stream)
        tags[ntags++] = (struct rep_field)REP_FIELD_STR("stream", l->stream);
    tags[ntags++] = (struct rep_field)REP_FIELD_STR("reason", l->reason);
    struct rep_metric m = { .name = l->name, .type = REP_COUNTER, .value = (double)n,
                            .unit = l->unit, .tags = tags, .ntags = ntags };
    rep_metric_write(r, &m, now);
}

static void loss_metrics_write(struct rep *r)
{
    double now = rep_now_unix();

    for (size_t i = 0; i < sizeof loss_metrics / sizeof loss_metrics[0]; i++) {
        uint64_t n = *(const uint64_t *)((const char *)r + loss_metrics[i].count_at);
        if (n)
            loss_metric_write(r, &loss_metrics[i], n, now);
    }
}

/* Nothing is lost silently: a drop becomes a notice on the event stream
 * (and, for those in loss_metrics, a counter on the metric stream). */
void rep_notices_add(struct rep *r)
{
    loss_metrics_write(r);
    if (r->drops_to_report)
        rep_notice(r, "scope dropped %llu events: a queue was full, or a thread had none",
                   (unsigned long long)r->drops_to_report);
    if (r->events_cut)
        rep_notice(r, "Truncated events. Your rate exceeded %u events per second: %llu cut "
                   "(SCOPE_EVENT_MAXEPS)", r->cfg.maxeps, (unsigned long long)r->events_cut);
    if (r->binary_console_bytes)
        rep_notice(r, "scope did not send %llu bytes of console output that is not text "
                   "(SCOPE_ALLOW_BINARY_CONSOLE=true sends them)",
                   (unsigned long long)r->binary_console_bytes);
    if (r->log_missed_bytes)
        rep_notice(r, "scope did not send %llu bytes written to log files before it knew "
                   "them as log files", (unsigned long long)r->log_missed_bytes);
    if (r->paths_cut)
        rep_notice(r, "scope cut the paths of %llu events to their first %zu bytes "
                   "(their file field ends in ...[cut])", (unsigned long long)r->paths_cut,
                   REP_EVENT_TEXT_MAX);
    if (r->calls_unrecorded)
        rep_notice(r, "scope did not count %llu calls on files and sockets it had no "
                   "record for (more open at once than it keeps records of, or an fd "
                   "number past its table): they are missing from fs.* and net.*",
                   (unsigned long long)r->calls_unrecorded);
    if (r->paths_stored_cut)
        rep_notice(r, "scope cut the paths of %llu files to their first %u bytes (their file "
                   "tag and field end in ...[cut]): more than %u paths over %u bytes were "
                   "open at once, or one was longer than PATH_MAX",
                   (unsigned long long)r->paths_stored_cut, r->path_kept, r->long_paths,
                   r->path_kept);
    if (r->lines_unformatted)
        rep_notice(r, "scope dropped %llu lines longer than %d bytes",
                   (unsigned long long)r->lines_unformatted, REP_LINE_MAX);
    r->drops_to_report = r->events_cut = r->binary_console_bytes = 0;
    r->log_missed_bytes = r->lines_unformatted = r->paths_cut = r->calls_unrecorded = 0;
    r->paths_stored_cut = 0;
}

/* Lines a destination lost (down, stalled, overflowing), said once it
 * takes lines again, or each period when it never will (a handed
 * descriptor lost): a notice on the event stream and scope.dropped on the
 * metric stream. */
static void losses_tell(struct rep *r, struct rep_transport *t, const char *stream,
                        uint64_t *told)
{
    double now = rep_now_unix();

    if (t->lost_lines == *told || (!rep_transport_is_caught_up(t) && !rep_transport_is_gone(t)))
        return;
    uint64_t lines = t->lost_lines - *told;
    *told = t->lost_lines;
    rep_notice(r, "scope dropped %llu %s lines: %s did not take them (it was down, "
               "refused them, or stopped reading until the %d KiB kept for it "
               "overflowed)", (unsigned long long)lines, stream, t->url,
               REP_TRANSPORT_KEEP_MAX / 1024);
    struct loss_metric l = { 0, "scope.dropped", "line", stream, "destination" };
    loss_metric_write(r, &l, lines, now);
}

void rep_losses_tell_all(struct rep *r)
{
    losses_tell(r, &r->metrics, "metric", &r->metric_lines_told);
    losses_tell(r, &r->events, "event", &r->event_lines_told);
    rep_batch_write_out(&r->mbatch, &r->metrics);
    rep_batch_write_out(&r->ebatch, &r->events);
}

/* Lines a destination never took are said once at the end, in the log:
 * the destination itself is gone, and the program's stderr is the
 * program's. */
void rep_losses_log(struct rep_transport *t, const char *what, uint64_t *told)
{
    if (t->lost_lines == *told)
        return;
    rep_log(REP_LOG_WARNING, "%llu %s lines could not be written to %s",
            (unsigned long long)(t->lost_lines - *told), what, t->url);
    *told = t->lost_lines;
}
