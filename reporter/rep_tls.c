/* rep_tls.c: TLS records on the wire. Recognized, never parsed: the
 * plaintext comes from the TLS library's calls (its own channel), and the
 * records' bytes stay what net.* counts. */
#include "rep_internal.h"
#include "rep_proto_rows.h"

/* A handshake record: content type 22, version 3.x. */
static enum rep_proto_verdict tls_detect(const char *const first[2], const size_t n[2])
{
    for (unsigned d = 0; d < 2; d++) {
        const unsigned char *b = (const unsigned char *)first[d];
        if (n[d] >= 2 && b[0] == 0x16 && b[1] == 0x03)
            return REP_PROTO_YES;
        if (n[d] > 0 && b[0] != 0x16)
            return REP_PROTO_NO;
    }
    return REP_PROTO_MORE;
}

const struct rep_proto rep_proto_tls = { "tls", tls_detect, NULL, NULL, NULL };

void rep_tls_unseen(struct rep *r)
{
    if (r->tls_unseen_told)
        return;
    r->tls_unseen_told = 1;
    rep_notice(r, "scope saw a TLS handshake on a connection whose plaintext it cannot "
               "see: the TLS library is linked into the program statically (or is "
               "neither OpenSSL nor GnuTLS); http events and metrics miss its requests");
}
