/* test_slots.c: unit tests of elfpatch's on-disk view of an object
 * (ep_elf_slots, ep_elf_funcs, ep_elf_layout), which `scope inspect` uses to
 * judge another process's GOT.
 *
 * The reference is the in-process patcher: the slots read from the files
 * must be exactly the slots ep_patch_loaded() patches for the same names.
 * Built three times like test_patch.c (lazy, full RELRO, -fno-plt), each
 * test in a freshly forked process (CK_FORK).
 */
#include "elfpatch.h"
#include "epfix.h"

#include "check_suite.h"
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#if defined(EP_FLAVOUR_NOPLT)
#define CALL_RELOC R_X86_64_GLOB_DAT
#elif defined(EP_FLAVOUR_LAZY) || defined(EP_FLAVOUR_RELRO)
#define CALL_RELOC R_X86_64_JUMP_SLOT
#else
#error "build with one of EP_FLAVOUR_LAZY, EP_FLAVOUR_RELRO, EP_FLAVOUR_NOPLT"
#endif

/* Names with slots in this program, its fixture library and libc. None is
 * called by ep_patch_loaded() or ep_restore(), so the process keeps running
 * while they point at stand_in, which nothing calls. */
static const char *const names[] = {
    "epfix_target", "getpid", "write", "fopen", "fclose", "fwrite", "puts", "printf",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void stand_in(void)
{
    abort();
}

/* ---- slots as sets ------------------------------------------------------ */

struct slot {
    uintptr_t addr;
    unsigned type;
    const char *name;   /* an element of names[] */
};

struct slot_set {
    struct slot v[4096];
    size_t n;
};

static void slot_set_add(struct slot_set *s, uintptr_t addr, unsigned type,
                         const char *name)
{
    ck_assert_uint_lt(s->n, sizeof(s->v) / sizeof(s->v[0]));
    s->v[s->n++] = (struct slot){ addr, type, name };
}

static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void slot_sets_assert_equal(struct slot_set *a, struct slot_set *b)
{
    qsort(a->v, a->n, sizeof(a->v[0]), slot_cmp);
    qsort(b->v, b->n, sizeof(b->v[0]), slot_cmp);
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        ck_assert_msg(a->v[i].addr == b->v[i].addr,
                      "slot %#lx (%s) on one side, %#lx (%s) on the other",
                      (unsigned long)a->v[i].addr, a->v[i].name,
                      (unsigned long)b->v[i].addr, b->v[i].name);
        ck_assert_uint_eq(a->v[i].type, b->v[i].type);
        ck_assert_str_eq(a->v[i].name, b->v[i].name);
    }
    ck_assert_uint_eq(a->n, b->n);
}

/* ep_elf_slots() callback: the slots of one object, at its load bias. */
struct disk_walk {
    struct slot_set *set;
    uintptr_t bias;
};

static int disk_slot_add(const char *name, uint64_t offset, unsigned type, void *arg)
{
    struct disk_walk *w = arg;
    slot_set_add(w->set, w->bias + offset, type, name);
    return 0;
}

/* ---- the loaded objects ------------------------------------------------- */

struct object {
    char path[4096];
    uintptr_t bias;
    const ElfW(Phdr) *phdr;
    size_t phnum;
};

struct objects {
    struct object v[64];
    size_t n;
};

static bool object_contains(const struct object *o, uintptr_t addr)
{
    for (size_t i = 0; i < o->phnum; i++) {
        uintptr_t start = o->bias + o->phdr[i].p_vaddr;
        if (o->phdr[i].p_type == PT_LOAD && addr >= start &&
            addr - start < o->phdr[i].p_memsz)
            return true;
    }
    return false;
}

/* The main program has no name in the loader's list. */
static int object_collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct objects *objs = arg;
    if (objs->n == sizeof(objs->v) / sizeof(objs->v[0]))
        return 1;
    struct object *o = &objs->v[objs->n++];
    snprintf(o->path, sizeof o->path, "%s",
             info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe");
    o->bias = info->dlpi_addr;
    o->phdr = info->dlpi_phdr;
    o->phnum = info->dlpi_phnum;
    return 0;
}

/* What ep_patch_loaded() walks: everything but the vDSO and the linker. */
static bool object_is_patched(const struct object *o)
{
    return !object_contains(o, getauxval(AT_SYSINFO_EHDR)) &&
           !object_contains(o, getauxval(AT_BASE));
}

static struct objects objs;

static const struct object *object_at(uintptr_t addr)
{
    for (size_t i = 0; i < objs.n; i++)
        if (object_contains(&objs.v[i], addr))
            return &objs.v[i];
    ck_abort_msg("no loaded object contains %#lx", (unsigned long)addr);
    return NULL;
}

static void setup(void)
{
    objs.n = 0;
    dl_iterate_phdr(object_collect, &objs);
    ck_assert_uint_lt(objs.n, sizeof(objs.v) / sizeof(objs.v[0]));
}

static void disk_slots(const struct object *o, struct slot_set *set)
{
    struct disk_walk w = { set, o->bias };
    size_t before = set->n;
    int n = ep_elf_slots(o->path, names, NNAMES, disk_slot_add, &w);
    ck_assert_msg(n >= 0, "%s: %s", o->path, strerror(-n));
    ck_assert_uint_eq(set->n - before, (size_t)n);
}

static bool slot_set_has(const struct slot_set *s, const char *name, unsigned type)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0 && s->v[i].type == type)
            return true;
    return false;
}

/* ---- tests ------------------------------------------------------------------ */

/* The on-disk view is worth something only if it names the words attach
 * and detach write: compare with the patch log, object by object. */
START_TEST(test_disk_slots_are_the_patched_slots)
{
    static struct slot_set in_process, on_disk;
    struct ep_hook hooks[NNAMES];
    struct ep_log log = { 0 };
    const size_t cap = sizeof(in_process.v) / sizeof(in_process.v[0]);

    for (size_t i = 0; i < NNAMES; i++)
        hooks[i] = (struct ep_hook){ names[i], (void *)stand_in, NULL };
    /* Until the restore nothing may call a hooked name: not even a passing
     * ck_assert, which records its line through stdio. */
    int patched = ep_patch_loaded(hooks, NNAMES, NULL, &log);
    for (size_t i = 0; i < log.count && in_process.n < cap; i++)
        in_process.v[in_process.n++] = (struct slot){
            (uintptr_t)log.patches[i].slot, log.patches[i].reloc_type,
            names[log.patches[i].hook] };
    size_t restored = ep_restore(&log);
    ep_log_free(&log);
    ck_assert_int_gt(patched, 0);
    ck_assert_uint_eq(restored, (size_t)patched);
    ck_assert_uint_eq(in_process.n, (size_t)patched);

    size_t walked = 0;
    for (size_t i = 0; i < objs.n; i++) {
        if (!object_is_patched(&objs.v[i]))
            continue;
        disk_slots(&objs.v[i], &on_disk);
        walked++;
    }
    ck_assert_uint_ge(walked, 3);   /* this program, libepfix, libc */
    slot_sets_assert_equal(&in_process, &on_disk);
}
END_TEST

/* Note 2: JUMP_SLOT or GLOB_DAT for calls, R_X86_64_64 for the function
 * pointer in libepfix's .data.rel.ro. */
START_TEST(test_each_kind_of_slot_is_found)
{
    static struct slot_set exe, lib;
    exe.n = lib.n = 0;
    disk_slots(object_at((uintptr_t)stand_in), &exe);
    disk_slots(object_at((uintptr_t)dlsym(RTLD_DEFAULT, "epfix_target")), &lib);
    ck_assert(slot_set_has(&exe, "epfix_target", CALL_RELOC));
    ck_assert(slot_set_has(&exe, "getpid", CALL_RELOC));
    ck_assert(slot_set_has(&lib, "getpid", CALL_RELOC));
    ck_assert(slot_set_has(&lib, "getpid", R_X86_64_64));
    ck_assert(!slot_set_has(&lib, "epfix_target", CALL_RELOC));
    /* The calls that give this program those slots (and keep libepfix
     * linked in every flavour). */
    ck_assert_int_eq(epfix_target(1), 3);
    ck_assert_int_gt(getpid(), 0);
}
END_TEST

struct func_search {
    const char *name;
    struct ep_elf_func found;
    bool ok;
};

static int func_search_cb(const struct ep_elf_func *f, void *arg)
{
    struct func_search *s = arg;
    if (strcmp(f->name, s->name) != 0)
        return 0;
    s->found = *f;
    s->found.name = s->name;
    s->ok = true;
    return -1;
}

START_TEST(test_funcs_give_the_loaded_address)
{
    uintptr_t real = (uintptr_t)dlsym(RTLD_DEFAULT, "epfix_target");
    const struct object *lib = object_at(real);
    struct func_search s = { .name = "epfix_target" };
    ck_assert_int_eq(ep_elf_funcs(lib->path, func_search_cb, &s), -1);
    ck_assert(s.ok);
    ck_assert_uint_eq(lib->bias + s.found.value, real);
    ck_assert(s.found.dynamic);
    ck_assert(!s.found.hidden_version);
    ck_assert(!s.found.ifunc);

    /* Static functions come from .symtab, after every .dynsym one. */
    struct func_search local = { .name = "stand_in" };
    const struct object *exe = object_at((uintptr_t)stand_in);
    ck_assert_int_eq(ep_elf_funcs(exe->path, func_search_cb, &local), -1);
    ck_assert(!local.found.dynamic);
    ck_assert_uint_eq(exe->bias + local.found.value, (uintptr_t)stand_in);
}
END_TEST

/* The bias inspect computes from /proc/PID/maps: the start of the mapping
 * at file offset 0, minus first_vaddr. */
static uintptr_t offset0_mapping_start(uintptr_t inside_first_page)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    char line[4096];
    uintptr_t found = 0;
    ck_assert_ptr_nonnull(maps);
    while (!found && fgets(line, sizeof line, maps)) {
        unsigned long start, end, off;
        if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &off) == 3 && off == 0 &&
            inside_first_page >= start && inside_first_page < end)
            found = start;
    }
    fclose(maps);
    return found;
}

START_TEST(test_layout_gives_the_bias)
{
    for (size_t i = 0; i < objs.n; i++) {
        const struct object *o = &objs.v[i];
        struct ep_elf_layout l;
        if (!object_is_patched(o))
            continue;
        ck_assert_int_eq(ep_elf_layout(o->path, &l), 0);
        ck_assert(l.type == ET_DYN || l.type == ET_EXEC);
        ck_assert_uint_eq(offset0_mapping_start(o->bias + l.first_vaddr),
                          o->bias + l.first_vaddr);
    }
}
END_TEST

struct slot_search {
    const char *name;
    uintptr_t bias;
    uintptr_t addr;
};

static int slot_search_cb(const char *name, uint64_t offset, unsigned type, void *arg)
{
    struct slot_search *s = arg;
    if (strcmp(name, s->name) == 0 && type == CALL_RELOC)
        s->addr = s->bias + offset;
    return 0;
}

static bool in_plt(const struct ep_elf_layout *l, uintptr_t bias, uintptr_t addr)
{
    for (size_t i = 0; i < l->nplt; i++)
        if (addr >= bias + l->plt[i].start && addr < bias + l->plt[i].end)
            return true;
    return false;
}

/* Note 5: what inspect calls "plt-stub". Nothing in this fresh process has
 * called epfix_target yet, so a lazy slot still holds the stub. */
START_TEST(test_unbound_slot_points_into_the_plt)
{
    const struct object *exe = object_at((uintptr_t)stand_in);
    struct slot_search s = { .name = "epfix_target", .bias = exe->bias };
    struct ep_elf_layout l;
    ck_assert_int_gt(ep_elf_slots(exe->path, names, NNAMES, slot_search_cb, &s), 0);
    ck_assert_uint_ne(s.addr, 0);
    ck_assert_int_eq(ep_elf_layout(exe->path, &l), 0);
    uintptr_t value = *(const uintptr_t *)s.addr;
#if defined(EP_FLAVOUR_LAZY)
    ck_assert(in_plt(&l, exe->bias, value));
    ck_assert_int_eq(epfix_target(1), 3);
    ck_assert(!in_plt(&l, exe->bias, *(const uintptr_t *)s.addr));
#else
    ck_assert(!in_plt(&l, exe->bias, value));
    ck_assert_uint_eq(value, (uintptr_t)dlsym(RTLD_DEFAULT, "epfix_target"));
#endif
}
END_TEST

static int stop_walk(const char *name, uint64_t offset, unsigned type, void *arg)
{
    return -ECANCELED;
}

START_TEST(test_errors)
{
    const struct object *exe = object_at((uintptr_t)stand_in);
    struct ep_elf_layout l;
    char text[] = "/tmp/ep-slots-XXXXXX";
    int fd = mkstemp(text);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);

    ck_assert_int_eq(ep_elf_slots("/nonexistent/x", names, NNAMES, stop_walk, NULL), -ENOENT);
    ck_assert_int_eq(ep_elf_slots(text, names, NNAMES, stop_walk, NULL), -ENOEXEC);
    ck_assert_int_eq(ep_elf_layout(text, &l), -ENOEXEC);
    ck_assert_int_eq(ep_elf_slots(exe->path, names, NNAMES, NULL, NULL), -EINVAL);
    ck_assert_int_eq(ep_elf_slots(exe->path, names, NNAMES, stop_walk, NULL), -ECANCELED);
    ck_assert_int_eq(ep_elf_slots(exe->path, names, 0, stop_walk, NULL), 0);
    unlink(text);
}
END_TEST

static Suite *slots_suite(void)
{
    Suite *s = suite_create("elfpatch_slots");
    TCase *tc = tcase_create("slots");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_disk_slots_are_the_patched_slots);
    tcase_add_test(tc, test_each_kind_of_slot_is_found);
    tcase_add_test(tc, test_funcs_give_the_loaded_address);
    tcase_add_test(tc, test_layout_gives_the_bias);
    tcase_add_test(tc, test_unbound_slot_points_into_the_plt);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_suite_run(slots_suite());
}
