/* rep_pending.h: the lines a destination has not taken yet (down, slow,
 * or the tail of a write it took only part of), kept in the transport's
 * pending buffer and sent first next time, so that a line is never cut in
 * two. Bounded: past REP_TRANSPORT_KEEP_MAX the oldest whole lines go, and
 * what never arrives is counted in lost_bytes and lost_lines.
 */
#ifndef REP_PENDING_H
#define REP_PENDING_H

#include <stddef.h>
#include "rep_transport.h"

/* Keep whole lines for later; past REP_TRANSPORT_KEEP_MAX the oldest are
 * lost, a quarter of what is kept at a time (the first line too, unless
 * the reader already has its head: mid_line). Out of memory: they are
 * lost. */
void rep_pending_add(struct rep_transport *t, const char *buf, size_t len);

/* Bytes sent: drop them from pending's front. */
void rep_pending_consume(struct rep_transport *t, size_t n);

/* Lines that will never arrive: counted in bytes and in lines (a line's
 * head without its end counts as one). */
void rep_pending_lose(struct rep_transport *t, const char *buf, size_t len);

/* The first kept line (or what is kept, if it has no end) is lost. */
void rep_pending_drop_first_line(struct rep_transport *t);

#endif
