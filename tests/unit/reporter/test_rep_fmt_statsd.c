/* test_rep_fmt_statsd.c: Check tests for reporter/rep_fmt_statsd.c (the
 * StatsD half of rep_fmt.h).
 *
 * Golden StatsD lines for every metric type, prefix, tag and delimiter
 * rule, a container's identity in every format, and rep_fmt_statsd_trim
 * dropping whole tags at every length limit. The JSON formats, escaping,
 * number printing and the buffer-fit guarantee are in test_rep_fmt.c.
 */
#include "rep_fmt_fixture.h"

#include "check_suite.h"
#include <string.h>

START_TEST(statsd_counter_bare)
{
    struct rep_metric m = { .name = "fs.open", .type = REP_COUNTER,
                            .value = 1 };

    ck_assert_str_eq(statsd(NULL, NULL, &m), "fs.open:1|c\n");
    ck_assert_str_eq(statsd("", NULL, &m), "fs.open:1|c\n");
}
END_TEST

START_TEST(statsd_counter_unit_only)
{
    struct rep_metric m = { .name = "fs.read", .type = REP_COUNTER,
                            .value = 4096, .unit = "byte" };

    ck_assert_str_eq(statsd(NULL, NULL, &m), "fs.read:4096|c|#unit:byte\n");
}
END_TEST

START_TEST(statsd_counter_ident_prefix)
{
    struct rep_field tags[] = {
        REP_FIELD_STR("file", "/tmp/out"),
        REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "write"),
        REP_FIELD_INT("numops", 2),
    };
    struct rep_metric m = { .name = "fs.write", .type = REP_COUNTER,
                            .value = 8192, .unit = "byte", .tags = tags,
                            .ntags = 4, .summary = true };

    ck_assert_str_eq(statsd("scope.", &ident, &m),
        "scope.fs.write:8192|c|#file:/tmp/out,fd:3,op:write,numops:2,"
        "proc:dd,pid:4242,host:box,unit:byte\n");
}
END_TEST

START_TEST(statsd_gauge)
{
    struct rep_metric m = { .name = "proc.fd", .type = REP_GAUGE,
                            .value = 12, .unit = "file" };

    ck_assert_str_eq(statsd(NULL, &ident, &m),
                     "proc.fd:12|g|#proc:dd,pid:4242,host:box,unit:file\n");
}
END_TEST

START_TEST(statsd_histogram)
{
    struct rep_field tags[] = { REP_FIELD_STR("op", "read") };
    struct rep_metric m = { .name = "fs.duration", .type = REP_HISTOGRAM,
                            .value = 16.5, .unit = "microsecond",
                            .tags = tags, .ntags = 1 };

    ck_assert_str_eq(statsd("app.", NULL, &m),
                     "app.fs.duration:16.5|h|#op:read,unit:microsecond\n");
}
END_TEST

START_TEST(statsd_timer)
{
    struct rep_field tags[] = { REP_FIELD_DBL("ratio", 0.25) };
    struct rep_metric m = { .name = "net.duration", .type = REP_TIMER,
                            .value = 250, .unit = "millisecond",
                            .tags = tags, .ntags = 1 };

    ck_assert_str_eq(statsd(NULL, &ident, &m),
        "net.duration:250|ms|#ratio:0.25,proc:dd,pid:4242,host:box,"
        "unit:millisecond\n");
}
END_TEST

/* A timer that stands for more calls than it was sent for: the daemon
 * counts 1/rate calls for it. A rate of 1 or none writes nothing. */
START_TEST(statsd_sample_rate)
{
    struct rep_metric m = { .name = "scope.fs.duration", .type = REP_TIMER, .value = 1.5,
                            .sample_rate = 0.0625 };

    ck_assert_str_eq(statsd(NULL, NULL, &m), "scope.fs.duration:1.5|ms|@0.0625\n");
    m.sample_rate = 1;
    ck_assert_str_eq(statsd(NULL, NULL, &m), "scope.fs.duration:1.5|ms\n");
}
END_TEST

START_TEST(statsd_delimiters_in_values)
{
    struct rep_ident odd = ident;
    struct rep_field tags[] = {
        REP_FIELD_STR("file", "a,b|c:d#e\nf\rg\x01h"),
    };
    struct rep_metric m = { .name = "fs.open", .type = REP_COUNTER,
                            .value = 1, .tags = tags, .ntags = 1 };

    strcpy(odd.proc, "my:proc");
    strcpy(odd.host, "h#1");
    ck_assert_str_eq(statsd(NULL, &odd, &m),
        "fs.open:1|c|#file:a_b_c_d_e_f_g_h,proc:my_proc,pid:4242,"
        "host:h_1\n");
}
END_TEST

/* A process in a container: both pids and the container's id, in StatsD
 * tags, NDJSON metrics and event bodies; the host pid left out where it
 * is the pid (a fork child's is unknown: 0). */
START_TEST(container_ident)
{
    struct rep_ident in = ident;
    struct rep_metric m = { .name = "fs.open", .type = REP_COUNTER, .value = 1 };

    in.pid = 7;
    in.host_pid = 4242;
    strcpy(in.container_id, "abc123");
    ck_assert_str_eq(statsd(NULL, &in, &m),
        "fs.open:1|c|#proc:dd,pid:7,host_pid:4242,container_id:abc123,host:box\n");
    ck_assert_uint_ne(rep_fmt_metric_json(line, sizeof line, &in, &m, 0.5), 0);
    ck_assert_msg(strstr(line, "\"pid\":7,\"host_pid\":4242,\"container_id\":\"abc123\","),
                  "%s", line);
    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, json_of(&in), "fs", "fs.open", 0.5,
                                         NULL, 0), 0);
    ck_assert_msg(strstr(line, "\"pid\":7,\"host_pid\":4242,\"container_id\":\"abc123\","),
                  "%s", line);
    in.host_pid = 0;
    in.container_id[0] = '\0';
    ck_assert_str_eq(statsd(NULL, &in, &m), "fs.open:1|c|#proc:dd,pid:7,host:box\n");
}
END_TEST

/* rep_fmt_statsd_trim on a copy of text; the result as a string. */
static const char *trimmed(const char *text, size_t maxlen)
{
    static char out[512];
    size_t n = strlen(text);

    memcpy(out, text, n);
    n = rep_fmt_statsd_trim(out, n, maxlen);
    out[n] = '\0';
    return out;
}

START_TEST(trim_fits_untouched)
{
    const char *l = "fs.read:10|c|#file:/a,unit:byte\n";
    ck_assert_str_eq(trimmed(l, strlen(l)), l);
    ck_assert_str_eq(trimmed(l, 512), l);
}
END_TEST

START_TEST(trim_drops_whole_tags_from_the_end)
{
    const char *l = "fs.read:10|c|#file:/a,proc:p,unit:byte\n";
    ck_assert_str_eq(trimmed(l, strlen(l) - 1), "fs.read:10|c|#file:/a,proc:p\n");
    ck_assert_str_eq(trimmed(l, 29), "fs.read:10|c|#file:/a,proc:p\n");
    ck_assert_str_eq(trimmed(l, 28), "fs.read:10|c|#file:/a\n");
    ck_assert_str_eq(trimmed(l, 22), "fs.read:10|c|#file:/a\n");
    ck_assert_str_eq(trimmed(l, 21), "fs.read:10|c\n");
}
END_TEST

START_TEST(trim_keeps_name_and_value)
{
    ck_assert_str_eq(trimmed("a.very.long.name:123456|c|#k:v\n", 5),
                     "a.very.long.name:123456|c\n");
    ck_assert_str_eq(trimmed("a.very.long.name:123456|c\n", 5),
                     "a.very.long.name:123456|c\n");
}
END_TEST

/* Whatever the limit, the result is a prefix of whole tags, ends in one
 * newline, and fits unless the untagged line alone does not. */
START_TEST(trim_every_limit)
{
    const char *l = "fs.write:4096|c|#file:/var/log/x.log,proc:dd,pid:77,host:h,unit:byte\n";
    size_t bare = strlen("fs.write:4096|c\n");

    for (size_t max = 1; max <= strlen(l) + 1; max++) {
        const char *t = trimmed(l, max);
        size_t n = strlen(t);
        ck_assert_uint_le(n, max > bare ? max : bare);
        ck_assert_int_eq(t[n - 1], '\n');
        ck_assert_int_eq(strncmp(t, l, n - 1), 0);
        ck_assert(l[n - 1] == ',' || l[n - 1] == '|' || l[n - 1] == '\n');
    }
}
END_TEST

static Suite *rep_fmt_statsd_suite(void)
{
    Suite *s = suite_create("rep_fmt_statsd");
    TCase *statsd_tc = tcase_create("statsd");
    TCase *trim_tc = tcase_create("statsd_trim");

    tcase_add_test(statsd_tc, statsd_counter_bare);
    tcase_add_test(statsd_tc, statsd_counter_unit_only);
    tcase_add_test(statsd_tc, statsd_counter_ident_prefix);
    tcase_add_test(statsd_tc, statsd_gauge);
    tcase_add_test(statsd_tc, statsd_histogram);
    tcase_add_test(statsd_tc, statsd_timer);
    tcase_add_test(statsd_tc, statsd_sample_rate);
    tcase_add_test(statsd_tc, statsd_delimiters_in_values);
    tcase_add_test(statsd_tc, container_ident);
    suite_add_tcase(s, statsd_tc);

    tcase_add_test(trim_tc, trim_fits_untouched);
    tcase_add_test(trim_tc, trim_drops_whole_tags_from_the_end);
    tcase_add_test(trim_tc, trim_keeps_name_and_value);
    tcase_add_test(trim_tc, trim_every_limit);
    suite_add_tcase(s, trim_tc);
    return s;
}

int main(void)
{
    return check_suite_run(rep_fmt_statsd_suite());
}
