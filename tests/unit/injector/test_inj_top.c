/* test_inj_top.c: the frame model of `scope top` (inj_top_model.c) and its
 * layout as text (inj_top_view.c), on metric lines and /proc text written
 * here the way libscope.so and the kernel write them. */
#include "check_suite.h"
#include "inj_top_model.h"
#include "inj_top_view.h"

#include <stdio.h>
#include <string.h>

/* A metric line of pid 42 at time t (extra: more body fields, or ""). */
static void feed(struct inj_top_metrics *m, const char *name, const char *type, double value,
                 double t, const char *extra)
{
    char line[2048];

    snprintf(line, sizeof line,
             "{\"type\":\"metric\",\"body\":{\"_metric\":\"%s\",\"_metric_type\":\"%s\","
             "\"_value\":%.6f,\"proc\":\"prog\",\"pid\":42,\"host\":\"h\"%s%s,"
             "\"_time\":%.6f}}",
             name, type, value, extra[0] ? "," : "", extra, t);
    ck_assert_int_eq(inj_top_metrics_line(m, line, strlen(line)), 0);
}

static const struct inj_top_item *item(const struct inj_top_period *p, enum inj_top_kind k,
                                       const char *name)
{
    for (size_t i = 0; i < p->items[k].n; i++)
        if (strcmp(p->items[k].v[i].name, name) == 0)
            return &p->items[k].v[i];
    return NULL;
}

/* Two periods two seconds apart: the newest one alone, summed per file,
 * peer and status, with the period's length. */
START_TEST(periods_sum_and_replace)
{
    struct inj_top_metrics m = {0};
    const struct inj_top_period *p;
    const struct inj_top_item *it;

    feed(&m, "fs.read", "counter", 999, 100.0, "\"unit\":\"byte\",\"file\":\"/old\"");
    feed(&m, "fs.read", "counter", 1000, 102.0, "\"unit\":\"byte\",\"file\":\"/a\"");
    feed(&m, "fs.read", "counter", 3000, 102.0, "\"unit\":\"byte\",\"file\":\"/b\"");
    feed(&m, "fs.write", "counter", 500, 102.0, "\"unit\":\"byte\",\"file\":\"/a\"");
    feed(&m, "net.rx", "counter", 4096, 102.0,
         "\"proto\":\"TCP\",\"localip\":\"127.0.0.1\",\"localp\":8080,"
         "\"remoteip\":\"127.0.0.1\",\"remotep\":50000,\"class\":\"inet_tcp\"");
    feed(&m, "net.tx", "counter", 100, 102.0,
         "\"proto\":\"TCP\",\"localip\":\"::1\",\"localp\":8080,"
         "\"remoteip\":\"::1\",\"remotep\":50001,\"class\":\"inet_tcp\"");
    feed(&m, "fs.error", "counter", 2, 102.0, "\"class\":\"read_write\"");
    feed(&m, "net.error", "counter", 4, 102.0, "\"class\":\"rx_tx\"");
    feed(&m, "http.req", "counter", 10, 102.0, "\"http_status_code\":200");
    feed(&m, "http.req", "counter", 4, 102.0, "\"http_status_code\":404");
    feed(&m, "http.req", "counter", 6, 102.0, "\"http_status_code\":200");
    feed(&m, "proc.mem", "gauge", 1234, 102.0, "\"unit\":\"kibibyte\"");

    ck_assert_ptr_null(inj_top_metrics_of(&m, 43));
    ck_assert_ptr_nonnull(p = inj_top_metrics_of(&m, 42));
    ck_assert_double_eq_tol(inj_top_period_seconds(p), 2.0, 1e-9);
    ck_assert_double_eq(p->read, 4000);
    ck_assert_double_eq(p->write, 500);
    ck_assert_double_eq(p->rx, 4096);
    ck_assert_double_eq(p->tx, 100);
    ck_assert_double_eq(p->errors, 6);
    ck_assert_double_eq(p->requests, 20);
    ck_assert_ptr_null(item(p, INJ_TOP_FILE, "/old"));
    ck_assert_ptr_nonnull(it = item(p, INJ_TOP_FILE, "/a"));
    ck_assert_double_eq(it->in, 1000);
    ck_assert_double_eq(it->out, 500);
    ck_assert_ptr_nonnull(it = item(p, INJ_TOP_PEER, "127.0.0.1:50000"));
    ck_assert_double_eq(it->in, 4096);
    ck_assert_uint_eq(it->localp, 8080);
    ck_assert_ptr_nonnull(item(p, INJ_TOP_PEER, "[::1]:50001"));
    ck_assert_ptr_nonnull(it = item(p, INJ_TOP_STATUS, "200"));
    ck_assert_double_eq(it->in, 16);
    ck_assert_uint_eq(m.skipped, 0);
    inj_top_metrics_free(&m);
}
END_TEST

/* A line older than the newest period is dropped and counted, as are
 * lines that are not metric lines; other pids have their own periods. */
START_TEST(late_and_foreign_lines)
{
    struct inj_top_metrics m = {0};
    static const char *const bad[] = {
        "not json", "{\"type\":\"evt\",\"body\":{}}", "[1,2]",
        "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.read\",\"_value\":\"1\","
        "\"pid\":42,\"_time\":1}}",
        "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.read\",\"_value\":1,\"_time\":1}}",
    };
    char other[256];

    feed(&m, "fs.read", "counter", 10, 200.0, "");
    feed(&m, "fs.read", "counter", 99, 199.0, "");
    ck_assert_uint_eq(m.skipped, 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(inj_top_metrics_line(&m, bad[i], strlen(bad[i])), 0);
    ck_assert_uint_eq(m.skipped, 1 + sizeof bad / sizeof bad[0]);
    snprintf(other, sizeof other, "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.read\","
             "\"_metric_type\":\"counter\",\"_value\":7,\"pid\":43,\"_time\":150}}");
    ck_assert_int_eq(inj_top_metrics_line(&m, other, strlen(other)), 0);
    ck_assert_double_eq(inj_top_metrics_of(&m, 42)->read, 10);
    ck_assert_double_eq(inj_top_metrics_of(&m, 43)->read, 7);
    /* pid 43 said nothing since 150 (a first period of unknown length:
     * stale after a second), pid 42 since 200 */
    inj_top_metrics_prune(&m, 150 + 1 + INJ_TOP_FORGET);
    ck_assert_ptr_nonnull(inj_top_metrics_of(&m, 43));
    inj_top_metrics_prune(&m, 150 + 1 + INJ_TOP_FORGET + 0.5);
    ck_assert_ptr_null(inj_top_metrics_of(&m, 43));
    ck_assert_double_eq(inj_top_metrics_of(&m, 42)->read, 10);
    inj_top_metrics_free(&m);
}
END_TEST

/* A file read as the library writes it: lines in pieces, a line far
 * longer than any metric line, a last line still being written. */
START_TEST(tail_of_a_growing_file)
{
    static char huge[3 * INJ_TOP_LINE_MAX];
    struct inj_top_metrics m = {0};
    struct inj_top_tail t = {0};
    const char *line = "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.read\","
                       "\"_metric_type\":\"counter\",\"_value\":5,\"pid\":42,\"_time\":1}}\n";
    FILE *f = tmpfile();
    off_t size;

    ck_assert_ptr_nonnull(f);
    memset(huge, 'x', sizeof huge - 1);
    huge[sizeof huge - 1] = '\n';
    fputs(line, f);
    fwrite(huge, 1, sizeof huge, f);
    fputs(line, f);
    fwrite(line, 1, 20, f);                 /* being written */
    fflush(f);
    size = ftello(f);
    ck_assert_int_eq(fseeko(f, 0, SEEK_SET), 0);
    ck_assert_int_eq(inj_top_tail_read(&t, f, size, size, &m), 0);
    ck_assert_double_eq(inj_top_metrics_of(&m, 42)->read, 10);
    ck_assert_uint_eq(m.skipped, 1);
    ck_assert_int_eq(t.offset, size - 20);  /* the piece is read again */
    /* the rest of it arrives; a bound on one call's bytes is kept */
    fputs(line + 20, f);
    fputs(line, f);
    fflush(f);
    size = ftello(f);
    ck_assert_int_eq(fseeko(f, t.offset, SEEK_SET), 0);
    ck_assert_int_eq(inj_top_tail_read(&t, f, size, (off_t)strlen(line), &m), 0);
    ck_assert_double_eq(inj_top_metrics_of(&m, 42)->read, 15);
    ck_assert_int_eq(fseeko(f, t.offset, SEEK_SET), 0);
    ck_assert_int_eq(inj_top_tail_read(&t, f, size, size, &m), 0);
    ck_assert_double_eq(inj_top_metrics_of(&m, 42)->read, 20);
    ck_assert_int_eq(t.offset, size);
    fclose(f);
    inj_top_metrics_free(&m);
}
END_TEST

/* A first period's length comes from proc.cpu / proc.cpu_perc; with
 * neither it is unknown and the rates are too. */
START_TEST(first_period_length)
{
    struct inj_top_metrics m = {0};
    struct inj_top_proc proc = {.pid = 42};
    struct inj_top_rates r;

    feed(&m, "fs.read", "counter", 3000, 50.0, "");
    proc.io = inj_top_metrics_of(&m, 42);
    ck_assert_double_eq(inj_top_period_seconds(proc.io), 0);
    inj_top_rates_of(&proc, &r);
    ck_assert(r.read < 0);
    feed(&m, "proc.cpu", "counter", 150000, 50.0, "\"unit\":\"microsecond\"");
    feed(&m, "proc.cpu_perc", "gauge", 5.0, 50.0, "\"unit\":\"percent\"");
    ck_assert_double_eq_tol(inj_top_period_seconds(proc.io), 3.0, 1e-9);
    inj_top_rates_of(&proc, &r);
    ck_assert_double_eq_tol(r.read, 1000, 1e-6);
    /* stale: more than two periods and a second since it ended */
    proc.io_age = 7.5;
    inj_top_rates_of(&proc, &r);
    ck_assert(r.read < 0);
    inj_top_metrics_free(&m);
}
END_TEST

/* A target's quantiles come from scope.http.duration.* (microseconds),
 * one line per status: the most frequent status's, whatever the order. */
START_TEST(http_distributions)
{
    struct inj_top_metrics m = {0};
    const struct inj_top_item *it;

    feed(&m, "http.duration.server", "timer", 3, 10.0,
         "\"unit\":\"millisecond\",\"http_target\":\"/x\",\"http_status_code\":404,"
         "\"numops\":2");
    feed(&m, "scope.http.duration.server", "histogram", 900, 10.0,
         "\"unit\":\"microsecond\",\"http_target\":\"/x\",\"http_status_code\":404,"
         "\"p50\":900,\"p90\":1000,\"p99\":1100,\"max\":1200,\"mean\":1000,\"samples\":2,"
         "\"calls\":2");
    feed(&m, "scope.http.duration.server", "histogram", 200, 10.0,
         "\"unit\":\"microsecond\",\"http_target\":\"/x\",\"http_status_code\":200,"
         "\"p50\":200,\"p90\":300,\"p99\":700,\"max\":800,\"mean\":250,\"samples\":30,"
         "\"calls\":30");
    feed(&m, "scope.http.duration.client", "histogram", 5000, 10.0,
         "\"unit\":\"microsecond\",\"http_target\":\"/x\",\"http_status_code\":500,"
         "\"p50\":5000,\"p99\":5000,\"mean\":6000,\"samples\":1,\"calls\":1");
    it = item(inj_top_metrics_of(&m, 42), INJ_TOP_TARGET, "/x");
    ck_assert_ptr_nonnull(it);
    ck_assert_double_eq_tol(it->lat.p50, 0.2, 1e-9);
    ck_assert_double_eq_tol(it->lat.p99, 0.7, 1e-9);
    ck_assert_double_eq_tol(it->lat.max, 0.8, 1e-9);
    /* the mean of all three distributions, exact (whole ms in http.duration.*) */
    ck_assert_double_eq_tol(it->lat.mean, (2 * 1.0 + 30 * 0.25 + 1 * 6.0) / 33, 1e-9);
    ck_assert_double_eq_tol(it->in, 2, 1e-9);       /* requests: from the mean line */
    inj_top_metrics_free(&m);
}
END_TEST

/* Durations in ms whatever the unit: means from AppScope's lines (averaged
 * by their calls), percentiles from scope's distributions or any line
 * that has them; a peer's from its port's, local (server) or remote. */
START_TEST(durations)
{
    struct inj_top_metrics m = {0};
    const struct inj_top_period *p;
    const struct inj_top_item *it, *peer;
    const struct inj_top_lat *lat;

    feed(&m, "fs.duration", "histogram", 250, 10.0,
         "\"unit\":\"microsecond\",\"file\":\"/a\",\"p50\":200,\"p90\":400,\"p99\":900");
    feed(&m, "net.duration", "timer", 3, 10.0, "\"unit\":\"millisecond\",\"proto\":\"TCP\","
         "\"port\":6379");
    feed(&m, "net.rx", "counter", 10, 10.0, "\"remoteip\":\"10.0.0.1\",\"remotep\":6379,"
         "\"localp\":40000");
    feed(&m, "http.duration.server", "timer", 12, 10.0,
         "\"unit\":\"millisecond\",\"http_target\":\"/x\",\"numops\":5,\"p99\":40");
    feed(&m, "http.duration.server", "timer", 2, 10.0,
         "\"unit\":\"millisecond\",\"http_target\":\"/x\",\"numops\":15");
    feed(&m, "fs.duration", "histogram", 5, 10.0, "\"unit\":\"fortnight\",\"file\":\"/b\"");
    /* scope's distribution of /c (_value is its p50), then AppScope's mean */
    feed(&m, "scope.fs.duration", "histogram", 120, 10.0,
         "\"unit\":\"microsecond\",\"file\":\"/c\",\"p50\":120,\"p90\":500,\"p99\":2000,"
         "\"max\":9000,\"samples\":40,\"calls\":640");
    feed(&m, "fs.duration", "histogram", 300, 10.0, "\"unit\":\"microsecond\",\"file\":\"/c\"");
    /* scope's of a peer, by op: its receives, and its lifetimes */
    feed(&m, "scope.net.duration", "histogram", 1500, 10.0,
         "\"unit\":\"microsecond\",\"remoteip\":\"10.0.0.1\",\"remotep\":6379,"
         "\"op\":\"recv\",\"p50\":1500,\"p90\":2000,\"p99\":4000,\"max\":4100");
    feed(&m, "scope.net.duration", "histogram", 9000, 10.0,
         "\"unit\":\"microsecond\",\"remoteip\":\"10.0.0.1\",\"remotep\":6379,"
         "\"op\":\"connection\",\"p50\":9000,\"p99\":9000");
    feed(&m, "scope.fs.duration", "histogram", 7, 10.0,
         "\"unit\":\"microsecond\",\"file\":\"/c\",\"op\":\"write\",\"p50\":7,\"p99\":11");
    p = inj_top_metrics_of(&m, 42);
    it = item(p, INJ_TOP_FILE, "/a");
    ck_assert_double_eq_tol(it->lat.mean, 0.25, 1e-9);
    ck_assert_double_eq_tol(it->lat.p50, 0.2, 1e-9);
    ck_assert_double_eq_tol(it->lat.p90, 0.4, 1e-9);
    ck_assert_double_eq_tol(it->lat.p99, 0.9, 1e-9);
    ck_assert(it->lat.max < 0);
    it = item(p, INJ_TOP_FILE, "/c");
    ck_assert_double_eq_tol(it->lat.mean, 0.3, 1e-9);
    ck_assert_double_eq_tol(it->lat.p50, 0.12, 1e-9);
    ck_assert_double_eq_tol(it->lat.p99, 2.0, 1e-9);
    ck_assert_double_eq_tol(it->lat.max, 9.0, 1e-9);
    ck_assert(item(p, INJ_TOP_FILE, "/b")->lat.mean < 0);
    peer = item(p, INJ_TOP_PEER, "10.0.0.1:6379");
    ck_assert_ptr_nonnull(lat = inj_top_peer_lat(p, peer));
    ck_assert_double_eq(lat->mean, 3);
    ck_assert_double_eq_tol(peer->in_lat.p50, 1.5, 1e-9);
    ck_assert_double_eq_tol(peer->in_lat.p99, 4.0, 1e-9);
    ck_assert(peer->out_lat.p50 < 0);
    ck_assert_double_eq_tol(peer->lat.p99, 9.0, 1e-9);
    it = item(p, INJ_TOP_FILE, "/c");
    ck_assert_double_eq_tol(it->out_lat.p99, 0.011, 1e-9);
    ck_assert(it->in_lat.p50 < 0);
    ck_assert_double_eq_tol(it->lat.p99, 2.0, 1e-9);   /* no op: an older library's */
    /* two lines of /x (two statuses): 5 calls of 12 ms, 15 of 2 ms */
    it = item(p, INJ_TOP_TARGET, "/x");
    ck_assert_double_eq(it->in, 20);
    ck_assert_double_eq_tol(it->lat.mean, 4.5, 1e-9);
    ck_assert_double_eq(it->lat.p99, 40);
    inj_top_metrics_free(&m);
}
END_TEST

/* /proc/PID/stat: the command may hold ") " and the fields still parse. */
START_TEST(stat_line)
{
    static const char stat[] =
        "4242 (evil) R 1 (x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 7 0 "
        "123456 18446744073709551615 321 18446744073709551615 1 1 0\n";
    struct inj_top_stat s;

    ck_assert_int_eq(inj_top_stat_parse(stat, &s), 0);
    ck_assert_uint_eq(s.ticks, 300);
    ck_assert_int_eq(s.threads, 7);
    ck_assert_int_eq(s.rss_pages, 321);
    ck_assert_int_eq(inj_top_stat_parse("4242 (cut", &s), -1);
    ck_assert_int_eq(inj_top_stat_parse("4242 (x) R 1 2", &s), -1);
    ck_assert_double_eq_tol(inj_top_cpu_percent(100, 150, 0.5, 100), 100.0, 1e-9);
    ck_assert(inj_top_cpu_percent(150, 100, 0.5, 100) < 0);
    ck_assert(inj_top_cpu_percent(100, 150, 0, 100) < 0);
}
END_TEST

static struct inj_top_proc row(pid_t pid, const char *comm, double cpu, long rss)
{
    struct inj_top_proc p = {.pid = pid, .state = "run", .cpu = cpu, .rss_kib = rss,
                             .fds = 3, .threads = 1};

    snprintf(p.comm, sizeof p.comm, "%s", comm);
    return p;
}

START_TEST(sort_and_filter)
{
    struct inj_top_proc v[] = {row(30, "nginx", 5, 100), row(10, "Redis-server", 50, 10),
                               row(20, "curl", -1, 1000)};

    inj_top_sort(v, 3, INJ_TOP_BY_CPU);
    ck_assert_int_eq(v[0].pid, 10);
    ck_assert_int_eq(v[1].pid, 30);
    ck_assert_int_eq(v[2].pid, 20);     /* unknown last */
    inj_top_sort(v, 3, INJ_TOP_BY_MEM);
    ck_assert_int_eq(v[0].pid, 20);
    inj_top_sort(v, 3, INJ_TOP_BY_PID);
    ck_assert_int_eq(v[0].pid, 10);
    inj_top_sort(v, 3, INJ_TOP_BY_NAME);
    ck_assert_str_eq(v[0].comm, "Redis-server");   /* byte order */
    ck_assert_int_eq(inj_top_sort_parse("net"), INJ_TOP_BY_NET);
    ck_assert_int_eq(inj_top_sort_parse("bogus"), -1);
    ck_assert(inj_top_match(&v[0], ""));
    ck_assert(inj_top_match(&v[0], "redis"));
    ck_assert(inj_top_match(&v[0], "10"));
    ck_assert(!inj_top_match(&v[0], "1"));
    ck_assert(!inj_top_match(&v[0], "nginx"));
}
END_TEST

START_TEST(figures)
{
    char b[16];

    inj_top_fmt_bytes(-1, b, sizeof b);
    ck_assert_str_eq(b, "-");
    inj_top_fmt_bytes(999, b, sizeof b);
    ck_assert_str_eq(b, "999");
    inj_top_fmt_bytes(1536, b, sizeof b);
    ck_assert_str_eq(b, "1.5K");
    inj_top_fmt_bytes(580.2 * 1024 * 1024, b, sizeof b);
    ck_assert_str_eq(b, "580M");
    inj_top_fmt_bytes(1e18, b, sizeof b);
    ck_assert_int_le(strlen(b), 5);
    inj_top_fmt_ms(0.023, b, sizeof b);
    ck_assert_str_eq(b, "23us");
    inj_top_fmt_ms(0.001344, b, sizeof b);
    ck_assert_str_eq(b, "1.3us");
    inj_top_fmt_ms(1.5, b, sizeof b);
    ck_assert_str_eq(b, "1.5ms");
    inj_top_fmt_ms(2500, b, sizeof b);
    ck_assert_str_eq(b, "2.5s");
}
END_TEST

/* A frame of two processes, one with a session period naming a hostile
 * file, laid out at 80x24, at 200x60 and for --once. */
static struct inj_top_metrics frame_metrics;
static struct inj_top_proc frame_rows[2];
static const struct inj_top_proc *frame_shown[2];

static void frame_setup(void)
{
    memset(&frame_metrics, 0, sizeof frame_metrics);
    feed(&frame_metrics, "fs.read", "counter", 1, 1.0, "");
    feed(&frame_metrics, "fs.read", "counter", 2048, 2.0,
         "\"file\":\"/tmp/\\u001b]0;owned\\u0007x\"");
    feed(&frame_metrics, "fs.duration", "histogram", 40, 2.0,
         "\"unit\":\"microsecond\",\"file\":\"/tmp/\\u001b]0;owned\\u0007x\"");
    feed(&frame_metrics, "scope.fs.duration", "histogram", 30, 2.0,
         "\"unit\":\"microsecond\",\"file\":\"/tmp/\\u001b]0;owned\\u0007x\",\"op\":\"read\","
         "\"p50\":30,\"p99\":70");
    frame_rows[0] = row(42, "ev\x1b[2Jil", 12.5, 2048);
    frame_rows[0].io = inj_top_metrics_of(&frame_metrics, 42);
    snprintf(frame_rows[0].source, sizeof frame_rows[0].source, "prog_1_42_1");
    frame_rows[1] = row(7, "plain", 0, 10);
    snprintf(frame_rows[1].source, sizeof frame_rows[1].source, "metrics to udp://x:1");
    frame_shown[0] = &frame_rows[0];
    frame_shown[1] = &frame_rows[1];
}

static void frame_teardown(void)
{
    inj_top_metrics_free(&frame_metrics);
}

static struct inj_top_view frame_view(int width, int height)
{
    return (struct inj_top_view){
        .rows = frame_shown, .n = 2, .total = 2, .selected = 0, .sort = INJ_TOP_BY_CPU,
        .filter = "", .status = "q quit", .note = "", .now = 0, .width = width,
        .height = height,
    };
}

static int screen_has(const struct inj_top_screen *s, const char *text)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->v[i].text, text))
            return 1;
    return 0;
}

static void check_screen(const struct inj_top_screen *s, int width)
{
    for (size_t i = 0; i < s->n; i++) {
        const unsigned char *c = (const unsigned char *)s->v[i].text;
        ck_assert_uint_eq(strlen(s->v[i].text), (size_t)width);   /* all ASCII here */
        for (; *c; c++)
            ck_assert_msg(*c >= 0x20 && *c != 0x7f, "control byte in line %zu", i);
    }
}

/* The frame laid out at width x height, each line checked. */
static void laid_out(int width, int height, struct inj_top_screen *s)
{
    struct inj_top_view v = frame_view(width, height);

    if (height == 0)
        v.status = NULL;
    ck_assert_int_eq(inj_top_layout(&v, s), 0);
    if (height > 0)
        ck_assert_uint_eq(s->n, (size_t)height);
    check_screen(s, width < INJ_TOP_MIN_WIDTH ? INJ_TOP_MIN_WIDTH : width);
}

START_TEST(layout_80x24)
{
    struct inj_top_screen s = {0};

    laid_out(80, 24, &s);
    ck_assert_int_eq(s.v[2].attr, INJ_TOP_SELECTED);
    ck_assert(strstr(s.v[2].text, "   42 ev\\x1b[2Jil "));
    ck_assert(strstr(s.v[2].text, " 12.5 "));
    ck_assert(strstr(s.v[2].text, " 2.0M "));
    ck_assert(strstr(s.v[2].text, " 2.0K "));         /* 2048 bytes over 1 s */
    ck_assert(screen_has(&s, "/tmp/\\x1b]0;owned\\x07x"));
    ck_assert(screen_has(&s, "30us"));
    ck_assert(screen_has(&s, "70us"));
    ck_assert(screen_has(&s, "  RD P50  RD P99  WR P50  WR P99"));
    ck_assert(!screen_has(&s, "MEAN"));               /* no room at 80 */
    ck_assert(!screen_has(&s, "40us"));
    ck_assert(screen_has(&s, "prog_1_42_1"));
    ck_assert(!screen_has(&s, "udp://x:1"));          /* not selected */
    ck_assert(strstr(s.v[23].text, "q quit"));
    inj_top_screen_free(&s);
}
END_TEST

START_TEST(layout_wide_and_once)
{
    struct inj_top_screen s = {0};

    laid_out(200, 60, &s);
    ck_assert(screen_has(&s, "   MEAN  RD P50"));     /* room for the mean */
    ck_assert(screen_has(&s, "   40us    30us    70us"));
    laid_out(120, 0, &s);
    ck_assert(screen_has(&s, "udp://x:1"));           /* every row's detail */
    ck_assert(screen_has(&s, "/tmp/\\x1b]0;owned\\x07x"));
    laid_out(10, 5, &s);        /* narrower than the minimum: at the minimum */
    inj_top_screen_free(&s);
}
END_TEST

/* HTTP lines light up their part of the pane: requests by status, and
 * targets with their percentiles; peers with their sends' quantiles. */
START_TEST(layout_http_and_peers)
{
    struct inj_top_screen s = {0};

    feed(&frame_metrics, "http.req", "counter", 30, 2.0, "\"http_status_code\":200");
    feed(&frame_metrics, "http.req", "counter", 2, 2.0, "\"http_status_code\":503");
    feed(&frame_metrics, "http.duration.server", "timer", 4, 2.0,
         "\"unit\":\"millisecond\",\"http_target\":\"/api\",\"numops\":30,"
         "\"p50\":3,\"p90\":9,\"p99\":120");
    feed(&frame_metrics, "net.tx", "counter", 5000, 2.0,
         "\"remoteip\":\"10.1.2.3\",\"remotep\":5432,\"localp\":40000");
    feed(&frame_metrics, "net.duration", "timer", 250, 2.0,
         "\"unit\":\"millisecond\",\"port\":5432");
    feed(&frame_metrics, "scope.net.duration", "histogram", 2, 2.0,
         "\"unit\":\"millisecond\",\"remoteip\":\"10.1.2.3\",\"remotep\":5432,"
         "\"op\":\"send\",\"p50\":2,\"p99\":8");
    laid_out(80, 24, &s);
    ck_assert(screen_has(&s, "HTTP requests/s by status: 200 30 503 2"));
    ck_assert(screen_has(&s, "HTTP TARGET"));
    ck_assert(screen_has(&s, "/api"));
    ck_assert(screen_has(&s, "  4.0ms   3.0ms   9.0ms   120ms"));
    ck_assert(screen_has(&s, "10.1.2.3:5432"));
    ck_assert(screen_has(&s, "4.9K       -       -   2.0ms   8.0ms"));
    inj_top_screen_free(&s);
}
END_TEST

static Suite *top_suite(void)
{
    Suite *s = suite_create("inj_top");
    TCase *model = tcase_create("model"), *view = tcase_create("view");

    tcase_add_test(model, periods_sum_and_replace);
    tcase_add_test(model, late_and_foreign_lines);
    tcase_add_test(model, tail_of_a_growing_file);
    tcase_add_test(model, first_period_length);
    tcase_add_test(model, durations);
    tcase_add_test(model, http_distributions);
    tcase_add_test(model, stat_line);
    tcase_add_test(model, sort_and_filter);
    tcase_add_checked_fixture(view, frame_setup, frame_teardown);
    tcase_add_test(view, figures);
    tcase_add_test(view, layout_80x24);
    tcase_add_test(view, layout_wide_and_once);
    tcase_add_test(view, layout_http_and_peers);
    suite_add_tcase(s, model);
    suite_add_tcase(s, view);
    return s;
}

int main(void)
{
    return check_suite_run(top_suite());
}
