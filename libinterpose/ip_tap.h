/* ip_tap.h: the protocol tap: bytes of connections for the reporter's
 * protocol parsers (reporter/rep_proto.h).
 *
 * Wrappers never parse. After a call that moved bytes on a socket whose
 * channel is not known to be of no protocol we parse, the wrapper hands
 * the bytes that may hold a head to the reporter through the thread's
 * ring (ip_ring.h: a byte queue beside its event queue, so that a short
 * request costs its length, not an event slot): from where the reporter
 * said heads may start again (past a body it knows the length of), at
 * most IP_TAP_CALL_BYTES of a call, or up to the longest head the
 * reporter parses (REP_PROTO_HEAD_MAX, 16 KiB) when those bytes start
 * like a head and do not end one (a long head read or written at once),
 * or when the call starts after where the reporter said a head may
 * start, within that bound of it (a long head whose start came in an
 * earlier call: the reporter says where a head it gathers began), or up
 * to REP_PROTO_FOLLOW_MAX (64 KiB) while the reporter says the stream's
 * framing may be anywhere in it (a chunked body: many small chunks in
 * one call); and while the protocol is unknown IP_TAP_PROBE_BYTES of the
 * connection in all. Bytes received are handed over once, when the
 * program first sees them: a peek (MSG_PEEK, SSL_peek) hands over what
 * is past what was peeked already, a read what is past the peeked bytes
 * it takes.
 * The reporter classifies the channel once and records the verdict on the
 * record; a channel of no protocol then costs one load per call. Offsets
 * in each stream say what was not handed over, so that the reporter
 * counts a body through it, and knows a head it missed.
 *
 * In wrappers: no allocation, no lock, no system call; errno is kept.
 */
#ifndef IP_TAP_H
#define IP_TAP_H

#include <sys/socket.h>
#include <sys/uio.h>
#include "ip_call.h"

enum { IP_TAP_RX, IP_TAP_TX };

#define IP_TAP_CALL_BYTES 4096     /* of a call, unless it starts a long head */
#define IP_TAP_PROBE_BYTES (1024 * 1024)

/* The operator wants http events or metrics (set at attach). */
extern bool ip_tap_enabled;
/* At attach, before the reporter starts: read the configuration, forget
 * what the last attach parsed. */
void ip_tap_configure(void);

/* Where a call's bytes are: one buffer, an iovec array, or nowhere we
 * can read (sendfile: only counted). */
struct ip_tap_src {
    const char *buf;
    const struct iovec *iov;
    size_t iovcnt;
};

/* n bytes moved on ref's channel `chan`, direction dir (out of line);
 * peek: received bytes shown, not taken. */
void ip_tap_moved(struct ip_rec_ref ref, unsigned chan, unsigned dir,
                  const struct ip_tap_src *src, size_t n, bool peek);

/* Is this call's channel tapped? One load for a channel of no protocol
 * (and one of the thread's: inside a TLS call, the wire's record is
 * noted for the plaintext). */
IP_INLINE bool ip_tap_wanted(const struct ip_call *c, unsigned chan)
{
    if (!ip_tap_enabled || !c->observed || !c->ref.file || c->ref.file->kind != IP_KIND_SOCKET)
        return false;
    if (__builtin_expect(ip_tls.in_tls, 0))
        ip_tls.tls_wire_key = ip_rec_key(c->ref);
    return __atomic_load_n(&c->ref.file->tap[chan].verdict, __ATOMIC_RELAXED) != IP_TAP_NOTHING;
}

/* rc bytes of a call on the wire channel, at src (nowhere: unseen). */
IP_INLINE void ip_tap_call(const struct ip_call *c, unsigned dir, const struct ip_tap_src *src,
                           ssize_t rc, bool peek)
{
    if (rc > 0 && ip_tap_wanted(c, IP_TAP_WIRE))
        ip_tap_moved(c->ref, IP_TAP_WIRE, dir, src, (size_t)rc, peek);
}

/* read, write, send: rc bytes at buf. */
IP_INLINE void ip_tap_buf(const struct ip_call *c, unsigned dir, const void *buf, ssize_t rc)
{
    struct ip_tap_src src = { buf, NULL, 0 };
    ip_tap_call(c, dir, &src, rc, false);
}

/* readv, writev, sendmsg: rc bytes in iov. */
IP_INLINE void ip_tap_iov(const struct ip_call *c, unsigned dir, const struct iovec *iov,
                          size_t iovcnt, ssize_t rc)
{
    struct ip_tap_src src = { NULL, iov, iovcnt };
    ip_tap_call(c, dir, &src, rc, false);
}

/* recv and its kin with their flags: rc bytes received at buf (NULL:
 * in iov). MSG_PEEK shows them without taking them; MSG_TRUNC on a
 * stream discards them uncopied: counted unseen, or, peeked so,
 * nothing at all. */
IP_INLINE void ip_tap_recv(const struct ip_call *c, const void *buf, const struct iovec *iov,
                           size_t iovcnt, ssize_t rc, int flags)
{
    struct ip_tap_src src = { buf, iov, iovcnt };
    if (flags & MSG_TRUNC)
        src = (struct ip_tap_src){ NULL, NULL, 0 };
    if (!(flags & MSG_TRUNC && flags & MSG_PEEK))
        ip_tap_call(c, IP_TAP_RX, &src, rc, flags & MSG_PEEK);
}

/* sendfile, splice: rc bytes we do not see. */
IP_INLINE void ip_tap_unseen(const struct ip_call *c, unsigned dir, ssize_t rc)
{
    struct ip_tap_src src = { NULL, NULL, 0 };
    ip_tap_call(c, dir, &src, rc, false);
}

/* Look up the TLS libraries' getters of a session's socket (with the
 * hooks: at attach, and after objects are loaded, off the hot path). */
void ip_tls_resolve(void);

/* ---- reporter thread ----------------------------------------------------- */

/* Every drain: the threads' pieces to their connections' parsers. */
void ip_tap_drain(struct rep *r);
/* Each period: the parsers of connections closed since are finished. */
void ip_tap_collect(struct rep *r);

#endif
