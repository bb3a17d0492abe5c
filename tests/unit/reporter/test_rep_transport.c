/* test_rep_transport.c: the reporter's destinations against real loopback
 * sockets: URL checks, lines kept while a destination is down and counted
 * when they overflow, a reader that stalls, StatsD datagram packing, an
 * address that never answers among a name's addresses. */
#include "check_suite.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rep_connect.h"
#include "rep_transport.h"

static char err[512];

START_TEST(url_check_accepts)
{
    const char *good[] = { "file:///tmp/x", "file://stdout", "file://stderr", "file://fd/3",
                           "udp://127.0.0.1:8125", "tcp://localhost:9109",
                           "tcp://[::1]:1", "unix:///run/x.sock", "unix://@name", "" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(rep_transport_url_check(good[i], err, sizeof err) == 0,
                      "%s: %s", good[i], err);
}
END_TEST

START_TEST(url_check_rejects)
{
    const char *bad[] = { "file://rel", "file://fd/", "file://fd/3x", "file://fd/-1",
                          "file://fd/99999999999", "udp://h", "udp://h:0", "udp://h:65536",
                          "tcp://:80", "tcp://h:8x", "tcp://[::1:80", "unix://rel",
                          "unix://@", "http://h:80", "/tmp/x", "udp://h:-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(rep_transport_url_check(bad[i], err, sizeof err) < 0, "%s", bad[i]);
        ck_assert_msg(err[0] != '\0', "%s: no reason", bad[i]);
    }
}
END_TEST

/* file://fd/N: what scope hands a process in another mount namespace. The
 * lines go to that file through the transport's own copy; N stays the
 * caller's (scope closes it), open and untouched after the transport is
 * closed. */
START_TEST(handed_descriptor_is_copied)
{
    char path[] = "/tmp/scope-handed-XXXXXX", url[64], got[64] = "";
    struct rep_transport t;
    int n = mkstemp(path);

    ck_assert_int_ge(n, 0);
    unlink(path);
    snprintf(url, sizeof url, "file://fd/%d", n);
    ck_assert_msg(rep_transport_open(&t, url, err, sizeof err) == 0, "%s", err);
    ck_assert_int_ne(t.fd, n);
    rep_transport_write(&t, "one line\n", 9);
    rep_transport_finish(&t, 1000);
    rep_transport_close(&t);
    ck_assert_int_eq(fcntl(n, F_GETFD), 0);         /* still open, as it was */
    ck_assert_int_eq(pread(n, got, sizeof got - 1, 0), 9);
    ck_assert_str_eq(got, "one line\n");
    close(n);
    ck_assert_int_lt(rep_transport_open(&t, url, err, sizeof err), 0);  /* closed now */
    ck_assert_msg(strstr(err, "cannot use descriptor"), "%s", err);
}
END_TEST

/* A loopback port nobody listens on (yet): bound, then closed. */
/* The loopback address a bound socket has (its port the kernel's pick). */
static struct sockaddr_in bound_address(int s)
{
    struct sockaddr_in a;
    socklen_t l = sizeof a;

    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &l), 0);
    return a;
}

static int port_free(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    a = bound_address(s);
    close(s);
    return ntohs(a.sin_port);
}

static int listener(int port, int type, int rcvbuf)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1, s = socket(AF_INET, type, 0);

    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf)
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    if (type == SOCK_STREAM)
        ck_assert_int_eq(listen(s, 4), 0);
    return s;
}

/* t open to scheme://127.0.0.1:port */
static void loopback_open(struct rep_transport *t, const char *scheme, int port)
{
    char url[64];

    snprintf(url, sizeof url, "%s://127.0.0.1:%d", scheme, port);
    ck_assert_msg(rep_transport_open(t, url, err, sizeof err) == 0, "%s: %s", url, err);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Line i: "line NNNNNNN ...\n", 100 bytes. */
static void line_make(char *buf, unsigned i)
{
    snprintf(buf, 101, "line %07u %086u\n", i, 0u);
}

/* A reader on its own thread: accepts one connection on a listening
 * socket and keeps all it reads until EOF. */
struct reader {
    int listener;
    pthread_t thread;
    char *data;
    size_t len, cap;
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    int c = accept(rd->listener, NULL, NULL);
    ssize_t n;

    if (c < 0)
        return NULL;
    for (;;) {
        if (rd->len + 65536 > rd->cap) {
            rd->cap = rd->cap ? rd->cap * 2 : 1 << 20;
            rd->data = realloc(rd->data, rd->cap);
        }
        n = read(c, rd->data + rd->len, 65536);
        if (n <= 0)
            break;
        rd->len += (size_t)n;
    }
    close(c);
    return NULL;
}

static void reader_start(struct reader *rd, int listener)
{
    memset(rd, 0, sizeof *rd);
    rd->listener = listener;
    ck_assert_int_eq(pthread_create(&rd->thread, NULL, reader_main, rd), 0);
}

/* Whole lines the reader got: how many; each in order, and when
 * `contiguous`, without a gap after the first one seen. */
static unsigned reader_lines(struct reader *rd, unsigned *first, int contiguous)
{
    unsigned count = 0, expect = 0;
    size_t at = 0;

    pthread_join(rd->thread, NULL);
    close(rd->listener);
    for (; at + 100 <= rd->len; at += 100) {
        const char *l = rd->data + at;
        ck_assert_int_eq(l[99], '\n');
        ck_assert_msg(memchr(l, '\n', 99) == NULL, "a line glued to another");
        unsigned no = (unsigned)strtoul(l + 5, NULL, 10);
        if (count == 0)
            *first = expect = no;
        if (contiguous)
            ck_assert_uint_eq(no, expect);
        else
            ck_assert_uint_ge(no, expect);
        expect = no + 1;
        count++;
    }
    /* A reader that stalls to the end may be left the head of a line
     * (which the sender counts lost): never anywhere but at the end. */
    if (contiguous)
        ck_assert_uint_eq(at, rd->len);
    free(rd->data);
    return count;
}

/* Down at first: lines are kept up to the bound, the oldest dropped and
 * counted; once up, the rest arrive: arrived + lost == written. */
START_TEST(tcp_down_then_up_counts_exactly)
{
    struct rep_transport t;
    char line[101];
    int port = port_free();
    const unsigned total = 2 * REP_TRANSPORT_KEEP_MAX / 100;

    loopback_open(&t, "tcp", port);
    double worst = 0;
    for (unsigned i = 0; i < total; i++) {
        line_make(line, i);
        double t0 = now_s();
        rep_transport_write(&t, line, 100);
        if (now_s() - t0 > worst)
            worst = now_s() - t0;
    }
    ck_assert_uint_le(t.pending_len, REP_TRANSPORT_KEEP_MAX);
    ck_assert_uint_gt(t.lost_lines, 0);
    ck_assert_uint_eq(t.lost_bytes, t.lost_lines * 100);
    ck_assert_msg(worst < 0.5, "a write took %.3f s", worst);   /* the connect bound */
    ck_assert(!rep_transport_is_caught_up(&t));

    struct reader rd;
    reader_start(&rd, listener(port, SOCK_STREAM, 0));
    rep_transport_finish(&t, 5000);          /* connects at once, sends what was kept */
    ck_assert_uint_eq(t.pending_len, 0);
    ck_assert(rep_transport_is_caught_up(&t));
    uint64_t lost = t.lost_lines;
    rep_transport_close(&t);
    unsigned first = 0, got = reader_lines(&rd, &first, 1);
    ck_assert_uint_eq(got + lost, total);
    ck_assert_uint_eq(first, lost);          /* the oldest went */
}
END_TEST

/* A reader that accepts and never reads: writes stay quick, memory stays
 * bounded, what does not fit is counted. */
START_TEST(tcp_stalled_reader_never_blocks)
{
    struct rep_transport t;
    char line[101];
    int port = port_free();
    int ls = listener(port, SOCK_STREAM, 4096);
    const unsigned total = 100000;         /* 10 MB */

    loopback_open(&t, "tcp", port);
    double began = now_s();
    for (unsigned i = 0; i < total; i++) {
        line_make(line, i);
        rep_transport_write(&t, line, 100);
        ck_assert_uint_le(t.pending_len, REP_TRANSPORT_KEEP_MAX);
    }
    double took = now_s() - began;
    ck_assert_msg(took < 5, "10 MB took %.2f s", took);
    ck_assert_uint_gt(t.lost_lines, 0);
    began = now_s();
    rep_transport_finish(&t, 300);
    ck_assert_msg(now_s() - began < 1, "finish waited %.2f s", now_s() - began);
    /* given up with half a line sent: that connection is closed, so that
     * nothing is ever glued to the half line */
    ck_assert_int_eq(t.mid_line, 0);
    uint64_t lost = t.lost_lines;
    struct reader rd;
    reader_start(&rd, ls);                  /* reads only now: after finish */
    rep_transport_close(&t);
    unsigned first = 0, got = reader_lines(&rd, &first, 0);
    ck_assert_uint_eq(got + lost, total);
}
END_TEST

/* StatsD: datagrams of whole lines, at most maxlen bytes, every line once. */
START_TEST(udp_packs_whole_lines)
{
    struct rep_transport t;
    char buf[8192];
    int port = port_free();
    int s = listener(port, SOCK_DGRAM, 0);
    size_t sent = 0, got = 0;
    unsigned lines = 0;

    loopback_open(&t, "udp", port);
    rep_transport_set_maxlen(&t, 200);
    for (int i = 0; i < 40; i++)
        sent += (size_t)snprintf(buf + sent, sizeof buf - sent, "m%d:%d|c|#t:%*d\n",
                                 i, i, i * 3 % 70, 0);
    rep_transport_write(&t, buf, sent);
    ck_assert_uint_eq(t.lost_bytes, 0);
    struct pollfd p = { .fd = s, .events = POLLIN };
    while (poll(&p, 1, 200) > 0) {
        char gram[2048];
        ssize_t n = recv(s, gram, sizeof gram, 0);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, 200);
        ck_assert_int_eq(gram[n - 1], '\n');
        ck_assert_int_eq(memcmp(gram, buf + got, (size_t)n), 0);
        got += (size_t)n;
        lines++;
    }
    ck_assert_uint_eq(got, sent);
    ck_assert_uint_lt(lines, 40);
    rep_transport_abandon(&t);
    close(s);
}
END_TEST

/* A listener whose accept queue is full: the kernel drops the SYNs of
 * further connects, which wait until they give up, as they do for an
 * address whose route drops packets. */
static int listener_full(int *filler)
{
    int s = listener(0, SOCK_STREAM, 0);
    struct sockaddr_in a = bound_address(s);
    struct pollfd p = { .events = POLLOUT };

    ck_assert_int_eq(listen(s, 0), 0);      /* a queue of one */
    *filler = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(*filler, (struct sockaddr *)&a, sizeof a);
    p.fd = *filler;
    ck_assert_int_eq(poll(&p, 1, 5000), 1); /* queued: the queue is full */
    return s;
}

/* A name's first address never answers and takes the whole connect wait;
 * the next try starts from the address after it, which works. */
START_TEST(tcp_address_that_never_answers_is_passed_over)
{
    int filler, dead = listener_full(&filler), live = listener(0, SOCK_STREAM, 0);
    struct sockaddr_in dead_a = bound_address(dead), live_a = bound_address(live);
    struct addrinfo live_ai = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                                .ai_addr = (struct sockaddr *)&live_a,
                                .ai_addrlen = sizeof live_a };
    struct addrinfo dead_ai = live_ai;
    struct rep_transport t;

    dead_ai.ai_addr = (struct sockaddr *)&dead_a;
    dead_ai.ai_next = &live_ai;
    loopback_open(&t, "tcp", ntohs(live_a.sin_port));
    errno = 0;
    int first = rep_connect_list(&t, &dead_ai, SOCK_STREAM), why = errno;
    ck_assert_int_lt(first, 0);
    ck_assert_int_eq(why, ETIMEDOUT);
    int fd = rep_connect_list(&t, &dead_ai, SOCK_STREAM);
    ck_assert_int_ge(fd, 0);
    close(fd);
    fd = rep_connect_list(&t, &dead_ai, SOCK_STREAM);
    ck_assert_int_ge(fd, 0);                /* and stays with what worked */
    close(fd);
    rep_transport_close(&t);
    close(filler);
    close(dead);
    close(live);
}
END_TEST

static Suite *rep_transport_suite(void)
{
    Suite *s = suite_create("rep_transport");
    TCase *url = tcase_create("url");
    TCase *net = tcase_create("net");

    tcase_add_test(url, url_check_accepts);
    tcase_add_test(url, url_check_rejects);
    tcase_add_test(url, handed_descriptor_is_copied);
    suite_add_tcase(s, url);
    tcase_set_timeout(net, 30);
    tcase_add_test(net, tcp_down_then_up_counts_exactly);
    tcase_add_test(net, tcp_stalled_reader_never_blocks);
    tcase_add_test(net, udp_packs_whole_lines);
    tcase_add_test(net, tcp_address_that_never_answers_is_passed_over);
    suite_add_tcase(s, net);
    return s;
}

int main(void)
{
    return check_suite_run(rep_transport_suite());
}
