/* test_mem.c: unit tests of ep_mem_dynsym, the dynamic symbols of an object
 * read in memory (how scope finds libscope.so's functions in a process
 * whose memfd it cannot open).
 *
 * Two kinds of object: this process's own libc, read with process_vm_readv
 * as the injector reads a target (its dynamic section relocated in place by
 * glibc's loader), checked against the file's symbols; and a small image
 * built here in a buffer (its dynamic entries as linked, as musl leaves
 * them), then made to lie in every table: each lie is a clear error, and
 * no read is large or outside the image.
 */
#include "elfpatch.h"
#include "ep_elf_mem.h"

#include "check_suite.h"
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- this process's libc ---------------------------------------------- */

static int self_read(uint64_t addr, void *buf, size_t len, void *arg)
{
    struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

    (void)arg;
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

struct found {
    uintptr_t base;
    char path[256];
};

static int find_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct found *f = arg;

    (void)size;
    if (!strstr(info->dlpi_name, "libc.so"))
        return 0;
    f->base = info->dlpi_addr;
    snprintf(f->path, sizeof f->path, "%s", info->dlpi_name);
    return 1;
}

START_TEST(test_libc_in_memory_is_the_file)
{
    static const char *const names[] = { "write", "dlopen", "sigaltstack", "dlerror", "mmap" };
    struct found libc = { 0, "" };

    ck_assert_int_eq(dl_iterate_phdr(find_libc, &libc), 1);
    struct ep_mem_image img = { self_read, NULL, libc.base };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t mem = 0, file = 0;
        ck_assert_int_eq(ep_elf_dynsym(libc.path, names[i], &file), 0);
        ck_assert_int_eq(ep_mem_dynsym(&img, names[i], &mem), 0);
        ck_assert_uint_eq(mem, file);
    }
    uint64_t value;
    ck_assert_int_eq(ep_mem_dynsym(&img, "write", &value), 0);
    /* libc's own, not an interceptor's (ASan's) the default scope finds */
    void *handle = dlopen(libc.path, RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(handle);
    ck_assert_ptr_eq((void *)(libc.base + value), dlsym(handle, "write"));
    dlclose(handle);
    ck_assert_int_eq(ep_mem_dynsym(&img, "scope_no_such_symbol", &value), -ENOENT);
}
END_TEST

/* ---- an image built here ------------------------------------------------ */

#define IMG_SIZE 0x10000
#define IMG_BASE 0x7f0000000000ULL
#define OFF_DYN 0x200
#define OFF_HASH 0x400
#define OFF_GNU 0x600
#define OFF_SYM 0x800
#define OFF_STR 0xc00

static unsigned char image[IMG_SIZE];
static size_t reads, biggest;

/* The image at IMG_BASE; anything else is unmapped. Every read is
 * counted. */
static int image_read(uint64_t addr, void *buf, size_t len, void *arg)
{
    (void)arg;
    reads++;
    biggest = len > biggest ? len : biggest;
    if (addr < IMG_BASE || addr - IMG_BASE > IMG_SIZE || len > IMG_SIZE - (addr - IMG_BASE))
        return -EFAULT;
    memcpy(buf, image + (addr - IMG_BASE), len);
    return 0;
}

static const char strtab[] = "\0alpha\0beta\0gamma";
static const struct { unsigned name; uint64_t value; uint16_t shndx; } syms[] = {
    { 0, 0, 0 }, { 1, 0x1234, 1 }, { 7, 0, SHN_UNDEF }, { 12, 0x5678, 1 },
};
#define NSYMS (sizeof syms / sizeof syms[0])

static void *at(size_t off)
{
    return image + off;
}

static Elf64_Dyn *dyn(void)
{
    return at(OFF_DYN);
}

static uint32_t *gnu(void)
{
    return at(OFF_GNU);
}

static uint32_t *sysv(void)
{
    return at(OFF_HASH);
}

/* nbucket 1: every symbol in one chain, from 3 down to 1. */
static void sysv_build(void)
{
    uint32_t *h = sysv();
    h[0] = 1;
    h[1] = NSYMS;
    h[2] = NSYMS - 1;
    for (uint32_t i = 0; i < NSYMS; i++)
        h[3 + i] = i ? i - 1 : 0;
}

/* One bucket, one bloom word (all set), symbols 1 and up in the chain. */
static void gnu_build(void)
{
    uint32_t *h = gnu();
    h[0] = 1;
    h[1] = 1;
    h[2] = 1;
    h[3] = 6;
    memset(&h[4], 0xff, 8);
    h[6] = 1;
    for (uint32_t i = 1; i < NSYMS; i++)
        h[7 + i - 1] = (ep_mem_gnu_hash(strtab + syms[i].name) & ~1u) | (i == NSYMS - 1);
}

/* ET_DYN at IMG_BASE: one PT_LOAD over the whole image, PT_DYNAMIC; the
 * dynamic entries unrelocated; DT_GNU_HASH only when with_gnu. */
static void image_build(int with_gnu)
{
    memset(image, 0, sizeof image);
    Elf64_Ehdr *eh = at(0);
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_type = ET_DYN;
    eh->e_machine = EM_X86_64;
    eh->e_phoff = sizeof *eh;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    Elf64_Phdr *ph = at(sizeof *eh);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_filesz = IMG_SIZE, .p_memsz = IMG_SIZE };
    ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_offset = OFF_DYN, .p_vaddr = OFF_DYN,
                          .p_filesz = 8 * sizeof(Elf64_Dyn), .p_memsz = 8 * sizeof(Elf64_Dyn) };
    Elf64_Dyn *d = dyn();
    size_t n = 0;
    d[n++] = (Elf64_Dyn){ DT_HASH, { OFF_HASH } };
    if (with_gnu)
        d[n++] = (Elf64_Dyn){ DT_GNU_HASH, { OFF_GNU } };
    d[n++] = (Elf64_Dyn){ DT_SYMTAB, { OFF_SYM } };
    d[n++] = (Elf64_Dyn){ DT_STRTAB, { OFF_STR } };
    d[n++] = (Elf64_Dyn){ DT_STRSZ, { sizeof strtab } };
    d[n++] = (Elf64_Dyn){ DT_SYMENT, { sizeof(Elf64_Sym) } };
    d[n++] = (Elf64_Dyn){ DT_NULL, { 0 } };
    Elf64_Sym *s = at(OFF_SYM);
    for (size_t i = 0; i < NSYMS; i++)
        s[i] = (Elf64_Sym){ .st_name = syms[i].name, .st_value = syms[i].value,
                            .st_shndx = syms[i].shndx,
                            .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC) };
    memcpy(at(OFF_STR), strtab, sizeof strtab);
    sysv_build();
    if (with_gnu)
        gnu_build();
    reads = biggest = 0;
}

static Elf64_Dyn *dyn_entry(Elf64_Sxword tag)
{
    for (Elf64_Dyn *d = dyn(); d->d_tag != DT_NULL; d++)
        if (d->d_tag == tag)
            return d;
    ck_abort_msg("no dynamic entry %ld", (long)tag);
    return NULL;
}

static int lookup(const char *name, uint64_t *value)
{
    struct ep_mem_image img = { image_read, NULL, IMG_BASE };
    int rc = ep_mem_dynsym(&img, name, value);

    /* Whatever the image says: small reads, and few (a chain's walk is
     * bounded at 4096 symbols, two reads each). */
    ck_assert_uint_le(biggest, EP_MEM_READ_MAX);
    ck_assert_uint_le(reads, 2 * 4096 + 16);
    return rc;
}

static void assert_found(void)
{
    uint64_t value = 0;

    ck_assert_int_eq(lookup("alpha", &value), 0);
    ck_assert_uint_eq(value, 0x1234);
    ck_assert_int_eq(lookup("gamma", &value), 0);
    ck_assert_uint_eq(value, 0x5678);
    ck_assert_int_eq(lookup("beta", &value), -ENOENT);     /* undefined there */
    ck_assert_int_eq(lookup("delta", &value), -ENOENT);
    ck_assert_int_eq(lookup("alph", &value), -ENOENT);
}

START_TEST(test_gnu_hash_image)
{
    image_build(1);
    assert_found();
}
END_TEST

START_TEST(test_sysv_hash_image)
{
    image_build(0);
    assert_found();
}
END_TEST

/* glibc's loader leaves the tables' addresses relocated: both readings. */
START_TEST(test_relocated_dynamic_entries)
{
    static const Elf64_Sxword tags[] = { DT_HASH, DT_GNU_HASH, DT_SYMTAB, DT_STRTAB };

    image_build(1);
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        dyn_entry(tags[i])->d_un.d_ptr += IMG_BASE;
    assert_found();
}
END_TEST

/* ---- lies ------------------------------------------------------------------ */

static void assert_lie(const char *name, int want)
{
    uint64_t value = 0xdead;

    ck_assert_int_eq(lookup(name, &value), want);
    ck_assert_uint_eq(value, 0xdead);
}

START_TEST(test_not_elf)
{
    image_build(1);
    image[1] = 'X';
    assert_lie("gamma", -ENOEXEC);
    image_build(1);
    ((Elf64_Ehdr *)at(0))->e_machine = EM_AARCH64;
    assert_lie("gamma", -ENOEXEC);
}
END_TEST

START_TEST(test_lying_program_headers)
{
    image_build(1);
    ((Elf64_Ehdr *)at(0))->e_phnum = 0xffff;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    ((Elf64_Ehdr *)at(0))->e_phoff = 0xfffffffffffff000ULL;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    ((Elf64_Phdr *)at(sizeof(Elf64_Ehdr)))[0].p_memsz = ~0ULL;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    ((Elf64_Phdr *)at(sizeof(Elf64_Ehdr)))[1].p_type = PT_NOTE;     /* no PT_DYNAMIC */
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    ((Elf64_Phdr *)at(sizeof(Elf64_Ehdr)))[1].p_vaddr = IMG_SIZE;   /* past the object */
    assert_lie("gamma", -EBADMSG);
}
END_TEST

START_TEST(test_lying_dynamic_section)
{
    image_build(1);
    dyn_entry(DT_STRTAB)->d_un.d_ptr = 0x100000000ULL;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    dyn_entry(DT_SYMTAB)->d_un.d_ptr = IMG_BASE + IMG_SIZE;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    dyn_entry(DT_SYMENT)->d_un.d_val = 16;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    dyn_entry(DT_STRSZ)->d_un.d_val = ~0ULL;
    assert_lie("gamma", -EBADMSG);
    /* no DT_NULL within PT_DYNAMIC, nor within the image */
    image_build(1);
    ((Elf64_Phdr *)at(sizeof(Elf64_Ehdr)))[1].p_memsz = IMG_SIZE;
    for (Elf64_Dyn *d = dyn(); (unsigned char *)(d + 1) <= image + IMG_SIZE; d++)
        if (d->d_tag == DT_NULL)
            d->d_tag = DT_DEBUG;
    assert_lie("gamma", -EBADMSG);
}
END_TEST

/* DT_STRSZ too small for the names: a name past it is a lie, not read. */
START_TEST(test_lying_names)
{
    image_build(1);
    dyn_entry(DT_STRSZ)->d_un.d_val = 8;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    ((Elf64_Sym *)at(OFF_SYM))[3].st_name = 0x7fffffff;
    assert_lie("gamma", -EBADMSG);
}
END_TEST

START_TEST(test_lying_gnu_hash)
{
    image_build(1);
    gnu()[0] = 0xffffffff;      /* buckets past the end */
    gnu()[2] = 0xffffffff;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    gnu()[6] = 0xfffffff0;      /* a bucket's symbol past the table */
    gnu()[1] = 0;
    assert_lie("gamma", -EBADMSG);
    image_build(1);
    gnu()[1] = 2;               /* a bucket's symbol below symoffset */
    assert_lie("gamma", -EBADMSG);
    /* a chain with no end, of hashes that never match */
    image_build(1);
    for (size_t off = OFF_GNU + 7 * 4; off < IMG_SIZE; off += 4)
        *(uint32_t *)at(off) = 2;
    assert_lie("gamma", -EBADMSG);
}
END_TEST

START_TEST(test_lying_sysv_hash)
{
    image_build(0);
    sysv()[2] = 0x7fffffff;     /* a bucket's symbol past nchain */
    assert_lie("gamma", -EBADMSG);
    image_build(0);
    sysv()[1] = 0x7fffffff;     /* nchain past the table */
    sysv()[2] = 0x10000000;
    assert_lie("gamma", -EBADMSG);
    image_build(0);
    sysv()[3 + 2] = 2;          /* a chain that loops on itself, past gamma */
    assert_lie("alpha", -EBADMSG);
}
END_TEST

START_TEST(test_unreadable_memory)
{
    struct ep_mem_image img = { image_read, NULL, IMG_BASE + 2 * IMG_SIZE };
    uint64_t value;

    image_build(1);
    ck_assert_int_eq(ep_mem_dynsym(&img, "gamma", &value), -EFAULT);
}
END_TEST

static Suite *mem_suite(void)
{
    Suite *s = suite_create("elfpatch_mem");
    TCase *tc = tcase_create("mem");
    tcase_add_test(tc, test_libc_in_memory_is_the_file);
    tcase_add_test(tc, test_gnu_hash_image);
    tcase_add_test(tc, test_sysv_hash_image);
    tcase_add_test(tc, test_relocated_dynamic_entries);
    tcase_add_test(tc, test_not_elf);
    tcase_add_test(tc, test_lying_program_headers);
    tcase_add_test(tc, test_lying_dynamic_section);
    tcase_add_test(tc, test_lying_names);
    tcase_add_test(tc, test_lying_gnu_hash);
    tcase_add_test(tc, test_lying_sysv_hash);
    tcase_add_test(tc, test_unreadable_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_suite_run(mem_suite());
}
