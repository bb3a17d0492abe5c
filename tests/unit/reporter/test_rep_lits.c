/* test_rep_lits.c: Check tests for reporter/rep_lits.c.
 *
 * The literals found for the default log file pattern and for the shapes
 * the analysis must see through; patterns it must give up on; and, for a
 * set of patterns against every path made of a few pieces, that no path
 * regexec matches is rejected by the literals (the filter may say "maybe"
 * too often, never "no" wrongly).
 */
#include "rep_config.h"
#include "rep_lits.h"

#include "check_suite.h"
#include <regex.h>
#include <stdio.h>
#include <string.h>

static void lits_are(const char *re, unsigned n, const char *const *want)
{
    struct rep_lits l;

    ck_assert_msg(rep_lits_of(re, &l), "no literals for %s", re);
    ck_assert_uint_eq(l.n, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_str_eq(l.lit[i], want[i]);
}

START_TEST(default_log_pattern)
{
    struct rep_lits l;

    lits_are(REP_DEFAULT_LOGFILE_NAME, 1, (const char *[]){ "log" });
    rep_lits_of(REP_DEFAULT_LOGFILE_NAME, &l);
    ck_assert(!rep_lits_may_match(&l, "/tmp/scope-bench/micro.data"));
    ck_assert(!rep_lits_may_match(&l, ""));
    ck_assert(rep_lits_may_match(&l, "/var/log/syslog"));
    ck_assert(rep_lits_may_match(&l, "app.log.1"));
}
END_TEST

START_TEST(shapes)
{
    lits_are("\\.txt$", 1, (const char *[]){ ".txt" });
    lits_are("ab?cdef", 1, (const char *[]){ "cdef" });       /* b may be absent */
    lits_are("xy+zw", 1, (const char *[]){ "xy" });           /* y may repeat */
    lits_are("a(bcd)e", 1, (const char *[]){ "abcde" });      /* a group is flattened */
    lits_are("q(bcd)+e", 1, (const char *[]){ "qbcd" });
    lits_are("a(b|c)de", 1, (const char *[]){ "de" });        /* alternatives end a run */
    lits_are("[a-z]+\\.csv", 1, (const char *[]){ ".csv" });
    lits_are("ab{2,3}cd", 1, (const char *[]){ "cd" });
    lits_are("foo|bar", 2, (const char *[]){ "foo", "bar" });
    lits_are("\\<access|error\\>", 2, (const char *[]){ "access", "error" });
    lits_are("(/var/xlogs/)|(\\.xlog$)", 1, (const char *[]){ "xlog" });
}
END_TEST

/* Patterns that may match a text with no literal in it: no filter. */
START_TEST(gives_up)
{
    static const char *const res[] = {
        "", ".*", "a|", "(ab|cd)", "[abc]", "a?", "x*", "\\w+", "^$", "a{0,2}",
        "a|b|c|d|e", "*a", "(unclosed", "[unclosed", "\\",
    };
    for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
        struct rep_lits l = { .n = 7 };
        ck_assert_msg(!rep_lits_of(res[i], &l), "literals for %s", res[i]);
        ck_assert_uint_eq(l.n, 0);
        ck_assert(rep_lits_may_match(&l, "anything"));
    }
}
END_TEST

/* Every string of up to DEPTH pieces. */
static const char *const pieces[] = { "log", "/", ".", "a", "b", "c", "s", "1", "x", "txt",
                                      "de", "<" };
#define NPIECES (sizeof pieces / sizeof *pieces)
#define DEPTH 4

static unsigned sound_checks;

static void paths_check(const regex_t *re, const struct rep_lits *l, const char *pat,
                        char *buf, size_t len, int depth)
{
    buf[len] = '\0';
    if (regexec(re, buf, 0, NULL, 0) == 0) {
        ck_assert_msg(rep_lits_may_match(l, buf), "%s matches '%s', the literals say no",
                      pat, buf);
        sound_checks++;
    }
    if (depth == DEPTH)
        return;
    for (size_t i = 0; i < NPIECES; i++) {
        size_t n = strlen(pieces[i]);
        memcpy(buf + len, pieces[i], n);
        paths_check(re, l, pat, buf, len + n, depth + 1);
    }
}

START_TEST(never_rejects_a_match)
{
    static const char *const res[] = {
        REP_DEFAULT_LOGFILE_NAME, "\\.log$", "a(bc)+", "ab?c", "lo+g", "(log)+x",
        "x(a|b)c", "[a-c]+\\.txt", "s{1,2}log", "\\<log", "^/log", "1|de", "log\\.1",
        "a(b(c)?)s", "(\\/logs?\\/)", "(\\.log[.\\d])", "l(o)g", "ab+c", "ab{1,2}c",
        "a(b)?c", "a(bc)*s",
    };
    char buf[64];

    for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
        regex_t re;
        struct rep_lits l;
        ck_assert_int_eq(regcomp(&re, res[i], REG_EXTENDED | REG_NOSUB), 0);
        rep_lits_of(res[i], &l);
        paths_check(&re, &l, res[i], buf, 0, 0);
        regfree(&re);
    }
    ck_assert_uint_gt(sound_checks, 1000);      /* the paths did match */
}
END_TEST

static Suite *rep_lits_suite(void)
{
    Suite *s = suite_create("rep_lits");
    TCase *tc = tcase_create("lits");

    tcase_add_test(tc, default_log_pattern);
    tcase_add_test(tc, shapes);
    tcase_add_test(tc, gives_up);
    tcase_add_test(tc, never_rejects_a_match);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_suite_run(rep_lits_suite());
}
