/* ip_wrap_tls.c: OpenSSL's and GnuTLS's record calls: their plaintext
 * goes to the protocol tap on the connection's TLS channel (ip_tap.h),
 * found by the socket the library reads and writes. Return values and
 * errno are the real function's; the socket's own counts are the
 * bytes on the wire, counted by the read and write wrappers libssl and
 * libgnutls call. SSL_peek's bytes are handed over when first shown,
 * and not again when SSL_read returns them (ip_tap_moved). The
 * libraries' getters of that socket are looked up with the hooks
 * (ip_tls_resolve): plain field reads, no lock.
 */
#include "ip_hooks.h"
#include "ip_tap.h"

#include <dlfcn.h>

static int (*real_SSL_get_rfd)(const void *ssl);
static int (*real_SSL_get_wfd)(const void *ssl);
static int (*real_gnutls_transport_get_int)(void *session);

void ip_tls_resolve(void)
{
    __atomic_store_n((void **)&real_SSL_get_rfd, dlsym(RTLD_DEFAULT, "SSL_get_rfd"),
                     __ATOMIC_RELEASE);
    __atomic_store_n((void **)&real_SSL_get_wfd, dlsym(RTLD_DEFAULT, "SSL_get_wfd"),
                     __ATOMIC_RELEASE);
    __atomic_store_n((void **)&real_gnutls_transport_get_int,
                     dlsym(RTLD_DEFAULT, "gnutls_transport_get_int"), __ATOMIC_RELEASE);
}

/* The socket record of a session: its fd, when the library has one;
 * else the socket the library's own reads and writes went to during the
 * call; else the one found for this session last time on this thread. */
static struct ip_rec_ref session_socket(const void *session, int fd)
{
    struct ip_rec_ref ref = ip_rec_of_fd(fd, true);   /* none for -1 */
    uint64_t key = ref.file ? ip_rec_key(ref) : 0;

    if (!key)
        key = ip_tls.tls_wire_key;
    if (!key && session == ip_tls.tls_session)
        key = ip_tls.tls_session_key;
    if (key) {
        ip_tls.tls_session = session;
        ip_tls.tls_session_key = key;
    }
    return ip_rec_ref_of_key(key);
}

/* n plaintext bytes moved in a session whose socket is fd (-1: unknown);
 * peek: shown by SSL_peek, not taken. */
static void plaintext_moved(const void *session, int fd, unsigned dir, const void *buf,
                            size_t n, bool peek)
{
    struct ip_call c = { .observed = true };

    if (n == 0 || !ip_tap_enabled || !ip_observing())
        return;
    c.ref = session_socket(session, fd);
    if (!ip_tap_wanted(&c, IP_TAP_TLS))
        return;
    struct ip_tap_src src = { buf, NULL, 0 };
    ip_tap_moved(c.ref, IP_TAP_TLS, dir, &src, n, peek);
}

/* The socket fd a session's library reads (dir RX) or writes, or -1. */
static int ssl_fd(void *ssl, unsigned dir)
{
    int (*get)(const void *) = __atomic_load_n(dir == IP_TAP_RX ? &real_SSL_get_rfd
                                                                 : &real_SSL_get_wfd,
                                               __ATOMIC_ACQUIRE);
    return get && ssl ? get(ssl) : -1;
}

static int gnutls_fd(void *session, unsigned dir)
{
    int (*get)(void *) = __atomic_load_n(&real_gnutls_transport_get_int, __ATOMIC_ACQUIRE);
    return get && session ? get(session) : -1;
}

/* Around the real call: the wire's record is noted meanwhile. */
static void tls_call_begin(void)
{
    ip_tls.tls_wire_key = 0;
    ip_tls.in_tls = true;
}

/* What a record call moved, n bytes (<= 0: nothing), after it (peek:
 * shown, not taken); errno kept. */
static void record_moved(void *session, int (*fd_of)(void *, unsigned), unsigned dir,
                         const void *buf, ssize_t n, bool peek)
{
    int saved = errno;
    ip_tls.in_tls = false;
    if (n > 0)
        plaintext_moved(session, fd_of(session, dir), dir, buf, (size_t)n, peek);
    errno = saved;
}

/* A record call that returns the bytes it moved (peek: showed). */
#define WRAP_RECORD(ret, name, params, args, session, fd_of, dir, buf, peek)  \
    ret ip_wrap_##name params                                               \
    {                                                                       \
        tls_call_begin();                                                   \
        ret rc = ip_real_##name args;                                       \
        record_moved(session, fd_of, dir, buf, rc, peek);                   \
        return rc;                                                          \
    }

WRAP_RECORD(int, SSL_read, (void *ssl, void *buf, int num), (ssl, buf, num), ssl, ssl_fd,
            IP_TAP_RX, buf, false)
WRAP_RECORD(int, SSL_peek, (void *ssl, void *buf, int num), (ssl, buf, num), ssl, ssl_fd,
            IP_TAP_RX, buf, true)
WRAP_RECORD(int, SSL_write, (void *ssl, const void *buf, int num), (ssl, buf, num), ssl, ssl_fd,
            IP_TAP_TX, buf, false)
WRAP_RECORD(ssize_t, gnutls_record_recv, (void *session, void *data, size_t data_size),
            (session, data, data_size), session, gnutls_fd, IP_TAP_RX, data, false)
WRAP_RECORD(ssize_t, gnutls_record_send, (void *session, const void *data, size_t data_size),
            (session, data, data_size), session, gnutls_fd, IP_TAP_TX, data, false)

/* The _ex forms return 1 on success, the bytes in *done. */
static ssize_t ex_bytes(int rc, const size_t *done)
{
    return rc == 1 && done ? (ssize_t)*done : 0;
}

int ip_wrap_SSL_read_ex(void *ssl, void *buf, size_t num, size_t *readbytes)
{
    tls_call_begin();
    int rc = ip_real_SSL_read_ex(ssl, buf, num, readbytes);
    record_moved(ssl, ssl_fd, IP_TAP_RX, buf, ex_bytes(rc, readbytes), false);
    return rc;
}

int ip_wrap_SSL_peek_ex(void *ssl, void *buf, size_t num, size_t *readbytes)
{
    tls_call_begin();
    int rc = ip_real_SSL_peek_ex(ssl, buf, num, readbytes);
    record_moved(ssl, ssl_fd, IP_TAP_RX, buf, ex_bytes(rc, readbytes), true);
    return rc;
}

int ip_wrap_SSL_write_ex(void *ssl, const void *buf, size_t num, size_t *written)
{
    tls_call_begin();
    int rc = ip_real_SSL_write_ex(ssl, buf, num, written);
    record_moved(ssl, ssl_fd, IP_TAP_TX, buf, ex_bytes(rc, written), false);
    return rc;
}
