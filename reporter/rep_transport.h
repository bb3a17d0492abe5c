/* rep_transport.h: where the reporter's lines go.
 *
 * Today: file:///abs/path (created 0600, always appended, never truncated),
 * file://stdout, file://stderr. An empty URL is a transport that is off.
 * Writes happen on the reporter thread only and never block on a file we
 * opened; a failed or refused write is counted in `lost_bytes`, never
 * retried forever.
 */
#ifndef REP_TRANSPORT_H
#define REP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct rep_transport {
    int fd;             /* -1: off */
    int owned;          /* we opened fd and close it */
    uint64_t lost_bytes;
    char url[256];      /* for messages */
    /* What a full pipe did not take yet: sent first next time, so that a
     * line is never cut in two (bounded; past it new lines are lost). */
    char *pending;
    size_t pending_len;
};

/* 0, or -1 with a reason in err. */
int rep_transport_open(struct rep_transport *t, const char *url,
                       char *err, size_t errlen);
int rep_transport_is_on(const struct rep_transport *t);
/* Write all of buf or count it lost. */
void rep_transport_write(struct rep_transport *t, const char *buf, size_t len);
/* The end: wait at most timeout_ms for the destination to take what was
 * kept for later (what it does not take is counted lost). */
void rep_transport_finish(struct rep_transport *t, int timeout_ms);
void rep_transport_close(struct rep_transport *t);
/* After fork, in the child: close, and forget what the parent had kept for
 * later (it is the parent's to send). */
void rep_transport_abandon(struct rep_transport *t);

#endif
