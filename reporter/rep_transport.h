/* rep_transport.h: where the reporter's lines go.
 *
 * Destinations are the URLs of rep_url.h: a file is created 0600, always
 * appended, never truncated; UDP lines are packed into datagrams of at
 * most `maxlen` bytes, a line never split. An empty URL is a transport
 * that is off.
 *
 * Opening only parses: it may run in the program's own threads (attach),
 * so it never resolves nor connects. All I/O happens in
 * rep_transport_write/finish, on the reporter thread, never blocking except
 * a connect wait of at most 200 ms per attempt and the bounded drain of
 * rep_transport_finish. A destination that is down is retried with
 * exponential backoff (250 ms doubling to 30 s, plus up to 25% jitter);
 * meanwhile lines are kept in a bounded buffer (REP_TRANSPORT_KEEP_MAX)
 * whose oldest lines are dropped, and counted in `lost_lines`/`lost_bytes`,
 * when it overflows. What cannot
 * be delivered is counted there, never retried forever.
 */
#ifndef REP_TRANSPORT_H
#define REP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "rep_url.h"

/* What is kept for a destination that is down or slow; past it the oldest
 * lines go, a quarter of it at a time. */
#define REP_TRANSPORT_KEEP_MAX (1024 * 1024)
/* StatsD's customary datagram size: fits any path's MTU. */
#define REP_TRANSPORT_MAXLEN_DEFAULT 512

struct rep_transport {
    enum rep_transport_kind kind;
    int fd;             /* -1: off, a network destination not connected, or
                           a file the program took over, to reopen */
    int owned;          /* we opened fd and close it */
    dev_t dev;          /* what owned fd was when we opened it: the program */
    ino_t ino;          /* may close our number and reuse it */
    int *published;     /* where fd is told to the close wrapper, or NULL */
    int connect_ok;     /* 0: off the reporter thread, never connect */
    /* The thread running the cycles works in its own fd table (the
     * reporter thread, see rep_fd_table.c), and fd was opened there: it means
     * nothing in the program's table (not published, not checked). */
    int table_own;
    int fd_in_own_table;
    /* fd was handed to the process by scope (scheme://fd/N): never
     * reopened nor reconnected (no path or address of the process's
     * reaches it), and its copy in the program's table is kept, for the
     * children the program forks. */
    int handed;
    uint64_t lost_bytes, lost_lines;    /* never delivered; only grow */
    char url[REP_URL_MAX];  /* as given; for messages */
    /* What the destination did not take yet, or what waits for it to come
     * back: sent first next time, so that a line is never cut in two
     * (bounded; past it the oldest lines are lost). */
    char *pending;
    size_t pending_len, pending_cap;
    int mid_line;       /* the reader has the head of pending's first line */
    int line_cut;       /* a file write failed part-way through a line whose
                           tail is lost: a line end goes before the next */
    /* Network destinations: what the URL names, resolved at each connect. */
    char host[256];     /* udp/tcp host; unix: the path, or @name */
    char port[6];
    unsigned addr_first;/* udp/tcp: the address (in the resolver's list) a
                           connect try starts from: the one after an address
                           that took the whole wait, the one that last worked */
    int64_t retry_ms;   /* CLOCK_MONOTONIC time of the next connect try */
    int64_t path_checked_ms;/* file: when the path was last checked to
                           still name our file (rotation) */
    unsigned backoff_ms;/* the last wait between tries; 0 after a success */
    int64_t warned_ms;  /* when trouble was last logged as a warning */
    size_t maxlen;      /* udp: the largest datagram */
};

/* The reporter thread starts (on) or stops (off) working in its own fd
 * table. Off closes what was opened there: only descriptors of the
 * program's table are left for whoever runs the cycles next. */
void rep_transport_own_table(struct rep_transport *t, int on);
/* Called in the program's table once the reporter thread has its own copy
 * of t's descriptor: closes the program's copy and stops publishing it. */
void rep_transport_program_copy_close(struct rep_transport *t);

/* 0, or -1 with a reason in err (rep_url_parse's). Opens files; for
 * network URLs only parses. */
int rep_transport_open(struct rep_transport *t, const char *url,
                       char *err, size_t errlen);
/* The largest UDP datagram (SCOPE_STATSD_MAXLEN), after open; 0 restores
 * the default (REP_TRANSPORT_MAXLEN_DEFAULT). Other kinds ignore it. */
void rep_transport_set_maxlen(struct rep_transport *t, size_t maxlen);
int rep_transport_is_on(const struct rep_transport *t);
/* Where to keep the number of the descriptor we own (-1: none), for the
 * program's close() to leave alone; kept up to date on every (re)connect. */
void rep_transport_publish(struct rep_transport *t, int *slot);
/* Connected (or a file) with nothing kept for later, no line half sent:
 * the moment to say what was lost. */
int rep_transport_is_caught_up(const struct rep_transport *t);
/* A handed descriptor lost for good (rep_transport.c, handed_lost): no
 * line will reach its destination again. */
int rep_transport_is_gone(const struct rep_transport *t);
/* Whole lines: write them, keep them for later, or count them lost. */
void rep_transport_write(struct rep_transport *t, const char *buf, size_t len);

/* The end: wait at most timeout_ms for the destination to take what was
 * kept for later (a network destination not connected gets one more
 * connect try); what it does not take is counted lost. */
void rep_transport_finish(struct rep_transport *t, int timeout_ms);
void rep_transport_close(struct rep_transport *t);
/* After fork, in the child: close, and forget what the parent had kept for
 * later (it is the parent's to send). */
void rep_transport_abandon(struct rep_transport *t);
/* After fork, in the child, before abandon: the URL its own transport
 * opens in place of t's (into url, cap bytes). t's, but for a handed
 * descriptor: the child's inherited copy of it (scheme://fd/M), or ""
 * (off, logged) when the parent had lost it. */
void rep_transport_child_url(const struct rep_transport *t, char *url, size_t cap);

#endif
