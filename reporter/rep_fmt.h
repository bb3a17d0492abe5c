/* rep_fmt.h: turn one metric or one event into one line of text.
 *
 * Three formats, AppScope-compatible (the test suite validates them
 * against AppScope's published JSON schemas):
 *   StatsD:  name:value|type|#tag:val,tag:val
 *   NDJSON metric: {"type":"metric","body":{"_metric":..,"_metric_type":..,
 *            "_value":..,<tags>,"proc":..,"pid":..,"host":..,"unit":..,
 *            "_time":..}}
 *   NDJSON event:  {"type":"evt","id":..,"_channel":..,"body":{"sourcetype":
 *            ..,"_time":..,"source":..,"host":..,"proc":..,"cmd":..,"pid":..,
 *            "data":{..}}}
 * Every function writes a whole line ending in '\n' plus a terminating NUL
 * and returns its length without the NUL, or 0 when it does not fit in `cap`
 * (never a partial line). They do not allocate, lock or call stdio; they are
 * safe to call from any thread. rep_fmt_statsd.c, rep_fmt_json.c and
 * rep_fmt_crash.c write the lines; rep_fmt_escape.c and rep_fmt_out.c
 * (rep_fmt_out.h) hold what they share.
 */
#ifndef REP_FMT_H
#define REP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is this console output text (printable, layout controls, ESC, valid
 * UTF-8, a character cut at either edge allowed), or binary? */
bool rep_fmt_is_text(const char *s, size_t n);

/* Who is reporting: filled once per process (again after fork). */
struct rep_ident {
    int pid;
    int host_pid;       /* in a container: its pid as the host sees it; 0: pid */
    char container_id[80];  /* the container it runs in, "" when none known */
    char proc[64];      /* short command name, e.g. "dd" */
    char cmd[1024];     /* full command line, arguments joined by spaces */
    char host[256];     /* hostname */
    char channel[32];   /* unique per process run, decimal digits */
};

/* Who is reporting as every event line says it, escaped once per
 * process (rep_ident_json_make) rather than once per line:
 *   head: {"type":"evt","id":"H-P-C","_channel":"N","body":{"sourcetype":
 *   tail: ,"host":"H","proc":"P","cmd":"C","pid":N[,"host_pid":N]
 *         [,"container_id":"X"],"data":
 *   proc, host: "P" and "H", quoted, for the data fields that repeat them.
 * Each member may grow six times when escaped: the sizes hold the worst. */
#define REP_IDENT_ESC(member) (6 * sizeof(((struct rep_ident *)0)->member))
struct rep_ident_json {
    char head[64 + REP_IDENT_ESC(host) + REP_IDENT_ESC(proc) + REP_IDENT_ESC(cmd) +
              REP_IDENT_ESC(channel)];
    char tail[128 + REP_IDENT_ESC(host) + REP_IDENT_ESC(proc) + REP_IDENT_ESC(cmd) +
              REP_IDENT_ESC(container_id)];
    char proc[2 + REP_IDENT_ESC(proc)], host[2 + REP_IDENT_ESC(host)];
    size_t head_len, tail_len, proc_len, host_len;
};

/* ident NULL: present but empty, as event lines without ident have it. */
void rep_ident_json_make(struct rep_ident_json *j, const struct rep_ident *ident);

/* REP_RAW: s is already JSON (an array of addresses, a quoted string
 * escaped before, say) and is written as it is; the caller vouches for
 * it. */
enum rep_value_kind { REP_STR, REP_INT, REP_DBL, REP_RAW };

/* A tag of a metric, or a field of an event's data object. Strings are
 * escaped as JSON strings; `len` is their length (a string may be arbitrary
 * bytes, e.g. console text: invalid UTF-8 becomes U+FFFD, control characters
 * become \uXXXX escapes). */
struct rep_field {
    const char *key;
    enum rep_value_kind kind;
    const char *s;
    size_t len;
    long long i;
    double d;
};

#define REP_FIELD_STR(k, str)      { .key = (k), .kind = REP_STR, .s = (str), .len = __builtin_strlen(str) }
#define REP_FIELD_STRN(k, str, n)  { .key = (k), .kind = REP_STR, .s = (str), .len = (n) }
#define REP_FIELD_INT(k, v)        { .key = (k), .kind = REP_INT, .i = (v) }
#define REP_FIELD_DBL(k, v)        { .key = (k), .kind = REP_DBL, .d = (v) }
#define REP_FIELD_RAW(k, json, n)  { .key = (k), .kind = REP_RAW, .s = (json), .len = (n) }

enum rep_metric_type { REP_COUNTER, REP_GAUGE, REP_HISTOGRAM, REP_TIMER };

struct rep_metric {
    const char *name;               /* e.g. "fs.write" */
    enum rep_metric_type type;
    double value;                   /* integral values print without a fraction */
    const char *unit;               /* e.g. "byte", "operation", "microsecond" */
    const struct rep_field *tags;   /* metric-specific tags, in order */
    size_t ntags;
    bool summary;                   /* adds "summary":"true" */
    double sample_rate;             /* StatsD: in (0, 1) adds "|@rate"; else none */
};

/* StatsD. `prefix` (may be NULL or "") is prepended to the name. Tags: the
 * metric's own, then proc, pid, host when `ident` is not NULL, then unit.
 * Type letters: counter c, gauge g, histogram h, timer ms; then the
 * sample rate, when the metric has one. */
size_t rep_fmt_statsd(char *buf, size_t cap, const char *prefix,
                      const struct rep_ident *ident,
                      const struct rep_metric *m);

/* A StatsD line of len bytes (newline included) longer than maxlen loses
 * whole tags from its end until it fits; name, value and type stay even
 * when they alone are longer. Returns the new length. */
size_t rep_fmt_statsd_trim(char *line, size_t len, size_t maxlen);

/* NDJSON metric; `time` is unix seconds (printed with microseconds). */
size_t rep_fmt_metric_json(char *buf, size_t cap, const struct rep_ident *ident,
                           const struct rep_metric *m, double time);

/* NDJSON event. `data` fields form body.data, in order. */
size_t rep_fmt_event_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                          const char *sourcetype, const char *source,
                          double time, const struct rep_field *data,
                          size_t ndata);

/* A JSON object of the fields {"k":v,...}: with line, a whole line; else
 * NUL-terminated, to nest in another as a REP_RAW field. */
size_t rep_fmt_object_json(char *buf, size_t cap, const struct rep_field *f, size_t n,
                           bool line);

/* NDJSON notice event (AppScope's shape: sourcetype "metric", source
 * "notice", data a plain string): scope's own messages to the operator,
 * e.g. how many events it had to drop. */
size_t rep_fmt_notice_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                           double time, const char *message);

/* A crash, as the crash handler saw it. */
#define REP_CRASH_FRAMES_MAX 64

struct rep_crash_frame {
    uintptr_t addr;
    const char *object;     /* "" when not mapped from a file */
    const char *function;   /* "" when no symbol covers addr */
    uintptr_t offset;       /* from function, or from the object's base */
};

struct rep_crash {
    int signo;
    const char *signame;    /* "SIGSEGV" */
    int code;               /* si_code */
    uintptr_t fault_addr;   /* si_addr */
    int tid;
    size_t nframes;
    struct rep_crash_frame frames[REP_CRASH_FRAMES_MAX];
};

/* NDJSON event: sourcetype "crash", source "backtrace", data {signal,
 * signo, si_code, fault_addr, tid, frames: [{frame, addr, function,
 * offset, object}]} (addresses as "0x..." strings). Async-signal-safe. */
size_t rep_fmt_crash_json(char *buf, size_t cap, const struct rep_ident_json *ident,
                          double time, const struct rep_crash *c);

/* The same as text, one frame a line, for the backtrace file:
 *   scope: dd (pid 12, thread 12) received SIGSEGV (si_code 1, fault
 *   address 0x0)
 *   #0  0x000055d0c1a2b159 crash_c+0x10 (/usr/bin/crashy)
 * Async-signal-safe; returns the length, 0 when it does not fit. */
size_t rep_fmt_crash_text(char *buf, size_t cap, const struct rep_ident *ident,
                          const struct rep_crash *c);

#endif
