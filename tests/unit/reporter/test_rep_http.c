/* test_rep_http.c: the protocol registry and the HTTP/1.x parser, fed
 * pieces as the tap hands them over: a request and its response cut at
 * every byte, one byte per piece, bodies unseen, chunks, pipelining, a
 * head that was never seen (counted, and the stream found again), and a
 * lost request counted once with its response, and the events' rate limit
 * counted in their own seconds. The events go to a file, read back here. */
#include "rep.h"
#include "rep_http.h"
#include "rep_proto.h"
#include "check_suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/test_rep_http_XXXXXX";
static struct rep *r;
static struct rep_conn *conn;
static uint64_t off[2];
static double when = 1.5;           /* the pieces' wall clock time */
static unsigned maxeps;             /* SCOPE_EVENT_MAXEPS; 0: the default */

static void nothing(void *ctx, struct rep *rr) { (void)ctx; (void)rr; }

static void start(void)
{
    struct rep_config cfg;
    char err[256], url[64];
    struct rep_ident id = { .pid = 1, .proc = "t", .cmd = "t", .host = "h", .channel = "1" };
    struct rep_source src = { .drain = nothing, .collect = nothing };
    struct rep_sock s = { .family = 2, .type = 1, .server = 1, .lport = 80, .rport = 5000,
                          .lip = "127.0.0.1", .rip = "127.0.0.2" };

    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    rep_config_defaults(&cfg);
    snprintf(url, sizeof url, "file://%s", path);
    snprintf(cfg.event_dest, sizeof cfg.event_dest, "%s", url);
    cfg.metric_enable = false;
    if (maxeps)
        cfg.maxeps = maxeps;
    r = rep_create(&cfg, &id, &src, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    conn = rep_conn_open(&s, false);
    off[0] = off[1] = 0;
}

static struct rep_tap_want want;   /* what the last piece's feed said */

/* A piece of dir: the first `seen` of its `len` bytes given. */
static enum rep_proto_verdict piece(unsigned dir, const char *bytes, size_t seen, size_t len)
{
    struct rep_tap_piece p = { .dir = dir, .offset = off[dir], .len = len, .bytes = bytes,
                               .seen = seen, .mono_ns = 1000000, .time = when };

    off[dir] += len;
    return rep_conn_feed(r, conn, &p, &want);
}

static void feed(unsigned dir, const char *s)
{
    piece(dir, s, strlen(s), strlen(s));
}

/* The events written: how many lines hold `what`. */
static int count(const char *what)
{
    char line[8192];
    int n = 0;

    if (conn)
        rep_conn_close(r, conn);
    conn = NULL;
    rep_flush(r, 1000);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        n += strstr(line, what) != NULL;
    fclose(f);
    return n;
}

static void stop(void)
{
    rep_stop(r, 1000);
    rep_destroy(r);
    unlink(path);
    strcpy(path, "/tmp/test_rep_http_XXXXXX");
}

/* The events hold `what` n times; the reporter is stopped. */
static void expect(const char *what, int n)
{
    ck_assert_int_eq(count(what), n);
    stop();
}

static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\n\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

START_TEST(split_at_every_byte)
{
    for (size_t cut = 1; cut < sizeof req - 1; cut++) {
        start();
        piece(REP_TAP_RX, req, cut, cut);
        piece(REP_TAP_RX, req + cut, strlen(req) - cut, strlen(req) - cut);
        feed(REP_TAP_TX, resp);
        expect("\"http_status_code\":200", 1);
    }
}
END_TEST

START_TEST(one_byte_per_piece)
{
    start();
    for (size_t i = 0; req[i]; i++)
        piece(REP_TAP_RX, req + i, 1, 1);
    for (size_t i = 0; resp[i]; i++)
        piece(REP_TAP_TX, resp + i, 1, 1);
    expect("\"http_response_content_length\":5", 1);
}
END_TEST

START_TEST(body_unseen)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";

    start();
    feed(REP_TAP_RX, req);
    piece(REP_TAP_TX, head, strlen(head), strlen(head) + 10);
    off[REP_TAP_TX] += 99980;                       /* skipped by the tap */
    piece(REP_TAP_TX, "", 0, 10);                   /* the call that ends it */
    feed(REP_TAP_RX, req);
    feed(REP_TAP_TX, resp);
    expect("\"http_status_code\":200", 2);
}
END_TEST

START_TEST(chunked_and_pipelined)
{
    static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
    char both[512];

    start();
    snprintf(both, sizeof both, "%s%s", req, req);
    feed(REP_TAP_RX, both);
    snprintf(both, sizeof both, "%s%s", chunked, resp);
    feed(REP_TAP_TX, both);
    expect("\"http_response_content_length\":19", 1);
}
END_TEST

/* A chunk's data and the CRLF after it past what a call handed over. */
START_TEST(chunk_end_unseen)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "7d0\r\nxxxxxxxx";

    start();
    feed(REP_TAP_RX, req);
    piece(REP_TAP_TX, head, strlen(head), strlen(head) + 2000 - 8 + 2);
    feed(REP_TAP_TX, "5\r\nabcde\r\n0\r\n\r\n");
    expect("\"http_response_content_length\":2005", 1);
}
END_TEST

START_TEST(head_unseen_is_counted_and_the_stream_found_again)
{
    start();
    feed(REP_TAP_RX, req);
    piece(REP_TAP_TX, resp, 4, strlen(resp));       /* a response cut after 4 bytes */
    feed(REP_TAP_RX, req);
    off[REP_TAP_TX] += 7;                           /* a piece dropped */
    feed(REP_TAP_RX, req);
    feed(REP_TAP_TX, resp);
    expect("\"http_status_code\":200", 1);
}
END_TEST

/* A request lost, then its response: one request not parsed, not two. */
START_TEST(lost_request_counted_once)
{
    start();
    piece(REP_TAP_RX, req, 4, strlen(req));         /* a head cut after 4 bytes */
    feed(REP_TAP_TX, resp);
    feed(REP_TAP_RX, req);
    feed(REP_TAP_TX, resp);
    rep_http_unparsed_tell(r);                      /* as each period does */
    expect("saw 1 HTTP requests whose heads", 1);
}
END_TEST

/* A chunk-size line past what a call handed over: the response is
 * counted as a chunked body not followed; the stream is wanted whole
 * from its first chunked head on, and found again at the next head. */
START_TEST(chunk_line_unseen_is_counted)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n";

    start();
    feed(REP_TAP_RX, req);
    ck_assert(!want.whole[REP_TAP_TX]);
    piece(REP_TAP_TX, head, strlen(head), strlen(head) + 100);
    ck_assert(want.whole[REP_TAP_TX] && !want.whole[REP_TAP_RX]);
    feed(REP_TAP_RX, req);
    feed(REP_TAP_TX, resp);
    ck_assert(want.whole[REP_TAP_TX]);
    rep_http_unparsed_tell(r);
    ck_assert_int_eq(count("framing of 1 chunked HTTP bodies"), 1);
    expect("\"http_status_code\":200", 1);
}
END_TEST

START_TEST(not_http)
{
    start();
    ck_assert_int_eq(piece(REP_TAP_RX, "*1\r\n$4\r\nPING\r\n", 14, 14), REP_PROTO_NO);
    rep_conn_close(r, conn);
    conn = rep_conn_open(&(struct rep_sock){ .type = 1 }, false);
    off[REP_TAP_RX] = 0;
    ck_assert_int_eq(piece(REP_TAP_RX, "GE", 2, 2), REP_PROTO_MORE);
    ck_assert_int_eq(piece(REP_TAP_RX, "T / HTTP/1.0\r\n\r\n", 16, 16), REP_PROTO_YES);
    expect("http.req", 1);
}
END_TEST

/* SCOPE_EVENT_MAXEPS for HTTP events counts in the events' own seconds:
 * the second before the newest counts in the newest (a thread's events
 * drained late), an earlier one (the clock set back) starts anew. */
START_TEST(rate_limit_in_the_events_seconds)
{
    static const double seconds[] = { 100.2, 100.7, 99.9, 50.0, 101.0 };

    maxeps = 2;                     /* a request and its response a second */
    start();
    for (size_t i = 0; i < sizeof seconds / sizeof seconds[0]; i++) {
        when = seconds[i];
        feed(REP_TAP_RX, req);
        feed(REP_TAP_TX, resp);
    }
    maxeps = 0;
    when = 1.5;
    expect("\"source\":\"http.req\"", 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rep_http");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, split_at_every_byte);
    tcase_add_test(tc, one_byte_per_piece);
    tcase_add_test(tc, body_unseen);
    tcase_add_test(tc, chunked_and_pipelined);
    tcase_add_test(tc, chunk_end_unseen);
    tcase_add_test(tc, head_unseen_is_counted_and_the_stream_found_again);
    tcase_add_test(tc, lost_request_counted_once);
    tcase_add_test(tc, chunk_line_unseen_is_counted);
    tcase_add_test(tc, not_http);
    tcase_add_test(tc, rate_limit_in_the_events_seconds);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
