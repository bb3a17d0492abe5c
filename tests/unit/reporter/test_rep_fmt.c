/* test_rep_fmt.c: Check tests for reporter/rep_fmt_*.c (the API in rep_fmt.h).
 *
 * Golden NDJSON metric and event lines, the JSON string escaping rules,
 * the text and nested-object formats, number printing, and the whole-line
 * guarantee at every buffer size around the exact fit (heap buffers of
 * exactly `cap` bytes, so ASan sees any overflow when SCOPE_SANITIZE is
 * on), every byte escaped wherever it stands, the identity escaped once.
 * StatsD's golden lines and trimming are in test_rep_fmt_statsd.c.
 */
#include "rep_fmt_fixture.h"

#include "check_suite.h"
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *metric_json(const struct rep_metric *m, double time)
{
    ck_assert_uint_ne(rep_fmt_metric_json(line, sizeof line, &ident, m, time),
                      0);
    return line;
}

/* "x:<value>|g\n" with the line end and the frame cut off */
static const char *value_text(double v)
{
    struct rep_metric m = { .name = "x", .type = REP_GAUGE, .value = v };
    size_t n = rep_fmt_statsd(line, sizeof line, NULL, NULL, &m);

    ck_assert_uint_gt(n, 5);
    ck_assert_str_eq(line + n - 3, "|g\n");
    line[n - 3] = '\0';
    return line + 2;
}

/* The JSON string that a console event carries for message `s` (n bytes);
 * ESCAPED() takes a literal, embedded NULs included. */
#define ESCAPED(lit) escaped((lit), sizeof(lit) - 1)

static const char *escaped(const char *s, size_t n)
{
    static const char head[] = "\"data\":{\"message\":";
    struct rep_field f = REP_FIELD_STRN("message", s, n);
    size_t len = rep_fmt_event_json(line, sizeof line, json_of(&ident), "console",
                                    "stdout", 1.0, &f, 1);
    char *p = strstr(line, head);

    ck_assert_uint_ne(len, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(line + len - 4, "}}}\n");
    line[len - 4] = '\0';
    return p + sizeof head - 1;
}

START_TEST(metric_json_per_file)
{
    struct rep_field tags[] = {
        REP_FIELD_STR("file", "/etc/passwd"),
        REP_FIELD_INT("fd", 3),
        REP_FIELD_STR("op", "read"),
        REP_FIELD_INT("numops", 1),
    };
    struct rep_metric m = { .name = "fs.read", .type = REP_COUNTER,
                            .value = 4096, .unit = "byte", .tags = tags,
                            .ntags = 4 };

    ck_assert_str_eq(metric_json(&m, 1643826292.076709),
        "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.read\","
        "\"_metric_type\":\"counter\",\"_value\":4096,"
        "\"file\":\"/etc/passwd\",\"fd\":3,\"op\":\"read\",\"numops\":1,"
        "\"proc\":\"dd\",\"pid\":4242,\"host\":\"box\",\"unit\":\"byte\","
        "\"_time\":1643826292.076709}}\n");
}
END_TEST

START_TEST(metric_json_summary)
{
    struct rep_metric m = { .name = "fs.duration", .type = REP_HISTOGRAM,
                            .value = 12.75, .unit = "microsecond",
                            .summary = true };

    ck_assert_str_eq(metric_json(&m, 1700000000.0),
        "{\"type\":\"metric\",\"body\":{\"_metric\":\"fs.duration\","
        "\"_metric_type\":\"histogram\",\"_value\":12.75,"
        "\"proc\":\"dd\",\"pid\":4242,\"host\":\"box\","
        "\"unit\":\"microsecond\",\"summary\":\"true\","
        "\"_time\":1700000000.000000}}\n");
}
END_TEST

START_TEST(metric_json_types_and_no_ident)
{
    struct rep_metric m = { .name = "a", .type = REP_GAUGE, .value = 1 };

    ck_assert_uint_ne(rep_fmt_metric_json(line, sizeof line, NULL, &m, 0.5),
                      0);
    ck_assert_str_eq(line, "{\"type\":\"metric\",\"body\":{\"_metric\":\"a\","
                     "\"_metric_type\":\"gauge\",\"_value\":1,"
                     "\"_time\":0.500000}}\n");
    m.type = REP_TIMER;
    ck_assert_ptr_nonnull(strstr(metric_json(&m, 0), "\"timer\""));
    m.type = REP_COUNTER;
    ck_assert_ptr_nonnull(strstr(metric_json(&m, 0), "\"counter\""));
}
END_TEST

START_TEST(event_json_fs_close)
{
    struct rep_field data[] = {
        REP_FIELD_STR("proc", "dd"),
        REP_FIELD_INT("pid", 4242),
        REP_FIELD_STR("host", "box"),
        REP_FIELD_STR("file", "out"),
        REP_FIELD_INT("file_write_bytes", 4096),
        REP_FIELD_INT("file_write_ops", 1),
        REP_FIELD_DBL("duration", 0.125),
        REP_FIELD_STR("op", "close"),
    };

    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, json_of(&ident), "fs",
                                         "fs.close", 1643735835.4550021,
                                         data, 8), 0);
    ck_assert_str_eq(line,
        "{\"type\":\"evt\",\"id\":\"box-dd-dd if=/dev/zero of=out bs=4k "
        "count=1\",\"_channel\":\"123456789\",\"body\":{\"sourcetype\":"
        "\"fs\",\"_time\":1643735835.455002,\"source\":\"fs.close\","
        "\"host\":\"box\",\"proc\":\"dd\",\"cmd\":\"dd if=/dev/zero of=out "
        "bs=4k count=1\",\"pid\":4242,\"data\":{\"proc\":\"dd\","
        "\"pid\":4242,\"host\":\"box\",\"file\":\"out\","
        "\"file_write_bytes\":4096,\"file_write_ops\":1,"
        "\"duration\":0.125,\"op\":\"close\"}}}\n");
}
END_TEST

START_TEST(event_json_no_ident_no_data)
{
    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, json_of(NULL), "console",
                                         "stderr", 2.0, NULL, 0), 0);
    ck_assert_str_eq(line,
        "{\"type\":\"evt\",\"id\":\"--\",\"_channel\":\"\",\"body\":{"
        "\"sourcetype\":\"console\",\"_time\":2.000000,\"source\":"
        "\"stderr\",\"host\":\"\",\"proc\":\"\",\"cmd\":\"\",\"pid\":0,"
        "\"data\":{}}}\n");
}
END_TEST

START_TEST(event_json_unterminated_ident)
{
    struct rep_ident full = ident;

    memset(full.channel, '7', sizeof full.channel);     /* no NUL */
    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, json_of(&full), "fs",
                                         "fs.open", 1, NULL, 0), 0);
    ck_assert_ptr_nonnull(strstr(line, "\"_channel\":\""
        "77777777777777777777777777777777\",\"body\""));
}
END_TEST

START_TEST(escape_quote_backslash)
{
    ck_assert_str_eq(ESCAPED("say \"hi\" C:\\dir/"),
                     "\"say \\\"hi\\\" C:\\\\dir/\"");
}
END_TEST

START_TEST(escape_controls)
{
    ck_assert_str_eq(ESCAPED("a\nb\tc\rd\be\ff"),
                     "\"a\\nb\\tc\\rd\\be\\ff\"");
    ck_assert_str_eq(ESCAPED("\x01\x1f\x7f"),
                     "\"\\u0001\\u001f\\u007f\"");
    ck_assert_str_eq(ESCAPED("a\0b"), "\"a\\u0000b\"");
}
END_TEST

START_TEST(escape_valid_utf8_passes)
{
    /* e-acute (2 bytes), euro sign (3), grinning face emoji (4) */
    ck_assert_str_eq(ESCAPED("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                     "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* the edges: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+10FFFF */
    ck_assert_str_eq(ESCAPED("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
                             "\xee\x80\x80\xf4\x8f\xbf\xbf"),
                     "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
                     "\xee\x80\x80\xf4\x8f\xbf\xbf\"");
}
END_TEST

START_TEST(escape_invalid_utf8_bytes)
{
    /* each byte not part of a valid sequence is one U+FFFD */
    ck_assert_str_eq(ESCAPED("a\xff" "b"), "\"a\\ufffdb\"");
    ck_assert_str_eq(ESCAPED("\x80\xbf"), "\"\\ufffd\\ufffd\"");
    /* overlong '/', UTF-16 surrogate, above U+10FFFF */
    ck_assert_str_eq(ESCAPED("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
    ck_assert_str_eq(ESCAPED("\xed\xa0\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(ESCAPED("\xf4\x90\x80\x80"),
                     "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* an emoji cut short by the end of the string, then by an ASCII byte */
    ck_assert_str_eq(ESCAPED("\xf0\x9f\x98"),
                     "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(ESCAPED("\xe2\x82x"), "\"\\ufffd\\ufffdx\"");
}
END_TEST

START_TEST(escape_keys_and_sources)
{
    struct rep_field f = REP_FIELD_INT("we\"ird", 1);

    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, json_of(&ident), "fs",
                                         "a\\b", 1, &f, 1), 0);
    ck_assert_ptr_nonnull(strstr(line, "\"source\":\"a\\\\b\""));
    ck_assert_ptr_nonnull(strstr(line, "{\"we\\\"ird\":1}"));
}
END_TEST

/* What one byte alone becomes in a JSON string. */
static void byte_escaped(unsigned char c, char *out)
{
    switch (c) {
    case '"':  strcpy(out, "\\\""); return;
    case '\\': strcpy(out, "\\\\"); return;
    case '\n': strcpy(out, "\\n"); return;
    case '\t': strcpy(out, "\\t"); return;
    case '\r': strcpy(out, "\\r"); return;
    case '\b': strcpy(out, "\\b"); return;
    case '\f': strcpy(out, "\\f"); return;
    }
    if (c >= 0x80)
        strcpy(out, "\\ufffd");       /* alone, no UTF-8 sequence */
    else if (c < 0x20 || c == 0x7f)
        sprintf(out, "\\u%04x", c);
    else
        sprintf(out, "%c", c);
}

/* Plain text is passed eight bytes at a time: every byte that is not
 * plain, at every place in a word and past the last whole word, is
 * still escaped. */
START_TEST(escape_every_byte_everywhere)
{
    char in[19], want[64], one[8];

    for (unsigned c = 0; c < 256; c++) {
        byte_escaped((unsigned char)c, one);
        for (size_t at = 0; at < sizeof in; at++) {
            memset(in, 'a', sizeof in);
            in[at] = (char)c;
            snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)at, in, one,
                     (int)(sizeof in - at - 1), in + at + 1);
            ck_assert_str_eq(escaped(in, sizeof in), want);
        }
    }
}
END_TEST

/* The identity is escaped once, into the pieces every event line and
 * the proc and host data fields take. */
START_TEST(ident_json_escaped)
{
    struct rep_ident odd = ident;
    struct rep_ident_json j;

    strcpy(odd.proc, "p\"q");
    strcpy(odd.cmd, "run \x01\xff");
    strcpy(odd.host, "h\\");
    rep_ident_json_make(&j, &odd);
    ck_assert_uint_ne(rep_fmt_event_json(line, sizeof line, &j, "fs", "fs.open", 1, NULL, 0), 0);
    ck_assert_ptr_nonnull(strstr(line, "\"id\":\"h\\\\-p\\\"q-run \\u0001\\ufffd\","));
    ck_assert_ptr_nonnull(strstr(line, ",\"host\":\"h\\\\\",\"proc\":\"p\\\"q\","
                                       "\"cmd\":\"run \\u0001\\ufffd\",\"pid\":4242,\"data\":{}"));
    ck_assert_uint_eq(j.proc_len, strlen("\"p\\\"q\""));
    ck_assert_int_eq(memcmp(j.proc, "\"p\\\"q\"", j.proc_len), 0);
    ck_assert_uint_eq(j.host_len, strlen("\"h\\\\\""));
    ck_assert_int_eq(memcmp(j.host, "\"h\\\\\"", j.host_len), 0);
}
END_TEST

START_TEST(values_integral)
{
    ck_assert_str_eq(value_text(0), "0");
    ck_assert_str_eq(value_text(-0.0), "0");
    ck_assert_str_eq(value_text(4096), "4096");
    ck_assert_str_eq(value_text(-17), "-17");
}
END_TEST

START_TEST(values_fractional)
{
    ck_assert_str_eq(value_text(0.5), "0.5");
    ck_assert_str_eq(value_text(1.25), "1.25");
    ck_assert_str_eq(value_text(-2.5), "-2.5");
    ck_assert_str_eq(value_text(0.1), "0.1");
    ck_assert_str_eq(value_text(3.14159265), "3.141593");
    ck_assert_str_eq(value_text(0.000001), "0.000001");
    ck_assert_str_eq(value_text(0.9999996), "1");
    ck_assert_str_eq(value_text(0.0000004), "0");
    ck_assert_str_eq(value_text(-0.0000004), "0");
    ck_assert_str_eq(value_text(123456789.5), "123456789.5");
}
END_TEST

START_TEST(values_not_finite)
{
    ck_assert_str_eq(value_text(NAN), "0");
    ck_assert_str_eq(value_text(INFINITY), "0");
    ck_assert_str_eq(value_text(-INFINITY), "0");
}
END_TEST

START_TEST(values_big)
{
    ck_assert_str_eq(value_text(9007199254740991.0), "9007199254740991");
    ck_assert_str_eq(value_text(9007199254740992.0), "9007199254740992");
    ck_assert_str_eq(value_text(-9007199254740994.0), "-9007199254740994");
    ck_assert_str_eq(value_text(1e18), "1000000000000000000");
    ck_assert_str_eq(value_text(1e20), "1e+20");
    ck_assert_str_eq(value_text(-1.5e300), "-1.5e+300");
    ck_assert_str_eq(value_text(9.9999999e20), "1e+21");
    ck_assert_str_eq(value_text(DBL_MAX), "1.797693e+308");
}
END_TEST

START_TEST(int_fields_extremes)
{
    struct rep_field tags[] = {
        REP_FIELD_INT("lo", LLONG_MIN),
        REP_FIELD_INT("hi", LLONG_MAX),
    };
    struct rep_metric m = { .name = "x", .type = REP_COUNTER, .value = 1,
                            .tags = tags, .ntags = 2 };

    ck_assert_str_eq(statsd(NULL, NULL, &m),
                     "x:1|c|#lo:-9223372036854775808,hi:9223372036854775807\n");
}
END_TEST

START_TEST(time_always_six_decimals)
{
    struct rep_metric m = { .name = "a", .type = REP_COUNTER, .value = 1 };

    ck_assert_ptr_nonnull(strstr(metric_json(&m, 1643826404.006381),
                                 "\"_time\":1643826404.006381}"));
    ck_assert_ptr_nonnull(strstr(metric_json(&m, 0),
                                 "\"_time\":0.000000}"));
    ck_assert_ptr_nonnull(strstr(metric_json(&m, NAN),
                                 "\"_time\":0.000000}"));
    ck_assert_ptr_nonnull(strstr(metric_json(&m, 1.9999999),
                                 "\"_time\":2.000000}"));
}
END_TEST

/* Formats the same line into heap buffers of every size from 0 to one past
 * the exact fit: anything short gets 0 and an empty string, never a
 * partial line or a write past `cap`. */
typedef size_t (*format_fn)(char *buf, size_t cap);

static void check_all_caps(format_fn fmt)
{
    size_t len = fmt(line, sizeof line);
    char want[sizeof line];

    ck_assert_uint_gt(len, 0);
    memcpy(want, line, len + 1);
    ck_assert_uint_eq(fmt(NULL, 0), 0);
    for (size_t cap = 1; cap <= len + 1; cap++) {
        char *buf = malloc(cap);
        size_t got;

        ck_assert_ptr_nonnull(buf);
        memset(buf, 'X', cap);
        got = fmt(buf, cap);
        if (cap <= len) {
            ck_assert_uint_eq(got, 0);
            ck_assert_int_eq(buf[0], '\0');
        } else {
            ck_assert_uint_eq(got, len);
            ck_assert_str_eq(buf, want);
        }
        free(buf);
    }
}

static size_t fit_statsd(char *buf, size_t cap)
{
    struct rep_field tags[] = { REP_FIELD_STR("file", "/tmp/a,b") };
    struct rep_metric m = { .name = "fs.write", .type = REP_COUNTER,
                            .value = 1.5, .unit = "byte", .tags = tags,
                            .ntags = 1 };

    return rep_fmt_statsd(buf, cap, "p.", &ident, &m);
}

static size_t fit_metric_json(char *buf, size_t cap)
{
    struct rep_field tags[] = { REP_FIELD_STR("file", "\"q\"\xff") };
    struct rep_metric m = { .name = "fs.read", .type = REP_COUNTER,
                            .value = 7, .unit = "byte", .tags = tags,
                            .ntags = 1, .summary = true };

    return rep_fmt_metric_json(buf, cap, &ident, &m, 1.5);
}

static size_t fit_event_json(char *buf, size_t cap)
{
    struct rep_field data[] = {
        REP_FIELD_STR("message", "\xf0\x9f\x98\x80 line\n"),
    };

    return rep_fmt_event_json(buf, cap, json_of(&ident), "console", "stdout", 3.25,
                              data, 1);
}

START_TEST(fit_every_cap_statsd)
{
    check_all_caps(fit_statsd);
}
END_TEST

START_TEST(fit_every_cap_metric_json)
{
    check_all_caps(fit_metric_json);
}
END_TEST

START_TEST(fit_every_cap_event_json)
{
    check_all_caps(fit_event_json);
}
END_TEST

/* ---- text or binary (console output) --------------------------------- */

#define IS_TEXT(lit) rep_fmt_is_text(lit, sizeof(lit) - 1)

START_TEST(text_plain_layout_colours_utf8)
{
    ck_assert(IS_TEXT("hello\tworld\r\n\f\b\v"));
    ck_assert(IS_TEXT("\033[1;31mred\033[0m"));
    ck_assert(IS_TEXT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    ck_assert(IS_TEXT(""));
}
END_TEST

START_TEST(text_binary_bytes)
{
    ck_assert(!IS_TEXT("a\0b"));
    ck_assert(!IS_TEXT("\001\002"));
    ck_assert(!IS_TEXT("\x7f"));
    ck_assert(!IS_TEXT("ok \xff ok"));
    ck_assert(!IS_TEXT("\xc0\x80"));              /* overlong NUL */
    ck_assert(!IS_TEXT("\xed\xa0\x80 surrogate"));
}
END_TEST

START_TEST(text_character_cut_at_an_edge)
{
    /* console text comes in 440-byte chunks: a character may straddle two */
    ck_assert(IS_TEXT("\x82\xac euro's tail"));        /* cut before */
    ck_assert(IS_TEXT("euro's head \xe2\x82"));        /* cut after */
    ck_assert(IS_TEXT("\x98\x80"));
    ck_assert(!IS_TEXT("\xe2\x82 then more"));         /* cut in the middle: no */
    ck_assert(!IS_TEXT("\x80\x80\x80\x80 four tails"));
}
END_TEST

START_TEST(object_json_nests)
{
    char inner[64], whole[128];
    struct rep_field in[] = { REP_FIELD_STR("type", "udp"), REP_FIELD_INT("port", 8125) };
    size_t n = rep_fmt_object_json(inner, sizeof inner, in, 2, false);

    ck_assert_str_eq(inner, "{\"type\":\"udp\",\"port\":8125}");
    ck_assert_uint_eq(n, strlen(inner));
    struct rep_field out[] = { { .key = "transport", .kind = REP_RAW, .s = inner, .len = n } };
    n = rep_fmt_object_json(whole, sizeof whole, out, 1, true);
    ck_assert_str_eq(whole, "{\"transport\":{\"type\":\"udp\",\"port\":8125}}\n");
    ck_assert_uint_eq(rep_fmt_object_json(inner, 10, in, 2, false), 0);
    ck_assert_str_eq(inner, "");
    ck_assert_uint_eq(rep_fmt_object_json(inner, sizeof inner, NULL, 0, false), 2);
    ck_assert_str_eq(inner, "{}");
}
END_TEST

static Suite *rep_fmt_suite(void)
{
    Suite *s = suite_create("rep_fmt");
    TCase *json_tc = tcase_create("json");
    TCase *escape_tc = tcase_create("escape");
    TCase *value_tc = tcase_create("values");
    TCase *fit_tc = tcase_create("fit");

    tcase_add_test(json_tc, metric_json_per_file);
    tcase_add_test(json_tc, metric_json_summary);
    tcase_add_test(json_tc, metric_json_types_and_no_ident);
    tcase_add_test(json_tc, event_json_fs_close);
    tcase_add_test(json_tc, event_json_no_ident_no_data);
    tcase_add_test(json_tc, event_json_unterminated_ident);
    suite_add_tcase(s, json_tc);

    tcase_add_test(escape_tc, escape_quote_backslash);
    tcase_add_test(escape_tc, escape_controls);
    tcase_add_test(escape_tc, escape_valid_utf8_passes);
    tcase_add_test(escape_tc, escape_invalid_utf8_bytes);
    tcase_add_test(escape_tc, escape_keys_and_sources);
    tcase_add_test(escape_tc, escape_every_byte_everywhere);
    tcase_add_test(json_tc, ident_json_escaped);
    suite_add_tcase(s, escape_tc);

    tcase_add_test(value_tc, values_integral);
    tcase_add_test(value_tc, values_fractional);
    tcase_add_test(value_tc, values_not_finite);
    tcase_add_test(value_tc, values_big);
    tcase_add_test(value_tc, int_fields_extremes);
    tcase_add_test(value_tc, time_always_six_decimals);
    suite_add_tcase(s, value_tc);

    tcase_add_test(escape_tc, text_plain_layout_colours_utf8);
    tcase_add_test(escape_tc, text_binary_bytes);
    tcase_add_test(escape_tc, text_character_cut_at_an_edge);
    tcase_add_test(json_tc, object_json_nests);

    tcase_add_test(fit_tc, fit_every_cap_statsd);
    tcase_add_test(fit_tc, fit_every_cap_metric_json);
    tcase_add_test(fit_tc, fit_every_cap_event_json);
    suite_add_tcase(s, fit_tc);
    return s;
}

int main(void)
{
    return check_suite_run(rep_fmt_suite());
}
