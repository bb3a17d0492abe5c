/* rep_event.h: one event as the program's threads hand it to the reporter.
 *
 * Fixed size, so that per-thread queues are plain arrays: a wrapper fills a
 * record in place (no allocation) and the reporter formats it later. Text
 * longer than REP_EVENT_TEXT_MAX (console output) is split over several
 * records by the producer; `text` is not NUL-terminated, `text_len` counts.
 */
#ifndef REP_EVENT_H
#define REP_EVENT_H

#include <stdint.h>

#include "rep_sock.h"

enum rep_event_kind {
    REP_EV_FS_OPEN = 1,
    REP_EV_FS_CLOSE,
    REP_EV_CONSOLE,
    REP_EV_NET_OPEN,
    REP_EV_NET_CLOSE,
    REP_EV_DNS_REQ,         /* text: the name asked for */
    REP_EV_DNS_RESP,        /* text: the name, then each address, NUL-separated */
    REP_EV_FS_DELETE,       /* text: the path */
    /* a failed call (op), AppScope's fs.error class by kind; text: the
     * path when known */
    REP_EV_FS_ERROR_OPEN_CLOSE,
    REP_EV_FS_ERROR_READ_WRITE,
    REP_EV_FS_ERROR_STAT,
    REP_EV_NET_ERROR,       /* a connection failed (op: connect, accept...) */
    REP_EV_FILE,            /* text written to a file that may be a log file:
                               the source decides (rep_file_is_log) */
};

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
};

#define REP_EVENT_TEXT_MAX (REP_EVENT_SIZE - sizeof(struct rep_event_head))

struct rep_event {
    struct rep_event_head h;
    char text[REP_EVENT_TEXT_MAX]; /* fs.*: the path; console: the bytes */
};

_Static_assert(sizeof(struct rep_event) == REP_EVENT_SIZE, "rep_event size");

#endif
