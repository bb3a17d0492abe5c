/* test_inj_slots.c: the slot model of `scope inspect` (inj_slots.c), on
 * processes described by hand: a program, libc and libscope.so mapped at
 * known addresses, with the functions and PLT each defines. */
#include "check_suite.h"
#include "inj_slots.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define PROG_BASE 0x400000ULL
#define LIBC_BASE 0x7f0000000000ULL
#define SCOPE_BASE 0x7f1000000000ULL
#define ANON_BASE 0x7f2000000000ULL
#define PROG_PLT 0x1000ULL          /* file addresses of the program's .plt */

static struct inj_mapping maps[] = {
    { PROG_BASE, PROG_BASE + 0x10000, 0, "r-xp", "/usr/bin/prog" },
    { LIBC_BASE, LIBC_BASE + 0x200000, 0, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6" },
    { SCOPE_BASE, SCOPE_BASE + 0x100000, 0, "r-xp", "/opt/scope/lib/libscope.so" },
    { ANON_BASE, ANON_BASE + 0x1000, 0, "rwxp", "" },
};

static struct inj_object objs[3];
static struct inj_model model;

static void func(struct inj_object *o, const char *name, uint64_t value, int dynamic,
                 int hidden, int ifunc)
{
    struct ep_elf_func f = { name, value, (unsigned)dynamic, (unsigned)hidden, (unsigned)ifunc };
    ck_assert_int_eq(inj_object_add_func(o, &f), 0);
}

static void object(struct inj_object *o, const struct inj_mapping *m)
{
    memset(o, 0, sizeof *o);
    o->path = m->path;
    o->base = m->start;
    o->bias = m->start;         /* first_vaddr 0, as for a PIE or a library */
}

/* prog imports read, write, close; libc defines them (and __write, an
 * alias of write; read@OLD, a hidden older version at another address);
 * libscope.so defines its wrappers and, as a trap, an exported read. */
static void setup(void)
{
    object(&objs[0], &maps[0]);
    objs[0].layout.plt[0].start = PROG_PLT;
    objs[0].layout.plt[0].end = PROG_PLT + 0x100;
    objs[0].layout.nplt = 1;
    object(&objs[1], &maps[1]);
    func(&objs[1], "read", 0x500, 1, 1, 0);     /* read@OLD: skipped by lookups */
    func(&objs[1], "read", 0x1000, 1, 0, 0);
    func(&objs[1], "__write", 0x2000, 1, 0, 0);
    func(&objs[1], "write", 0x2000, 1, 0, 0);
    func(&objs[1], "recv", 0x3000, 1, 0, 1);    /* as an ifunc: its resolver */
    object(&objs[2], &maps[2]);
    func(&objs[2], "read", 0x9000, 1, 0, 0);
    func(&objs[2], "ip_wrap_read", 0x8000, 0, 0, 0);
    inj_model_init(&model, maps, sizeof maps / sizeof maps[0], objs, 3);
}

static void teardown(void)
{
    for (size_t i = 0; i < 3; i++)
        inj_object_free(&objs[i]);
}

static size_t hook(const char *name)
{
    for (size_t i = 0; i < INJ_NHOOKS; i++)
        if (strcmp(inj_hook_names[i], name) == 0)
            return i;
    ck_abort_msg("%s is not hooked", name);
    return 0;
}

/* A JUMP_SLOT of prog for `name` holding value, judged. */
static struct inj_slot judged(const char *name, uint64_t value)
{
    struct inj_slot s = { .hook = hook(name), .type = R_X86_64_JUMP_SLOT,
                          .addr = PROG_BASE + 0x4000, .value = value };
    inj_slot_judge(&model, &objs[0], &s);
    return s;
}

START_TEST(libscope_found_by_name)
{
    ck_assert_ptr_eq(model.scope, &objs[2]);
    ck_assert(inj_is_libscope("/x/libscope.so.123.456"));
    ck_assert(!inj_is_libscope("/x/libscope/libc.so.6"));
}
END_TEST

START_TEST(wrapper_is_hooked)
{
    struct inj_slot s = judged("read", SCOPE_BASE + 0x8000);
    ck_assert_int_eq(s.state, INJ_SLOT_HOOKED);
    ck_assert_str_eq(s.points_to, "libscope:ip_wrap_read");
    ck_assert_str_eq(inj_slot_state_names[s.state], "hooked");
}
END_TEST

START_TEST(libscope_elsewhere_is_hooked)
{
    struct inj_slot s = judged("read", SCOPE_BASE + 0x8004);
    ck_assert_int_eq(s.state, INJ_SLOT_HOOKED);
    ck_assert_str_eq(s.points_to, "libscope");
}
END_TEST

/* The original is libc's default-version read, never libscope's export
 * and never the hidden read@OLD. */
START_TEST(default_version_is_original)
{
    struct inj_slot s = judged("read", LIBC_BASE + 0x1000);
    ck_assert_int_eq(s.state, INJ_SLOT_ORIGINAL);
    ck_assert_str_eq(s.points_to, "libc.so.6:read");
    ck_assert_ptr_eq(s.original->definer, &objs[1]);
    ck_assert_uint_eq(s.original->addr, LIBC_BASE + 0x1000);
    s = judged("read", LIBC_BASE + 0x500);
    ck_assert_int_eq(s.state, INJ_SLOT_OTHER);
}
END_TEST

START_TEST(alias_named_as_the_slot)
{
    struct inj_slot s = judged("write", LIBC_BASE + 0x2000);
    ck_assert_str_eq(s.points_to, "libc.so.6:write");
    ck_assert_int_eq(s.state, INJ_SLOT_ORIGINAL);
}
END_TEST

START_TEST(unbound_lazy_slot_is_original)
{
    struct inj_slot s = judged("write", PROG_BASE + PROG_PLT + 0x16);
    ck_assert_str_eq(s.points_to, "plt-stub");
    ck_assert_int_eq(s.state, INJ_SLOT_ORIGINAL);
}
END_TEST

START_TEST(ifunc_into_its_definer_is_original)
{
    struct inj_slot s = judged("recv", LIBC_BASE + 0x7777);
    ck_assert(s.original->ifunc);
    ck_assert_int_eq(s.state, INJ_SLOT_ORIGINAL);
    ck_assert_str_eq(s.points_to, "libc.so.6+0x7777");
    s = judged("recv", PROG_BASE + 0x8000);
    ck_assert_int_eq(s.state, INJ_SLOT_OTHER);
}
END_TEST

START_TEST(elsewhere_is_other)
{
    struct inj_slot s = judged("read", ANON_BASE + 0x10);
    ck_assert_str_eq(s.points_to, "anonymous memory");
    ck_assert_int_eq(s.state, INJ_SLOT_OTHER);
    s = judged("read", 0x1234);
    ck_assert_str_eq(s.points_to, "unmapped");
    ck_assert_int_eq(s.state, INJ_SLOT_OTHER);
    s = judged("read", 0);
    ck_assert_str_eq(s.points_to, "null");
    ck_assert_int_eq(s.state, INJ_SLOT_OTHER);
}
END_TEST

/* A name nobody defines is an undefined weak reference: bound to 0. */
START_TEST(undefined_weak_null_is_original)
{
    struct inj_slot s = judged("close", 0);
    ck_assert_ptr_null(s.original->definer);
    ck_assert_int_eq(s.state, INJ_SLOT_ORIGINAL);
}
END_TEST

START_TEST(slot_list_takes_the_hook_index)
{
    struct inj_slot_list l = { NULL, 0, 0 };
    size_t h = hook("write");

    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(inj_slot_list_add(&l, inj_hook_names[h], 0x10 + (unsigned)i,
                                           R_X86_64_GLOB_DAT), 0);
    ck_assert_uint_eq(l.n, 100);
    ck_assert_uint_eq(l.v[99].hook, h);
    ck_assert_uint_eq(l.v[99].addr, 0x10 + 99);
    ck_assert_str_eq(inj_reloc_type_name(l.v[0].type), "GLOB_DAT");
    ck_assert_str_eq(inj_reloc_type_name(R_X86_64_JUMP_SLOT), "JUMP_SLOT");
    ck_assert_str_eq(inj_reloc_type_name(R_X86_64_64), "64");
    free(l.v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inj_slots");
    TCase *tc = tcase_create("model");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, libscope_found_by_name);
    tcase_add_test(tc, wrapper_is_hooked);
    tcase_add_test(tc, libscope_elsewhere_is_hooked);
    tcase_add_test(tc, default_version_is_original);
    tcase_add_test(tc, alias_named_as_the_slot);
    tcase_add_test(tc, unbound_lazy_slot_is_original);
    tcase_add_test(tc, ifunc_into_its_definer_is_original);
    tcase_add_test(tc, elsewhere_is_other);
    tcase_add_test(tc, undefined_weak_null_is_original);
    tcase_add_test(tc, slot_list_takes_the_hook_index);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
