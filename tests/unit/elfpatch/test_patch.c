/* test_patch.c: unit tests of elfpatch's in-process GOT patching.
 *
 * Built three times, each with libepfix built the same way: lazy PLT binding
 * (EP_FLAVOUR_LAZY), full RELRO (EP_FLAVOUR_RELRO: -z relro -z now) and
 * -fno-plt calls through GLOB_DAT slots (EP_FLAVOUR_NOPLT). Each test runs in
 * a child process of its own (CK_FORK): patching and lazy binding change
 * the process, and the next test must start from a freshly loaded one.
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
#include <sys/mman.h>
#include <unistd.h>

#if defined(EP_FLAVOUR_NOPLT)
#define CALL_RELOC R_X86_64_GLOB_DAT
#elif defined(EP_FLAVOUR_LAZY) || defined(EP_FLAVOUR_RELRO)
#define CALL_RELOC R_X86_64_JUMP_SLOT
#else
#error "build with one of EP_FLAVOUR_LAZY, EP_FLAVOUR_RELRO, EP_FLAVOUR_NOPLT"
#endif

/* ---- wrappers ------------------------------------------------------------ */

static int (*real_epfix_target)(int);
static pid_t (*real_getpid)(void);
static unsigned target_calls;
static unsigned getpid_calls;

static int wrap_epfix_target(int x)
{
    target_calls++;
    return real_epfix_target(x);
}

static pid_t wrap_getpid(void)
{
    getpid_calls++;
    return real_getpid();
}

/* Stands in for the dynamic linker's internal functions, which must never be
 * patched: reaching it means a skipped object was patched. */
static void wrap_never(void)
{
    abort();
}

enum { HOOK_TARGET, HOOK_GETPID };

static const struct ep_hook hooks[] = {
    [HOOK_TARGET] = { "epfix_target", (void *)wrap_epfix_target, NULL },
    [HOOK_GETPID] = { "getpid", (void *)wrap_getpid, NULL },
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

/* ---- the objects under test --------------------------------------------- */

static bool object_contains(const struct dl_phdr_info *obj, uintptr_t addr)
{
    for (size_t i = 0; i < obj->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &obj->dlpi_phdr[i];
        uintptr_t start = obj->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= start &&
            addr - start < ph->p_memsz)
            return true;
    }
    return false;
}

struct object_search {
    uintptr_t addr;
    struct dl_phdr_info found;
    bool ok;
};

static int object_search_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct object_search *s = arg;
    if (!object_contains(info, s->addr))
        return 0;
    s->found = *info;
    s->ok = true;
    return 1;
}

/* The loaded object containing addr; fails the test if there is none. */
static struct dl_phdr_info object_at(uintptr_t addr)
{
    struct object_search s = { .addr = addr };
    dl_iterate_phdr(object_search_cb, &s);
    ck_assert_msg(s.ok, "no loaded object contains %#lx", (unsigned long)addr);
    return s.found;
}

static struct dl_phdr_info exe; /* this test program */
static struct dl_phdr_info lib; /* libepfix_<flavour>.so */
static struct ep_log plog;

static void setup(void)
{
    real_epfix_target = (int (*)(int))dlsym(RTLD_DEFAULT, "epfix_target");
    real_getpid = (pid_t (*)(void))dlsym(RTLD_NEXT, "getpid");
    ck_assert_ptr_nonnull(real_epfix_target);
    ck_assert_ptr_nonnull(real_getpid);
    exe = object_at((uintptr_t)wrap_getpid);
    lib = object_at((uintptr_t)real_epfix_target);
    memset(&plog, 0, sizeof(plog));
}

static void teardown(void)
{
    ep_log_free(&plog);
}

static int patch_exe_and_lib(void)
{
    int in_exe = ep_patch_object(&exe, hooks, NHOOKS, &plog);
    ck_assert_int_gt(in_exe, 0);
    int in_lib = ep_patch_object(&lib, hooks, NHOOKS, &plog);
    ck_assert_int_gt(in_lib, 0);
    return in_exe + in_lib;
}

static const struct ep_patch *log_find(unsigned hook, unsigned type,
                                       const struct dl_phdr_info *obj)
{
    for (size_t i = 0; i < plog.count; i++) {
        const struct ep_patch *p = &plog.patches[i];
        if (p->hook == hook && p->reloc_type == type &&
            object_contains(obj, (uintptr_t)p->slot))
            return p;
    }
    return NULL;
}

/* ---- /proc/self/maps, read independently of the code under test ---------- */

static int page_prot(uintptr_t addr)
{
    FILE *maps = fopen("/proc/self/maps", "re");
    ck_assert_ptr_nonnull(maps);
    char line[4096];
    int prot = -1;
    while (prot < 0 && fgets(line, sizeof(line), maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
            continue;
        if (addr >= start && addr < end)
            prot = (perms[0] == 'r' ? PROT_READ : 0) |
                   (perms[1] == 'w' ? PROT_WRITE : 0) |
                   (perms[2] == 'x' ? PROT_EXEC : 0);
    }
    fclose(maps);
    return prot;
}

/* Writes a slot the way another interposer would, leaving its page as it
 * found it. */
static void slot_force(void **slot, void *value)
{
    uintptr_t pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
    void *page = (void *)((uintptr_t)slot & ~(pagesize - 1));
    int prot = page_prot((uintptr_t)slot);
    ck_assert_int_ge(prot, 0);
    ck_assert_int_eq(mprotect(page, pagesize, prot | PROT_WRITE), 0);
    *slot = value;
    ck_assert_int_eq(mprotect(page, pagesize, prot), 0);
}

/* ---- snapshots of everything a slot can live in ------------------------- */

/* A copy of one writable or RELRO range of an object, taken before
 * patching, with the protection each of its pages had. */
struct region {
    uintptr_t start, end;   /* 8-byte aligned */
    uint64_t *words;
    int *page_prots;
    bool relro;
};

struct snapshot {
    struct region regions[16];
    size_t count;
};

/* ASan poisons the redzones between globals; these ranges span them, so
 * they are read word by word with the check off. */
__attribute__((no_sanitize("address")))
static uint64_t word_read(uintptr_t addr)
{
    return *(const volatile uint64_t *)addr;
}

static void region_take(struct region *r, uintptr_t start, uintptr_t end,
                        bool relro)
{
    uintptr_t pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
    r->start = start & ~(uintptr_t)7;
    r->end = (end + 7) & ~(uintptr_t)7;
    r->relro = relro;
    size_t nwords = (r->end - r->start) / 8;
    r->words = malloc(nwords * sizeof(*r->words));
    ck_assert_ptr_nonnull(r->words);
    for (size_t i = 0; i < nwords; i++)
        r->words[i] = word_read(r->start + 8 * i);
    size_t npages = (r->end - 1) / pagesize - r->start / pagesize + 1;
    r->page_prots = malloc(npages * sizeof(*r->page_prots));
    ck_assert_ptr_nonnull(r->page_prots);
    for (size_t i = 0; i < npages; i++)
        r->page_prots[i] = page_prot((r->start & ~(pagesize - 1)) +
                                     i * pagesize);
}

static void snapshot_take(struct snapshot *s, const struct dl_phdr_info *obj)
{
    for (size_t i = 0; i < obj->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &obj->dlpi_phdr[i];
        bool relro = ph->p_type == PT_GNU_RELRO;
        if (!relro && !(ph->p_type == PT_LOAD && (ph->p_flags & PF_W)))
            continue;
        ck_assert_uint_lt(s->count, sizeof(s->regions) / sizeof(s->regions[0]));
        uintptr_t start = obj->dlpi_addr + ph->p_vaddr;
        region_take(&s->regions[s->count++], start, start + ph->p_memsz,
                    relro);
    }
}

static void snapshot_free(struct snapshot *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->regions[i].words);
        free(s->regions[i].page_prots);
    }
    s->count = 0;
}

static const struct region *snapshot_region(const struct snapshot *s,
                                            const void *addr)
{
    for (size_t i = 0; i < s->count; i++)
        if ((uintptr_t)addr >= s->regions[i].start &&
            (uintptr_t)addr < s->regions[i].end)
            return &s->regions[i];
    ck_abort_msg("%p is in no writable or RELRO range of its object", addr);
    return NULL;
}

static void *snapshot_word(const struct snapshot *s, void **slot)
{
    const struct region *r = snapshot_region(s, slot);
    return (void *)(uintptr_t)r->words[((uintptr_t)slot - r->start) / 8];
}

static int snapshot_prot(const struct snapshot *s, void **slot)
{
    uintptr_t pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
    const struct region *r = snapshot_region(s, slot);
    return r->page_prots[(uintptr_t)slot / pagesize - r->start / pagesize];
}

/* RELRO ranges are immutable once the loader is done, so after a restore
 * they must match the snapshot in every byte, not only in the slots. */
static void snapshot_assert_relro_unchanged(const struct snapshot *s)
{
    for (size_t i = 0; i < s->count; i++) {
        const struct region *r = &s->regions[i];
        for (uintptr_t a = r->start; r->relro && a < r->end; a += 8)
            ck_assert_msg(word_read(a) == r->words[(a - r->start) / 8],
                          "RELRO word at %#lx changed", (unsigned long)a);
    }
}

/* ---- tests: finding slots ------------------------------------------------ */

/* Note 2: -fno-plt calls use GLOB_DAT slots in DT_RELA, not JUMP_SLOTs in
 * DT_JMPREL; function pointers in data use R_X86_64_64. */
START_TEST(test_every_expected_slot_is_patched)
{
    patch_exe_and_lib();
    ck_assert_ptr_nonnull(log_find(HOOK_TARGET, CALL_RELOC, &exe));
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, CALL_RELOC, &exe));
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, CALL_RELOC, &lib));
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, R_X86_64_64, &lib));
    for (size_t i = 0; i < plog.count; i++) {
        const struct ep_patch *p = &plog.patches[i];
        ck_assert_ptr_eq(p->new_value, hooks[p->hook].wrapper);
        ck_assert_ptr_eq(*p->slot, p->new_value);
        const struct dl_phdr_info *owner =
            object_contains(&exe, (uintptr_t)p->slot) ? &exe : &lib;
        ck_assert_uint_eq(p->object_base, owner->dlpi_addr);
    }
}
END_TEST

START_TEST(test_calls_reach_the_wrappers)
{
    patch_exe_and_lib();
    ck_assert_int_eq(epfix_target(20), 41);
    ck_assert_uint_eq(target_calls, 1);

    pid_t pid = real_getpid();
    unsigned before = getpid_calls;
    ck_assert_int_eq(getpid(), pid);
    ck_assert_uint_eq(getpid_calls, before + 1);
    ck_assert_int_eq(epfix_getpid(), pid);
    ck_assert_uint_eq(getpid_calls, before + 2);
    ck_assert_int_eq(epfix_getpid_via_pointer(), pid);
    ck_assert_uint_eq(getpid_calls, before + 3);
}
END_TEST

/* Note 3: musl (and glibc, for a read-only PT_DYNAMIC) leaves d_ptr values
 * as offsets from the load base. Show libepfix that way: a copy of its
 * dynamic section with the base taken out of every pointer we read, and
 * program headers whose PT_DYNAMIC points at the copy. */
START_TEST(test_dynamic_pointers_left_as_offsets)
{
    ElfW(Phdr) phdrs[32];
    ElfW(Dyn) dyn[128];
    ck_assert_uint_le(lib.dlpi_phnum, sizeof(phdrs) / sizeof(phdrs[0]));
    memcpy(phdrs, lib.dlpi_phdr, lib.dlpi_phnum * sizeof(phdrs[0]));
    for (size_t i = 0; i < lib.dlpi_phnum; i++) {
        if (phdrs[i].p_type != PT_DYNAMIC)
            continue;
        const ElfW(Dyn) *src =
            (const ElfW(Dyn) *)(lib.dlpi_addr + phdrs[i].p_vaddr);
        size_t n = 0;
        do {
            ck_assert_uint_lt(n, sizeof(dyn) / sizeof(dyn[0]));
            dyn[n] = src[n];
            if (dyn[n].d_tag == DT_SYMTAB || dyn[n].d_tag == DT_STRTAB ||
                dyn[n].d_tag == DT_JMPREL || dyn[n].d_tag == DT_RELA)
                dyn[n].d_un.d_ptr -= lib.dlpi_addr;
        } while (src[n++].d_tag != DT_NULL);
        phdrs[i].p_vaddr = (uintptr_t)dyn - lib.dlpi_addr;
    }
    struct dl_phdr_info as_musl = lib;
    as_musl.dlpi_phdr = phdrs;

    ck_assert_int_gt(ep_patch_object(&as_musl, hooks, NHOOKS, &plog), 0);
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, CALL_RELOC, &lib));
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, R_X86_64_64, &lib));
    /* The same slots as glibc's view of the same object: */
    ck_assert_int_eq(ep_patch_object(&lib, hooks, NHOOKS, &plog), 0);
    ck_assert_int_eq(epfix_getpid_via_pointer(), real_getpid());
    ck_assert_uint_eq(getpid_calls, 1);
}
END_TEST

/* ---- tests: undoing ------------------------------------------------------- */

/* Note 7: the log holds the raw old bytes, and restore puts exactly those
 * back. */
START_TEST(test_restore_puts_back_every_original_byte)
{
    struct snapshot exe_before = { 0 }, lib_before = { 0 };
    snapshot_take(&exe_before, &exe);
    snapshot_take(&lib_before, &lib);
    int patched = patch_exe_and_lib();
    ck_assert_uint_eq(plog.count, (size_t)patched);
    for (size_t i = 0; i < plog.count; i++) {
        const struct ep_patch *p = &plog.patches[i];
        const struct snapshot *s =
            object_contains(&exe, (uintptr_t)p->slot) ? &exe_before
                                                       : &lib_before;
        ck_assert_ptr_eq(p->old_value, snapshot_word(s, p->slot));
    }
    struct ep_patch *logged = malloc(plog.count * sizeof(*logged));
    ck_assert_ptr_nonnull(logged);
    memcpy(logged, plog.patches, plog.count * sizeof(*logged));
    size_t nlogged = plog.count;

    ck_assert_uint_eq(ep_restore(&plog), nlogged);
    ck_assert_uint_eq(plog.count, 0);
    for (size_t i = 0; i < nlogged; i++) {
        const struct snapshot *s =
            object_contains(&exe, (uintptr_t)logged[i].slot) ? &exe_before
                                                             : &lib_before;
        ck_assert_ptr_eq(*logged[i].slot, snapshot_word(s, logged[i].slot));
    }
    snapshot_assert_relro_unchanged(&exe_before);
    snapshot_assert_relro_unchanged(&lib_before);
    free(logged);
    snapshot_free(&exe_before);
    snapshot_free(&lib_before);
}
END_TEST

/* Note 4: a RELRO page is made writable only for the store and given back
 * exactly its old protection; never left RWX. */
START_TEST(test_page_protection_is_kept)
{
    struct snapshot exe_before = { 0 }, lib_before = { 0 };
    snapshot_take(&exe_before, &exe);
    snapshot_take(&lib_before, &lib);
    patch_exe_and_lib();
    size_t nlogged = plog.count;
    void ***slots = malloc(nlogged * sizeof(*slots));
    ck_assert_ptr_nonnull(slots);
    size_t read_only = 0;
    for (size_t i = 0; i < nlogged; i++) {
        slots[i] = plog.patches[i].slot;
        const struct snapshot *s =
            object_contains(&exe, (uintptr_t)slots[i]) ? &exe_before
                                                       : &lib_before;
        int before = snapshot_prot(s, slots[i]);
        read_only += !(before & PROT_WRITE);
        ck_assert_int_eq(page_prot((uintptr_t)slots[i]), before);
    }
    /* libepfix's function pointer lives in .data.rel.ro in every flavour,
     * so the mprotect path has run. */
    ck_assert_uint_gt(read_only, 0);

    ck_assert_uint_eq(ep_restore(&plog), nlogged);
    for (size_t i = 0; i < nlogged; i++) {
        const struct snapshot *s =
            object_contains(&exe, (uintptr_t)slots[i]) ? &exe_before
                                                       : &lib_before;
        int now = page_prot((uintptr_t)slots[i]);
        ck_assert_int_eq(now, snapshot_prot(s, slots[i]));
        ck_assert_int_ne(now, PROT_READ | PROT_WRITE | PROT_EXEC);
    }
    free(slots);
    snapshot_free(&exe_before);
    snapshot_free(&lib_before);
}
END_TEST

static pid_t other_getpid(void)
{
    return 0;
}

/* Note 7: a slot someone else rewrote after us is theirs; restore leaves
 * it alone and still restores the others. */
START_TEST(test_restore_leaves_a_slot_someone_else_rewrote)
{
    patch_exe_and_lib();
    const struct ep_patch *p = log_find(HOOK_GETPID, CALL_RELOC, &lib);
    ck_assert_ptr_nonnull(p);
    void **foreign = p->slot;
    slot_force(foreign, (void *)other_getpid);
    size_t nlogged = plog.count;
    ck_assert_uint_eq(ep_restore(&plog), nlogged - 1);
    ck_assert_ptr_eq(*foreign, (void *)other_getpid);
    ck_assert_int_eq(epfix_getpid(), 0);
    ck_assert_int_eq(epfix_target(1), 3);
    ck_assert_uint_eq(target_calls, 0);
}
END_TEST

/* A slot that holds neither the real function nor (for a JUMP_SLOT) its
 * own PLT stub was set by someone else (a program's own function pointer,
 * another tool): patching with `real` known must leave it alone. */
START_TEST(test_a_slot_holding_something_else_is_not_patched)
{
    patch_exe_and_lib();
    const struct ep_patch *p = log_find(HOOK_GETPID, CALL_RELOC, &lib);
    ck_assert_ptr_nonnull(p);
    void **foreign = p->slot;
    size_t nlogged = plog.count;
    ck_assert_uint_eq(ep_restore(&plog), nlogged);
    slot_force(foreign, (void *)other_getpid);

    const struct ep_hook with_real[] = {
        [HOOK_TARGET] = { "epfix_target", (void *)wrap_epfix_target, (void *)real_epfix_target },
        [HOOK_GETPID] = { "getpid", (void *)wrap_getpid, (void *)real_getpid },
    };
    ck_assert_int_ge(ep_patch_object(&lib, with_real, NHOOKS, &plog), 0);
    for (size_t i = 0; i < plog.count; i++)
        ck_assert_ptr_ne(plog.patches[i].slot, foreign);
    ck_assert_ptr_eq(*foreign, (void *)other_getpid);
    ep_restore(&plog);
    ck_assert_ptr_eq(*foreign, (void *)other_getpid);
}
END_TEST

START_TEST(test_patching_twice_is_idempotent)
{
    int first = patch_exe_and_lib();
    ck_assert_int_eq(ep_patch_object(&exe, hooks, NHOOKS, &plog), 0);
    ck_assert_int_eq(ep_patch_object(&lib, hooks, NHOOKS, &plog), 0);
    ck_assert_uint_eq(plog.count, (size_t)first);

    /* What a dlopen wrapper does: walk everything again. */
    ck_assert_int_ge(ep_patch_loaded(hooks, NHOOKS, NULL, &plog), 0);
    for (size_t i = 0; i < plog.count; i++)
        for (size_t j = i + 1; j < plog.count; j++)
            ck_assert_ptr_ne(plog.patches[i].slot, plog.patches[j].slot);

    size_t total = plog.count;
    ck_assert_uint_eq(ep_restore(&plog), total);
}
END_TEST

#if defined(EP_FLAVOUR_LAZY)
/* Note 5: an unbound JUMP_SLOT holds the PLT stub, not the function. Its raw
 * value is what restore puts back, and the stub must then bind again. */
START_TEST(test_unbound_slot_old_value_is_the_plt_stub)
{
    patch_exe_and_lib();
    const struct ep_patch *p = log_find(HOOK_TARGET, CALL_RELOC, &exe);
    ck_assert_ptr_nonnull(p);
    void **slot = p->slot;
    void *stub = p->old_value;
    ck_assert_ptr_ne(stub, (void *)real_epfix_target);
    ck_assert(object_contains(&exe, (uintptr_t)stub));

    ck_assert_uint_gt(ep_restore(&plog), 0);
    ck_assert_ptr_eq(*slot, stub);
    ck_assert_int_eq(epfix_target(3), 7);
    ck_assert_ptr_eq(*slot, (void *)real_epfix_target);
    ck_assert_uint_eq(target_calls, 0);
}
END_TEST
#else
/* With -z now the loader bound every slot before main: the old value is the
 * function itself. */
START_TEST(test_bound_slot_old_value_is_the_function)
{
    patch_exe_and_lib();
    const struct ep_patch *p = log_find(HOOK_TARGET, CALL_RELOC, &exe);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p->old_value, (void *)real_epfix_target);
}
END_TEST
#endif

/* ---- tests: which objects are walked -------------------------------------- */

/* Note 1: the vDSO, the dynamic linker and the instrumentation library
 * itself are never patched. Here "itself" is this test program. */
START_TEST(test_patch_loaded_skips_vdso_linker_and_self)
{
    const struct ep_hook with_linker[] = {
        hooks[HOOK_TARGET], hooks[HOOK_GETPID],
        { "_dl_catch_exception", (void *)wrap_never, NULL },
        { "_dl_catch_error", (void *)wrap_never, NULL },
    };
    size_t n = sizeof(with_linker) / sizeof(with_linker[0]);
    struct dl_phdr_info ldso = object_at(getauxval(AT_BASE));

    /* Control: the linker does have slots by these names, so only the skip
     * keeps them out of the log below. */
    struct ep_log control = { 0 };
    int in_ldso = ep_patch_object(&ldso, with_linker, n, &control);
    ck_assert_int_gt(in_ldso, 0);
    ck_assert_uint_eq(ep_restore(&control), (size_t)in_ldso);
    ep_log_free(&control);

    struct ep_scope scope = { .self = (const void *)wrap_getpid };
    int patched = ep_patch_loaded(with_linker, n, &scope, &plog);
    ck_assert_int_gt(patched, 0);
    ck_assert_uint_eq(plog.count, (size_t)patched);
    /* The vDSO has no relocations at all, so for it this only shows that
     * the walk got past it without touching it. */
    uintptr_t vdso_addr = getauxval(AT_SYSINFO_EHDR);
    ck_assert_uint_ne(vdso_addr, 0);
    struct dl_phdr_info vdso = object_at(vdso_addr);
    for (size_t i = 0; i < plog.count; i++) {
        uintptr_t slot = (uintptr_t)plog.patches[i].slot;
        ck_assert_msg(!object_contains(&exe, slot), "self was patched");
        ck_assert_msg(!object_contains(&ldso, slot), "ld.so was patched");
        ck_assert_msg(!object_contains(&vdso, slot), "the vDSO was patched");
    }
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, CALL_RELOC, &lib));
    ck_assert_ptr_nonnull(log_find(HOOK_GETPID, R_X86_64_64, &lib));
    ck_assert_uint_eq(ep_restore(&plog), (size_t)patched);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    const struct ep_hook no_wrapper[] = { { "getpid", NULL, NULL } };
    ck_assert_int_eq(ep_patch_object(NULL, hooks, NHOOKS, &plog), -EINVAL);
    ck_assert_int_eq(ep_patch_object(&lib, hooks, NHOOKS, NULL), -EINVAL);
    ck_assert_int_eq(ep_patch_object(&lib, no_wrapper, 1, &plog), -EINVAL);
    ck_assert_int_eq(ep_patch_loaded(hooks, NHOOKS, NULL, NULL), -EINVAL);
    ck_assert_uint_eq(plog.count, 0);
}
END_TEST

static Suite *patch_suite(void)
{
    Suite *s = suite_create("elfpatch_patch");
    TCase *tc = tcase_create("patch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_every_expected_slot_is_patched);
    tcase_add_test(tc, test_calls_reach_the_wrappers);
    tcase_add_test(tc, test_dynamic_pointers_left_as_offsets);
    tcase_add_test(tc, test_restore_puts_back_every_original_byte);
    tcase_add_test(tc, test_page_protection_is_kept);
    tcase_add_test(tc, test_restore_leaves_a_slot_someone_else_rewrote);
    tcase_add_test(tc, test_patching_twice_is_idempotent);
    tcase_add_test(tc, test_a_slot_holding_something_else_is_not_patched);
#if defined(EP_FLAVOUR_LAZY)
    tcase_add_test(tc, test_unbound_slot_old_value_is_the_plt_stub);
#else
    tcase_add_test(tc, test_bound_slot_old_value_is_the_function);
#endif
    tcase_add_test(tc, test_patch_loaded_skips_vdso_linker_and_self);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* Each test must start from a freshly loaded process (see the top). */
    return check_suite_run(patch_suite());
}
