/* test_paths.c: an absolute path as ip_path_resolve names it (ip_paths.c):
 * ".", ".." and repeated slashes taken out, lexically. A path that is
 * normal already is copied whole after a word-at-a-time look for "//"
 * and "/."; these tests hold every answer to that of a plain normalizer,
 * a component at a time, on the lengths where the look's windows meet
 * and on many random paths made of the bytes that matter. */
#include "check_suite.h"

#include "ip_paths.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define OUT_MAX 256

/* The reference: components of the absolute path, "." skipped, ".."
 * taking the last one off; "/" when none is left. */
static void normalize(const char *path, char *out)
{
    size_t len = 0;

    for (const char *s = path; *s;) {
        while (*s == '/')
            s++;
        size_t k = strcspn(s, "/");
        if (k == 0 || (k == 1 && s[0] == '.')) {
            s += k;
            continue;
        }
        if (k == 2 && s[0] == '.' && s[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else {
            out[len++] = '/';
            memcpy(out + len, s, k);
            len += k;
        }
        s += k;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
}

static void check_path(const char *path)
{
    char got[OUT_MAX], want[OUT_MAX];

    ck_assert_int_eq(ip_path_resolve(got, sizeof got, AT_FDCWD, path), IP_RESOLVED);
    normalize(path, want);
    ck_assert_msg(strcmp(got, want) == 0, "%s: %s, not %s", path, got, want);
}

START_TEST(named_cases)
{
    static const char *const paths[] = {
        "/", "//", "/.", "/..", "/a", "/a/", "/a/.", "/a/..", "/.a", "/..a", "/a.",
        "/tmp/file", "/tmp/fil/", "/tmp/fil.", "/tmp//fil", "/tmp/./fi", "/tmp/../f",
        "/usr/share/nginx/html/index.html", "/home/u/.config/app", "/home/u/..x/y",
        "/a/b/c/d/e/f/g/h/i/j", "/aaaaaaa/.", "/aaaaaaa//", "/aaaaaaaa/..",
        "/aaaaaaaaaaaaaaa/.", "/aaaaaaaaaaaaaaaa/.b", "/aaaaaaaaaaaaaaa//b",
        "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", "/x/aaaaaaaaaaaaaaaaaaaaaaaaaa/../y",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        check_path(paths[i]);
}
END_TEST

/* A "//" or "/." at each place of a path of each length from 1 to 40:
 * the start, the middle and the end of every eight-byte window. */
START_TEST(a_mark_at_every_place)
{
    static const char *const marks[] = { "//", "/.", "/..", "/./", "/../" };
    char path[64];

    for (size_t n = 1; n <= 40; n++)
        for (size_t at = 0; at + 1 < n; at++)
            for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
                size_t k = strlen(marks[m]);
                if (at + k > n)
                    continue;
                memset(path, 'a', n);
                path[0] = '/';
                memcpy(path + at, marks[m], k);
                path[n] = '\0';
                check_path(path);
            }
}
END_TEST

START_TEST(random_paths)
{
    static const char bytes[] = "/./ab";
    uint32_t x = 0x9e3779b9u;
    char path[48];

    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t n = 1 + x % (sizeof path - 1);
        path[0] = '/';
        for (size_t j = 1; j < n; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            path[j] = bytes[x % (sizeof bytes - 1)];
        }
        path[n] = '\0';
        check_path(path);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("paths");

    tcase_add_test(tc, named_cases);
    tcase_add_test(tc, a_mark_at_every_place);
    tcase_add_test(tc, random_paths);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
