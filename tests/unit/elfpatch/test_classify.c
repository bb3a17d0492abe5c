/* test_classify.c: unit tests of ep_elf_classify(), on binaries the build
 * made for the purpose (see CMakeLists.txt beside this file).
 *
 * Run without arguments for every check that this machine can make. Run
 * with "elf32" for the 32-bit check alone: it exits 77 (ctest: skipped)
 * when gcc -m32 could not build the fixture, rather than pretend.
 */
#include "elfpatch.h"

#include "check_suite.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char why[512];

static enum ep_elf_kind classify(const char *path)
{
    memset(why, 'x', sizeof(why));
    return ep_elf_classify(path, why, sizeof(why));
}

/* The verdict's reason names the file, so an operator knows which one. */
static void assert_why_says(const char *path, const char *phrase)
{
    ck_assert_msg(strstr(why, path), "reason does not name %s: %s", path, why);
    ck_assert_msg(strstr(why, phrase), "reason lacks \"%s\": %s", phrase, why);
}

START_TEST(test_this_test_program_is_dynamic)
{
    ck_assert_int_eq(classify("/proc/self/exe"), EP_ELF_DYNAMIC);
    ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(test_system_program_is_dynamic)
{
    const char *ls = access("/bin/ls", R_OK) == 0 ? "/bin/ls" : "/usr/bin/ls";
    ck_assert_int_eq(classify(ls), EP_ELF_DYNAMIC);
}
END_TEST

/* Note 11: static programs make system calls directly, no GOT to patch. */
START_TEST(test_static_program_is_static)
{
    ck_assert_int_eq(classify(EP_FIX_STATIC), EP_ELF_STATIC);
    assert_why_says(EP_FIX_STATIC, "statically linked");
    ck_assert_msg(strstr(why, "cannot observe"), "%s", why);
}
END_TEST

/* Note 11: a static PIE has PT_DYNAMIC but no interpreter and no libc.so. */
START_TEST(test_static_pie_is_static)
{
    ck_assert_int_eq(classify(EP_FIX_STATIC_PIE), EP_ELF_STATIC);
    assert_why_says(EP_FIX_STATIC_PIE, "static PIE");
}
END_TEST

/* Note 11: Go without cgo. The fixture is the static program with an empty
 * .go.buildinfo section added by objcopy: the classifier judges by section
 * name, and no Go toolchain is installed to make a real one. */
START_TEST(test_go_program_without_cgo_is_go)
{
    ck_assert_int_eq(classify(EP_FIX_GO), EP_ELF_GO);
    assert_why_says(EP_FIX_GO, "Go program");
}
END_TEST

/* A Go program with cgo has an interpreter and calls libc: observable. */
START_TEST(test_go_program_with_cgo_is_dynamic)
{
    ck_assert_int_eq(classify(EP_FIX_GO_CGO), EP_ELF_DYNAMIC);
}
END_TEST

START_TEST(test_script_is_not_elf)
{
    ck_assert_int_eq(classify(EP_FIX_SCRIPT), EP_ELF_NOT_ELF);
    assert_why_says(EP_FIX_SCRIPT, "not an ELF");
}
END_TEST

/* An ELF that is no program (here a .o) is not ours to judge either. */
START_TEST(test_object_file_is_not_a_program)
{
    ck_assert_int_eq(classify(EP_FIX_OBJECT), EP_ELF_NOT_ELF);
    assert_why_says(EP_FIX_OBJECT, "object file");
}
END_TEST

START_TEST(test_missing_file_is_unreadable)
{
    const char *path = "/nonexistent/scope-elfpatch-test";
    ck_assert_int_eq(classify(path), EP_ELF_UNREADABLE);
    assert_why_says(path, strerror(ENOENT));
}
END_TEST

START_TEST(test_directory_is_unreadable)
{
    ck_assert_int_eq(classify("/"), EP_ELF_UNREADABLE);
    ck_assert_msg(strstr(why, strerror(EISDIR)), "%s", why);
}
END_TEST

START_TEST(test_reason_fits_a_short_buffer)
{
    char small[16];
    memset(small, 'x', sizeof(small));
    ck_assert_int_eq(ep_elf_classify(EP_FIX_STATIC, small, sizeof(small)),
                     EP_ELF_STATIC);
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
    ck_assert_int_eq(ep_elf_classify(EP_FIX_STATIC, NULL, 0), EP_ELF_STATIC);
}
END_TEST

#ifdef EP_FIX_32BIT
START_TEST(test_32bit_program_is_32bit)
{
    ck_assert_int_eq(classify(EP_FIX_32BIT), EP_ELF_32BIT);
    assert_why_says(EP_FIX_32BIT, "32-bit");
}
END_TEST
#endif

static Suite *classify_suite(void)
{
    Suite *s = suite_create("elfpatch_classify");
    TCase *tc = tcase_create("classify");
    tcase_add_test(tc, test_this_test_program_is_dynamic);
    tcase_add_test(tc, test_system_program_is_dynamic);
    tcase_add_test(tc, test_static_program_is_static);
    tcase_add_test(tc, test_static_pie_is_static);
    tcase_add_test(tc, test_go_program_without_cgo_is_go);
    tcase_add_test(tc, test_go_program_with_cgo_is_dynamic);
    tcase_add_test(tc, test_script_is_not_elf);
    tcase_add_test(tc, test_object_file_is_not_a_program);
    tcase_add_test(tc, test_missing_file_is_unreadable);
    tcase_add_test(tc, test_directory_is_unreadable);
    tcase_add_test(tc, test_reason_fits_a_short_buffer);
    suite_add_tcase(s, tc);
    return s;
}

static int elf32_run(void)
{
#ifdef EP_FIX_32BIT
    Suite *s = suite_create("elfpatch_classify_32bit");
    TCase *tc = tcase_create("elf32");
    tcase_add_test(tc, test_32bit_program_is_32bit);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
#else
    printf("SKIPPED: gcc -m32 cannot link a 32-bit program on this machine "
           "(install gcc-multilib), so the EP_ELF_32BIT verdict is not "
           "tested\n");
    return 77;
#endif
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "elf32") == 0)
        return elf32_run();
    return check_suite_run(classify_suite());
}
