/* rep_proto.h: the protocols the reporter parses out of connections.
 *
 * The protocol tap (libinterpose ip_tap.c) hands the reporter pieces of a
 * connection's two byte streams: what the program read (REP_TAP_RX) and
 * what it wrote (REP_TAP_TX), each piece at its offset in its stream, with
 * the first bytes of it (a bounded number) and the count of the rest.
 * rep_conn_feed says once what protocol the connection speaks, by asking
 * each protocol of the registry (rep_proto.c, one row each) to detect it
 * in the first bytes; from then on the pieces go to that protocol's feed,
 * which says where, in each stream, bytes may hold a head again (the tap
 * skips what comes before: bodies), and whether its framing may be
 * anywhere past there (a chunked body: the tap hands over more of each
 * call). A connection no protocol parses costs the tap nothing more.
 * Reporter thread only: these allocate.
 */
#ifndef REP_PROTO_H
#define REP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rep_sock.h"

struct rep;

enum { REP_TAP_RX, REP_TAP_TX };

struct rep_tap_piece {
    unsigned dir;               /* REP_TAP_RX or REP_TAP_TX */
    uint64_t offset;            /* of its first byte in that stream */
    uint64_t len;               /* stream bytes it stands for */
    const char *bytes;          /* the first `seen` of them; the rest unseen */
    size_t seen;
    int64_t mono_ns;            /* CLOCK_MONOTONIC of the call that moved them */
    double time;                /* the same, wall clock (events' _time) */
};

/* What a protocol wants of each stream from the tap, per direction. */
struct rep_tap_want {
    uint64_t head_from[2];      /* bytes before this are body: not handed over */
    bool whole[2];              /* framing may be anywhere past head_from (a
                                 * chunked body): up to REP_PROTO_FOLLOW_MAX
                                 * of a call, not the first 4 KiB */
};

enum rep_proto_verdict {
    REP_PROTO_MORE,             /* not known yet: more bytes are wanted */
    REP_PROTO_NO,               /* not this protocol, or no longer it */
    REP_PROTO_YES,              /* this one */
};

/* A row of the registry. */
struct rep_proto {
    const char *name;
    /* From the first bytes each way (first[dir], n[dir] of them, at most
     * REP_PROTO_DETECT_BYTES, in stream order). */
    enum rep_proto_verdict (*detect)(const char *const first[2], const size_t n[2]);
    /* NULL: a protocol recognized but not parsed (TLS records on the
     * wire): the connection costs nothing more. */
    void *(*open)(const struct rep_sock *s, bool tls);
    /* A piece, in stream order per direction; *want: what the tap is to
     * hand over from now on. REP_PROTO_NO: the connection left the
     * protocol (an upgrade). */
    enum rep_proto_verdict (*feed)(struct rep *r, void *state, const struct rep_tap_piece *p,
                                   struct rep_tap_want *want);
    /* The connection is gone: what it left unfinished (r NULL: nothing),
     * then free it. */
    void (*close)(struct rep *r, void *state);
};

#define REP_PROTO_DETECT_BYTES 16

/* The longest head a protocol parses (AppScope's bound too): the tap
 * hands over up to this much of a call that starts a long head, so that
 * a head that comes in one read or write is seen whole; a longer one is
 * counted as not parsed. */
#define REP_PROTO_HEAD_MAX (16 * 1024)

/* The most of one call the tap hands over while a protocol follows
 * framing through it (rep_tap_want.whole: a chunked body of many small
 * chunks written or read at once, as curl's and nginx's buffers hold
 * them); framing past it is not seen, and counted so by the parser. */
#define REP_PROTO_FOLLOW_MAX (64 * 1024)

struct rep_conn;

/* A connection's parser, for a socket described by s; tls: the bytes are
 * a TLS library's plaintext. NULL when out of memory. */
struct rep_conn *rep_conn_open(const struct rep_sock *s, bool tls);
/* One piece. YES: a protocol parses the connection, and *want is set;
 * NO: none does (nothing more is wanted); MORE: not known yet. */
enum rep_proto_verdict rep_conn_feed(struct rep *r, struct rep_conn *c,
                                     const struct rep_tap_piece *p, struct rep_tap_want *want);
/* The name of the protocol recognized on c, or NULL. */
const char *rep_conn_proto(const struct rep_conn *c);
/* r NULL: freed without a word (what it left unfinished is not told). */
void rep_conn_close(struct rep *r, struct rep_conn *c);

/* The tap could not hand over `pieces` (a thread's ring was full): the
 * heads among them are missed (and counted as such by their parsers);
 * said in a notice. */
void rep_tap_dropped(struct rep *r, uint64_t pieces);

/* A TLS handshake was seen on a connection for which no plaintext came:
 * its TLS library is not one whose calls scope sees (linked statically,
 * or not OpenSSL or GnuTLS). Said once, in a notice. */
void rep_tls_unseen(struct rep *r);

#endif
