/* test_rep_yaml.c: Check tests for reporter/rep_yaml*.c and the parts of
 * rep_config.c it relies on.
 *
 * Good files become the expected SCOPE_* lines with their line numbers;
 * each kind of bad file gives its one error line; hostile files (10 MB,
 * 100000 levels of nesting, an alias bomb, NUL bytes, a regex that would
 * take glibc seconds to compile) give an error quickly; and the library's
 * precedence (defaults < file < environment) holds.
 */
#include "rep_config.h"
#include "rep_yaml.h"

#include "check_suite.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct rep_yaml y;

static int parse(const char *text)
{
    return rep_yaml_parse(&y, "t.yml", text, strlen(text));
}

static void teardown(void)
{
    rep_yaml_free(&y);
}

/* The errors of text are the lines of `want`. */
static void bad(const char *text, const char *want)
{
    char msg[4096];
    int lines = 1;

    for (const char *c = want; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(parse(text), lines);
    snprintf(msg, sizeof msg, "%s\n", want);
    ck_assert_str_eq(y.errors, msg);
    rep_yaml_free(&y);
}

START_TEST(good_block_layout)
{
    ck_assert_int_eq(parse("metric:\n"
                           "  enable: false\n"
                           "  format:\n"
                           "    type: ndjson\n"
                           "    statsdprefix: 'app.'\n"
                           "    statsdmaxlen: 1400\n"
                           "    verbosity: 7\n"
                           "  transport:\n"
                           "    type: tcp\n"
                           "    host: ::1\n"
                           "    port: 8125\n"
                           "event:\n"
                           "  format: {type: ndjson, maxeventpersec: 50}\n"
                           "  transport: {type: unix, path: '@sock'}\n"
                           "libscope:\n"
                           "  summaryperiod: 3\n"
                           "  log: {level: debug, transport: {type: file, path: stderr}}\n"
                           "  snapshot: {backtrace: true}\n"
                           "tags:\n"
                           "  team: storage\n"), 0);
    ck_assert_str_eq(y.lines, "SCOPE_METRIC_ENABLE=false\n"
                              "SCOPE_METRIC_FORMAT=ndjson\n"
                              "SCOPE_STATSD_PREFIX=app.\n"
                              "SCOPE_STATSD_MAXLEN=1400\n"
                              "SCOPE_METRIC_VERBOSITY=7\n"
                              "SCOPE_METRIC_DEST=tcp://[::1]:8125\n"
                              "SCOPE_EVENT_MAXEPS=50\n"
                              "SCOPE_EVENT_DEST=unix://@sock\n"
                              "SCOPE_SUMMARY_PERIOD=3\n"
                              "SCOPE_LOG_LEVEL=debug\n"
                              "SCOPE_LOG_DEST=file://stderr\n"
                              "SCOPE_SNAPSHOT_BACKTRACE=true\n"
                              "SCOPE_TAG_team=storage\n");
    static const unsigned lines[] = {2, 4, 5, 6, 7, 8, 13, 14, 16, 17, 17, 18, 20};
    ck_assert_uint_eq(y.nlines, sizeof lines / sizeof lines[0]);
    for (size_t i = 0; i < y.nlines; i++)
        ck_assert_uint_eq(y.src[i], lines[i]);
}
END_TEST

START_TEST(good_watch_list)
{
    ck_assert_int_eq(parse("event:\n"
                           "  watch:\n"
                           "    - type: fs\n"
                           "      name: ^/tmp/\n"
                           "      field: .*\n"
                           "    - type: console\n"
                           "      allowbinary: false\n"
                           "    - type: dns\n"
                           "      enabled: false\n"), 0);
    ck_assert_str_eq(y.lines, "SCOPE_EVENT_FS_NAME=^/tmp/\n"
                              "SCOPE_ALLOW_BINARY_CONSOLE=false\n"
                              "SCOPE_EVENT_LOGFILE=false\n"
                              "SCOPE_EVENT_CONSOLE=true\n"
                              "SCOPE_EVENT_NET=false\n"
                              "SCOPE_EVENT_FS=true\n"
                              "SCOPE_EVENT_DNS=false\n"
                              "SCOPE_EVENT_HTTP=false\n");
}
END_TEST

START_TEST(good_watch_http)
{
    ck_assert_int_eq(parse("metric: {http: false}\n"
                           "event:\n"
                           "  watch:\n"
                           "    - type: http\n"
                           "      name: http.resp\n"
                           "      headers: x-request-id|authorization\n"), 0);
    ck_assert_str_eq(y.lines, "SCOPE_METRIC_HTTP=false\n"
                              "SCOPE_EVENT_HTTP_HEADER=x-request-id|authorization\n"
                              "SCOPE_EVENT_HTTP_NAME=http.resp\n"
                              "SCOPE_EVENT_LOGFILE=false\n"
                              "SCOPE_EVENT_CONSOLE=false\n"
                              "SCOPE_EVENT_NET=false\n"
                              "SCOPE_EVENT_FS=false\n"
                              "SCOPE_EVENT_DNS=false\n"
                              "SCOPE_EVENT_HTTP=true\n");
}
END_TEST

START_TEST(good_nothing)
{
    static const char *const empty[] = {"", "# only a comment\n", "---\n", "--- ~\n",
                                        "metric:\n", "tags: ~\n", "metric: {format: }\n"};

    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ck_assert_int_eq(parse(empty[i]), 0);
        ck_assert_str_eq(y.lines, "");
        rep_yaml_free(&y);
    }
}
END_TEST

START_TEST(good_null_watch_turns_all_off)
{
    ck_assert_int_eq(parse("event: {watch: }\n"), 0);
    ck_assert_str_eq(y.lines, "SCOPE_EVENT_LOGFILE=false\nSCOPE_EVENT_CONSOLE=false\n"
                              "SCOPE_EVENT_NET=false\nSCOPE_EVENT_FS=false\n"
                              "SCOPE_EVENT_DNS=false\nSCOPE_EVENT_HTTP=false\n");
}
END_TEST

START_TEST(bad_keys)
{
    bad("metric:\n  colour: red\n", "t.yml:2: key metric.colour: unknown key");
    bad("payload:\n  enable: false\n", "t.yml:1: key payload: unknown key");
    bad("metric:\n  enable: true\n  enable: false\n", "t.yml:3: key metric.enable: given twice");
    bad("tags:\n  a: 1\n  a: 2\n", "t.yml:3: key tags.a: given twice");
    bad("metric:\n  [a]: 1\n", "t.yml:2: key metric: a key must be a name, found a list");
    bad("tags: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}\n",
        "t.yml:1: key tags.i: more than 8 tags");
}
END_TEST

START_TEST(bad_types)
{
    bad("- metric\n", "t.yml:1: expected a mapping, found a list");
    bad("metric: 3\n", "t.yml:1: key metric: expected a mapping, found a value");
    bad("metric:\n  enable: [true]\n",
        "t.yml:2: key metric.enable: expected a value, found a list");
    bad("metric:\n  format:\n    verbosity: high\n",
        "t.yml:3: key metric.format.verbosity: SCOPE_METRIC_VERBOSITY=\"high\" is not "
        "a number from 0 to 9");
    bad("metric: {enable: yes}\n",
        "t.yml:1: key metric.enable: SCOPE_METRIC_ENABLE=\"yes\" is not true or false");
    bad("event: {format: {type: xml}}\n", "t.yml:1: key event.format.type: only ndjson is supported");
    bad("event: {watch: {type: fs}}\n", "t.yml:1: key event.watch: expected a list, found a mapping");
}
END_TEST

START_TEST(bad_huge_values)
{
    char *big = malloc(6000);

    bad("metric: {format: {statsdmaxlen: 99999999999999999999999}}\n",
        "t.yml:1: key metric.format.statsdmaxlen: SCOPE_STATSD_MAXLEN="
        "\"99999999999999999999999\" is not a number of bytes from 64 to 65507");
    memcpy(big, "tags: {a: ", 10);
    memset(big + 10, 'x', 5000);
    strcpy(big + 5010, "}\n");
    bad(big, "t.yml:1: key tags.a: value longer than 4000 bytes");
    bad("metric: {format: {statsdprefix: \"a\\nb\"}}\n",
        "t.yml:1: key metric.format.statsdprefix: control characters (newlines, tabs, ...) "
        "are not allowed in a value");
    free(big);
}
END_TEST

START_TEST(bad_transports)
{
    bad("metric:\n  transport:\n    type: udp\n    host: h\n",
        "t.yml:2: key metric.transport: type udp takes host and port (and no path)");
    bad("event: {transport: {type: file, path: relative/out}}\n",
        "t.yml:1: key event.transport: destination \"file://relative/out\" must name an "
        "absolute path (file:///abs/path)");
    bad("event: {transport: {type: http, host: h, port: 80}}\n",
        "t.yml:1: key event.transport: type \"http\" is not udp, tcp, unix or file");
    bad("event: {transport: {path: /x}}\n",
        "t.yml:1: key event.transport: type is missing (udp, tcp, unix or file)");
    bad("event: {transport: {type: tcp, host: h, port: 99999}}\n",
        "t.yml:1: key event.transport: destination \"tcp://h:99999\" must be host:port with "
        "a port from 1 to 65535");
    bad("event: {transport: {type: tcp, host: h, port: 1, tls: {enable: true}}}\n",
        "t.yml:1: key event.transport.tls: unknown key");
}
END_TEST

START_TEST(bad_watch)
{
    bad("event:\n  watch:\n    - type: smtp\n",
        "t.yml:3: key event.watch[0]: type \"smtp\" is not one scope has (file, console, "
        "net, fs, dns, http)");
    bad("event:\n  watch:\n    - type: fs\n    - type: fs\n",
        "t.yml:4: key event.watch[1]: type fs is listed twice");
    bad("event:\n  watch:\n    - name: x\n",
        "t.yml:3: key event.watch[0]: type is missing (file, console, net, fs, dns or http)");
    bad("event:\n  watch:\n    - type: net\n      value: ^GET\n",
        "t.yml:4: key event.watch[0].value: only .* is supported: scope filters events by "
        "name only");
    bad("event:\n  watch:\n    - type: fs\n      allowbinary: true\n",
        "t.yml:4: key event.watch[0].allowbinary: applies to type console only");
    bad("event:\n  watch:\n    - type: net\n      headers: x-id\n",
        "t.yml:4: key event.watch[0].headers: applies to type http only");
    bad("event:\n  watch:\n    - type: fs\n      name: '(a'\n",
        "t.yml:4: key event.watch[0].name: SCOPE_EVENT_FS_NAME=\"(a\" is not a valid regular "
        "expression");
    bad("event:\n  watch:\n    - type: dns\n      name: (a)\\1\n",
        "t.yml:4: key event.watch[0].name: SCOPE_EVENT_DNS_NAME=\"(a)\\1\" is not a regular "
        "expression without backreferences whose repetitions ({m,n} bounds, 2 for each +) "
        "multiply to 10000 at most");
}
END_TEST

START_TEST(bad_yaml)
{
    bad("metric: [\n", "t.yml:1: key metric: expected a mapping, found a list\n"
        "t.yml:2: YAML syntax error: did not find expected node content while parsing a "
        "flow node");
    bad("metric: {enable: true}\n---\nevent: {}\n", "t.yml:2: a second YAML document: only "
        "one is read");
    bad("a: &x 1\nb: *x\n", "t.yml:1: key a: unknown key\nt.yml:2: aliases (*name) are not "
        "supported");
}
END_TEST

/* ---- hostile input: an error, fast, whatever the input ------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(hostile_deep_nesting)
{
    size_t n = 100000;
    char *text = malloc(n + 1);
    struct timespec t0;

    memset(text, '[', n);
    text[n] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(rep_yaml_parse(&y, "t.yml", text, n), 2);
    ck_assert_str_eq(y.errors, "t.yml:1: expected a mapping, found a list\n"
                               "t.yml:1: nested deeper than 16 levels\n");
    ck_assert(seconds_since(&t0) < 1.0);
    free(text);
}
END_TEST

START_TEST(hostile_alias_bomb)
{
    const char *bomb = "tags:\n"
                       "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";

    ck_assert_int_eq(parse(bomb), 3);
    ck_assert_str_eq(y.errors, "t.yml:2: key tags.a: expected a value, found a list\n"
                               "t.yml:3: key tags.b: expected a value, found a list\n"
                               "t.yml:3: aliases (*name) are not supported\n");
}
END_TEST

START_TEST(hostile_bytes)
{
    static const char nul[] = "metric:\0\n  enable: true\n";
    static const char invalid_utf8[] = "tags: {a: \"\xff\xfe\"}\n";

    ck_assert_int_gt(rep_yaml_parse(&y, "t.yml", nul, sizeof nul - 1), 0);
    rep_yaml_free(&y);
    ck_assert_int_gt(parse(invalid_utf8), 0);
    rep_yaml_free(&y);
    ck_assert_int_gt(parse("\xef\xbb\xbfmetric: {enable: maybe}\n"), 0);  /* BOM ok */
    ck_assert_ptr_nonnull(strstr(y.errors, "is not true or false"));
}
END_TEST

START_TEST(hostile_regex)
{
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(parse("event: {watch: [{type: fs, name: '((a{255}){255}){255}'}]}\n"), 1);
    ck_assert(seconds_since(&t0) < 1.0);
    rep_yaml_free(&y);
    ck_assert_int_eq(parse("event: {watch: [{type: fs, name: 'E+++++++++++++++++++++++++++++++++++++++++++++++++++++++++'}]}\n"), 1);
    ck_assert(seconds_since(&t0) < 1.0);
    rep_yaml_free(&y);
    ck_assert_int_eq(parse("event: {watch: [{type: fs, name: '(a{100}){100}'}]}\n"), 0);
    rep_yaml_free(&y);
    ck_assert_int_eq(parse("event: {watch: [{type: fs, name: '^/var/log/.+[.]log$'}]}\n"), 0);
}
END_TEST

START_TEST(hostile_big_file)
{
    char path[] = "/tmp/test_rep_yaml_XXXXXX";
    int fd = mkstemp(path);
    char chunk[65536];

    ck_assert_int_ge(fd, 0);
    memset(chunk, '#', sizeof chunk);
    for (int i = 0; i < 160; i++)   /* 10 MiB of comment */
        ck_assert_int_eq(write(fd, chunk, sizeof chunk), (int)sizeof chunk);
    close(fd);
    ck_assert_int_eq(rep_yaml_read(&y, path), 1);
    ck_assert_ptr_nonnull(strstr(y.errors, ": larger than 1048576 bytes (10485760): not read"));
    rep_yaml_free(&y);
    ck_assert_int_eq(rep_yaml_read(&y, "/tmp"), 1);
    ck_assert_str_eq(y.errors, "/tmp: not a regular file\n");
    unlink(path);
}
END_TEST

/* ---- rep_config: the library's side ---------------------------------------- */

START_TEST(config_defaults_read_cleanly)
{
    struct rep_config c;
    char err[512] = "";

    memset(&c, 0, sizeof c);
    ck_assert_int_eq(rep_config_read(&c, rep_config_default_lines, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    rep_config_defaults(&c);
    ck_assert(c.ev_file && !c.ev_allow_binary && c.ev_fs && c.ev_console);
    ck_assert_str_eq(c.ev_file_name, "(\\/logs?\\/)|(\\.log$)|(\\.log[.\\d])");
    ck_assert_str_eq(c.ev_console_name, "(stdout)|(stderr)");
    ck_assert_str_eq(c.ev_net_name, ".*");
    ck_assert_str_eq(c.metric_dest, REP_DEFAULT_METRIC_DEST);
    ck_assert_uint_eq(c.period_s, 10);
}
END_TEST

START_TEST(config_later_tag_replaces)
{
    struct rep_config c;
    char err[512] = "";

    rep_config_defaults(&c);
    ck_assert_int_eq(rep_config_read(&c, "SCOPE_TAG_a=1\nSCOPE_TAG_b=2\nSCOPE_TAG_a=3\n",
                                     err, sizeof err), 0);
    ck_assert_uint_eq(c.ntags, 2);
    ck_assert_str_eq(c.tags[0].name, "a");
    ck_assert_str_eq(c.tags[0].value, "3");
}
END_TEST

/* Preloaded: defaults < SCOPE_CONF_PATH's file < environment. */
START_TEST(config_load_precedence)
{
    char path[] = "/tmp/test_rep_yaml_XXXXXX", err[1024];
    int fd = mkstemp(path);
    const char *text = "metric: {format: {verbosity: 7, type: ndjson}}\nlibscope: {summaryperiod: 2}\n";
    struct rep_config c;

    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    setenv("SCOPE_CONF_PATH", path, 1);
    setenv("SCOPE_METRIC_VERBOSITY", "1", 1);
    ck_assert_int_eq(rep_config_load(&c, NULL, err, sizeof err), 0);
    ck_assert_int_eq(c.verbosity, 1);
    ck_assert_int_eq(c.metric_format, REP_FORMAT_NDJSON);
    ck_assert_uint_eq(c.period_s, 2);
    ck_assert_uint_eq(c.statsd_maxlen, 512);

    /* A bad file is ignored as a whole, with the reason. */
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "libscope: {summaryperiod: 2, bogus: 1}\n", 39), 39);
    close(fd);
    ck_assert_int_eq(rep_config_load(&c, NULL, err, sizeof err), 1);
    ck_assert_uint_eq(c.period_s, 10);
    ck_assert_ptr_nonnull(strstr(err, ":1: key libscope.bogus: unknown key; "));
    ck_assert_ptr_nonnull(strstr(err, " is ignored"));

    /* A block (attach) is all there is: no file is looked for. */
    ck_assert_int_eq(rep_config_load(&c, "SCOPE_SUMMARY_PERIOD=4\n", err, sizeof err), 0);
    ck_assert_uint_eq(c.period_s, 4);
    ck_assert_int_eq(c.verbosity, 4);

    unlink(path);
    ck_assert_int_eq(rep_config_load(&c, NULL, err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
    unsetenv("SCOPE_CONF_PATH");
    unsetenv("SCOPE_METRIC_VERBOSITY");
}
END_TEST

static Suite *rep_yaml_suite(void)
{
    Suite *s = suite_create("rep_yaml");
    TCase *good = tcase_create("good");
    TCase *bad_tc = tcase_create("bad");
    TCase *hostile = tcase_create("hostile");
    TCase *config = tcase_create("config");

    tcase_add_checked_fixture(good, NULL, teardown);
    tcase_add_test(good, good_block_layout);
    tcase_add_test(good, good_watch_list);
    tcase_add_test(good, good_watch_http);
    tcase_add_test(good, good_nothing);
    tcase_add_test(good, good_null_watch_turns_all_off);
    suite_add_tcase(s, good);
    tcase_add_checked_fixture(bad_tc, NULL, teardown);
    tcase_add_test(bad_tc, bad_keys);
    tcase_add_test(bad_tc, bad_types);
    tcase_add_test(bad_tc, bad_huge_values);
    tcase_add_test(bad_tc, bad_transports);
    tcase_add_test(bad_tc, bad_watch);
    tcase_add_test(bad_tc, bad_yaml);
    suite_add_tcase(s, bad_tc);
    tcase_add_checked_fixture(hostile, NULL, teardown);
    tcase_add_test(hostile, hostile_deep_nesting);
    tcase_add_test(hostile, hostile_alias_bomb);
    tcase_add_test(hostile, hostile_bytes);
    tcase_add_test(hostile, hostile_regex);
    tcase_add_test(hostile, hostile_big_file);
    suite_add_tcase(s, hostile);
    tcase_add_test(config, config_defaults_read_cleanly);
    tcase_add_test(config, config_later_tag_replaces);
    tcase_add_test(config, config_load_precedence);
    suite_add_tcase(s, config);
    return s;
}

int main(void)
{
    return check_suite_run(rep_yaml_suite());
}
