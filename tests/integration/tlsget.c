/* tlsget: GETs targets from a TLS server on 127.0.0.1 with OpenSSL, the
 * way a program that looks before it reads does.
 *
 *   tlsget PORT FLAGS TARGET...
 *
 * FLAGS (letters; "-" for none): p: each response is first looked at
 * with SSL_peek, then taken with SSL_read in two parts (the same bytes);
 * x: the _ex forms of both; c: a new connection for each target (else
 * one keep-alive connection); l: the last response is only peeked at,
 * never read, before the connection closes. Prints each response's
 * status. Built linked to libssl.so, and statically (tlsget_static):
 * there scope cannot see the plaintext. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool use_ex;

static int tls_peek(SSL *ssl, char *buf, size_t n)
{
    size_t got;

    if (!use_ex)
        return SSL_peek(ssl, buf, (int)n);
    return SSL_peek_ex(ssl, buf, n, &got) == 1 ? (int)got : -1;
}

static int tls_read(SSL *ssl, char *buf, size_t n)
{
    size_t got;

    if (!use_ex)
        return SSL_read(ssl, buf, (int)n);
    return SSL_read_ex(ssl, buf, n, &got) == 1 ? (int)got : -1;
}

static int tls_write(SSL *ssl, const char *buf, size_t n)
{
    size_t done;

    if (!use_ex)
        return SSL_write(ssl, buf, (int)n);
    return SSL_write_ex(ssl, buf, n, &done) == 1 ? (int)done : -1;
}

static void die(const char *what)
{
    fprintf(stderr, "tlsget: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static SSL *connect_to(SSL_CTX *ctx, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SSL *ssl = SSL_new(ctx);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || !ssl || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1)
        die("handshake");
    return ssl;
}

static void disconnect(SSL *ssl)
{
    int fd = SSL_get_fd(ssl);

    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
}

/* Bytes of the response: peeked then read in two parts, or read. */
static int take(SSL *ssl, char *buf, size_t n, bool peek, bool peek_only)
{
    char again[16384];              /* a record's plaintext at most */

    if (!peek && !peek_only)
        return tls_read(ssl, buf, n);
    if (n > sizeof again)
        n = sizeof again;
    int k = tls_peek(ssl, buf, n);
    if (k <= 0 || peek_only)
        return k;
    int a = tls_read(ssl, again, (size_t)(k + 1) / 2);
    int b = a > 0 && a < k ? tls_read(ssl, again + a, (size_t)(k - a)) : 0;
    if (a <= 0 || b < 0 || a + b != k || memcmp(again, buf, (size_t)k) != 0)
        die("SSL_read did not return what SSL_peek showed");
    return k;
}

/* One response: its head, then its body by Content-Length. The status. */
static int response(SSL *ssl, bool peek, bool peek_only)
{
    static char buf[65536];
    size_t len = 0, want = 0;
    char *end = NULL;

    while (!end || len < want) {
        int k = take(ssl, buf + len, sizeof buf - 1 - len, peek, peek_only);
        if (k <= 0)
            die("short response");
        len += (size_t)k;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (peek_only)
            break;                  /* what one peek shows */
    }
    return atoi(buf + 9);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: tlsget PORT FLAGS TARGET...");
    int port = atoi(argv[1]);
    const char *flags = argv[2];
    bool peek = strchr(flags, 'p'), each = strchr(flags, 'c'), last = strchr(flags, 'l');
    use_ex = strchr(flags, 'x');
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        die("SSL_CTX_new");
    SSL *ssl = NULL;
    for (int i = 3; i < argc; i++) {
        if (!ssl)
            ssl = connect_to(ctx, port);
        char req[1024];
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", argv[i]);
        if (tls_write(ssl, req, (size_t)n) != n)
            die("write");
        printf("%s %d\n", argv[i], response(ssl, peek, last && i == argc - 1));
        fflush(stdout);
        if (each || i == argc - 1) {
            disconnect(ssl);
            ssl = NULL;
        }
    }
    SSL_CTX_free(ctx);
    return 0;
}
