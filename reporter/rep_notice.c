/* rep_notice.c: nothing is lost silently: drops, cuts and lines a
 * destination never took become notices (and scope.dropped), or a line in
 * the library's log at the end. */
#include "rep_internal.h"
#include "rep_log.h"

#include <stdarg.h>
#include <stdio.h>

void rep_drops_add(struct rep *r, uint64_t events_dropped)
{
    r->drops_to_report += events_dropped;
}

void rep_events_cut_add(struct rep *r, uint64_t cut)
{
    r->events_cut += cut;
}

/* A notice event with a printf-formatted message. */
static void notice_add(struct rep *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notice_add(struct rep *r, const char *fmt, ...)
{
    char line[REP_LINE_MAX], msg[4400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = rep_fmt_notice_json(line, sizeof line, &r->ident, rep_now_unix(), msg);
    rep_batch_add(&r->ebatch, &r->events, line, n);
}

void rep_notice_text(struct rep *r, const char *msg)
{
    notice_add(r, "%s", msg);
}

/* Nothing is lost silently: a drop becomes a notice on the event stream. */
void rep_notices_add(struct rep *r)
{
    if (r->drops_to_report)
        notice_add(r, "scope dropped %llu events: a queue was full, or a thread had none",
                   (unsigned long long)r->drops_to_report);
    if (r->events_cut)
        notice_add(r, "Truncated events. Your rate exceeded %u events per second: %llu cut "
                   "(SCOPE_EVENT_MAXEPS)", r->cfg.maxeps, (unsigned long long)r->events_cut);
    if (r->binary_console_bytes)
        notice_add(r, "scope did not send %llu bytes of console output that is not text "
                   "(SCOPE_ALLOW_BINARY_CONSOLE=true sends them)",
                   (unsigned long long)r->binary_console_bytes);
    if (r->log_missed_bytes)
        notice_add(r, "scope did not send %llu bytes written to log files before it knew "
                   "them as log files", (unsigned long long)r->log_missed_bytes);
    if (r->paths_cut)
        notice_add(r, "scope cut the paths of %llu events to their first %zu bytes "
                   "(their file field ends in ...[cut])", (unsigned long long)r->paths_cut,
                   REP_EVENT_TEXT_MAX);
    if (r->lines_unformatted)
        notice_add(r, "scope dropped %llu lines longer than %d bytes",
                   (unsigned long long)r->lines_unformatted, REP_LINE_MAX);
    r->drops_to_report = r->events_cut = r->binary_console_bytes = 0;
    r->log_missed_bytes = r->lines_unformatted = r->paths_cut = 0;
}

/* Lines a destination lost (down, stalled, overflowing), said once it
 * takes lines again: a notice on the event stream and scope.dropped on the
 * metric stream. */
static void losses_tell(struct rep *r, struct rep_transport *t, const char *stream,
                        uint64_t *told)
{
    double now = rep_now_unix();

    if (t->lost_lines == *told || !rep_transport_is_caught_up(t))
        return;
    uint64_t lines = t->lost_lines - *told;
    *told = t->lost_lines;
    notice_add(r, "scope dropped %llu %s lines: %s did not take them (it was down, "
               "refused them, or stopped reading until the %d KiB kept for it "
               "overflowed)", (unsigned long long)lines, stream, t->url,
               REP_TRANSPORT_KEEP_MAX / 1024);
    struct rep_field tags[] = { REP_FIELD_STR("stream", stream),
                                REP_FIELD_STR("reason", "destination") };
    struct rep_metric m = { .name = "scope.dropped", .type = REP_COUNTER,
                            .value = (double)lines, .unit = "line",
                            .tags = tags, .ntags = 2 };
    rep_metric_write(r, &m, now);
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
