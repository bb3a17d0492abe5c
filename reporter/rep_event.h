/* rep_event.h: one event as the program's threads hand it to the reporter.
 *
 * Fixed size, so that per-thread queues are plain arrays: a wrapper fills a
 * record in place (no allocation) and the reporter formats it later. Text
 * longer than REP_EVENT_TEXT_MAX (console output) is split over several
 * records by the producer; a longer path is cut, and text_cut says so
 * (the reporter takes it whole from the file's record where it can);
 * `text` is not NUL-terminated, `text_len` counts.
 */
#ifndef REP_EVENT_H
#define REP_EVENT_H

#include <stdint.h>

#include "rep_config.h"
#include "rep_sock.h"

/* The kinds of rep_events.def; 0 is no event. */
enum rep_event_kind {
    REP_EV_NONE,
#define REP_EVENT(id, name, watch, sourcetype, class, writer) REP_EV_##id,
#include "rep_events.def"
#undef REP_EVENT
    REP_EV_N
};

/* Which switch and filter of rep_watch.def a kind is under. */
static inline enum rep_watch rep_event_watch(enum rep_event_kind kind)
{
    switch (kind) {
#define REP_EVENT(id, name, watch, sourcetype, class, writer) \
    case REP_EV_##id: return REP_WATCH_##watch;
#include "rep_events.def"
#undef REP_EVENT
    default: return REP_WATCH_N;
    }
}

/* Does the operator want events of this kind (SCOPE_EVENT_FS...)? Cheap
 * enough for a wrapper: with a constant kind, one load. */
static inline bool rep_event_enabled(const struct rep_config *c, enum rep_event_kind kind)
{
    return rep_watch_enabled(c, rep_event_watch(kind));
}

#define REP_EVENT_SIZE 512

struct rep_event_head {
    uint16_t kind;          /* enum rep_event_kind */
    uint16_t text_len;      /* bytes used in text[] */
    int32_t fd;
    const char *op;         /* static string: "open", "fclose", ... */
    int64_t time_ns;        /* CLOCK_REALTIME of the call */
    union {
        /* fs.close: what happened on the file while it was open */
        struct { uint64_t read_bytes, read_ops, write_bytes, write_ops; };
        /* file: which record of the source was written to */
        struct { uint32_t file_index, file_gen; };
    };
    uint64_t duration_ns;   /* fs.close: mean time of its timed calls;
                               net.close: connection lifetime; dns.resp */
    struct rep_sock sock;   /* net.open, net.close */
    uint16_t text_cut;      /* a path longer than text[]: the bytes that did
                               not fit (at most 65535); 0: whole */
    uint32_t rec_slot;      /* fs.open, fs.close: the file's record (index
                               + 1; 0: none) and its generation, where the
                               reporter finds a cut path whole */
    uint32_t rec_gen;
};

#define REP_EVENT_TEXT_MAX (REP_EVENT_SIZE - sizeof(struct rep_event_head))

struct rep_event {
    struct rep_event_head h;
    char text[REP_EVENT_TEXT_MAX]; /* fs.*: the path; console: the bytes */
};

_Static_assert(sizeof(struct rep_event) == REP_EVENT_SIZE, "rep_event size");
_Static_assert(REP_EVENT_TEXT_MAX == 336, "rep_event text room");

#endif
