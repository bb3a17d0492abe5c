/* ip_hooks.c: the hook table, and where each real function is. */
#include "ip_hooks.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define IP_HOOK(ret, name, params) ret (*ip_real_##name) params;
#include "ip_hooks.def"
#undef IP_HOOK

const struct ep_hook ip_hook_table[] = {
#define IP_HOOK(ret, fn, params) { .name = #fn, .wrapper = (void *)ip_wrap_##fn },
#include "ip_hooks.def"
#undef IP_HOOK
};

const size_t ip_hook_count = sizeof ip_hook_table / sizeof ip_hook_table[0];

static void **const real_slots[] = {
#define IP_HOOK(ret, name, params) (void **)&ip_real_##name,
#include "ip_hooks.def"
#undef IP_HOOK
};

/* Libraries other than libc whose functions are hooked, for a program that
 * loaded them with RTLD_LOCAL, out of the default scope (python's _ssl
 * module brings libssl so). Each is asked by name, and only if loaded
 * (RTLD_NOLOAD). Not by walking the loaded objects: dlsym from a
 * dl_iterate_phdr callback takes the loader's two locks in the order
 * opposite to a dlopen on another thread, and the two threads deadlock. */
static const char *const hook_libraries[] = {
    "libssl.so.3", "libssl.so.1.1", "libgnutls.so.30",
};
#define HOOK_LIBRARIES (sizeof hook_libraries / sizeof hook_libraries[0])

/* Which of them are mapped: a line of /proc/self/maps ends in "/NAME".
 * All, when the file cannot be read (then each is asked anyway). */
static void libraries_mapped(bool mapped[HOOK_LIBRARIES])
{
    enum { CHUNK = 4096, OVERLAP = 64 };
    char buf[CHUNK + OVERLAP], want[OVERLAP];
    size_t kept = 0;
    ssize_t n = -1;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

    for (size_t i = 0; i < HOOK_LIBRARIES; i++)
        mapped[i] = false;
    while (fd >= 0 && (n = read(fd, buf + kept, CHUNK)) > 0) {
        size_t len = kept + (size_t)n;
        for (size_t i = 0; i < HOOK_LIBRARIES; i++) {
            int w = snprintf(want, sizeof want, "/%s\n", hook_libraries[i]);
            mapped[i] = mapped[i] || memmem(buf, len, want, (size_t)w) != NULL;
        }
        /* a name cut by the chunk's end is found whole in the next */
        kept = len < OVERLAP ? len : OVERLAP;
        memmove(buf, buf + len - kept, kept);
    }
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; n < 0 && i < HOOK_LIBRARIES; i++)
        mapped[i] = true;
}

/* Each asked once per resolve, not once per name, and only when mapped:
 * dlopen of a name that is not loaded still searches the disk for it (a
 * dozen system calls or more), and under attach each system call of ours
 * is two ptrace stops of the target. */
static void libraries_open(void *handles[HOOK_LIBRARIES])
{
    bool mapped[HOOK_LIBRARIES];

    libraries_mapped(mapped);
    for (size_t i = 0; i < HOOK_LIBRARIES; i++)
        handles[i] = mapped[i] ? dlopen(hook_libraries[i], RTLD_LAZY | RTLD_NOLOAD) : NULL;
}

static void libraries_close(void *handles[HOOK_LIBRARIES])
{
    for (size_t i = 0; i < HOOK_LIBRARIES; i++)
        if (handles[i])
            dlclose(handles[i]);
}

static void *lookup_anywhere(const char *name, void *const handles[HOOK_LIBRARIES])
{
    void *found = dlsym(RTLD_DEFAULT, name);

    for (size_t i = 0; !found && i < HOOK_LIBRARIES; i++)
        if (handles[i])
            found = dlsym(handles[i], name);
    return found;
}

/* Where the program's own segments lie. */
struct program_span {
    uintptr_t lo, hi;
};

static int program_span_read(struct dl_phdr_info *obj, size_t size, void *data)
{
    struct program_span *span = data;

    for (size_t i = 0; i < obj->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &obj->dlpi_phdr[i];
        uintptr_t start = obj->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD)
            continue;
        if (start < span->lo)
            span->lo = start;
        if (start + ph->p_memsz > span->hi)
            span->hi = start + ph->p_memsz;
    }
    return 1;   /* the first object is the program: the walk stops there */
}

/* A program that takes the address of a libc function (python3 does, of
 * fchdir) has a canonical PLT entry for it: an undefined dynamic symbol
 * with the stub's address, which the default lookup returns. The stub
 * jumps through the GOT slot we patch, so calling it would call the
 * wrapper again, for ever: the definition is then libc's.
 * Only the program has such entries (a shared object takes a function's
 * address through its GOT), and dladdr1 reads every symbol of the object
 * it looks in (2 ms for all the hooks in libc, with the target stopped
 * under attach): only an address in the program is asked about. */
static void *real_of(const char *name, void *const handles[HOOK_LIBRARIES],
                     const struct program_span *program)
{
    void *f = lookup_anywhere(name, handles);
#ifdef __GLIBC__
    const ElfW(Sym) *sym = NULL;
    Dl_info info;

    if (f && (uintptr_t)f >= program->lo && (uintptr_t)f < program->hi &&
        dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) && sym &&
        sym->st_shndx == SHN_UNDEF) {
        void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        f = libc ? dlsym(libc, name) : NULL;
        if (libc)
            dlclose(libc);
    }
#else
    (void)program;
#endif
    /* musl has no dladdr1 to tell a stub from a definition: its dlsym is
     * taken as it is (the musl tests have no canonical PLT entry). */
    return f;
}

/* The real function is looked up by name, never taken from a GOT slot: a
 * lazily bound slot holds the PLT resolver stub, and a call through it
 * would have the resolver write the real address over our wrapper.
 * libscope exports none of these names, so the default lookup scope finds
 * the program's libc. */
int ip_hooks_resolve(struct ep_hook *usable, size_t *nusable)
{
    void *handles[HOOK_LIBRARIES];
    struct program_span program = {UINTPTR_MAX, 0};
    int missing = 0;

    *nusable = 0;
    dl_iterate_phdr(program_span_read, &program);
    libraries_open(handles);
    for (size_t i = 0; i < ip_hook_count; i++) {
        void *real = real_of(ip_hook_table[i].name, handles, &program);
        if (!real) {
            missing++;
            continue;
        }
        __atomic_store_n(real_slots[i], real, __ATOMIC_RELEASE);
        usable[*nusable] = ip_hook_table[i];
        usable[(*nusable)++].real = real;
    }
    libraries_close(handles);
    return missing;
}

/* dlsym is not a hot path: a walk of the table is fine. The pointer is
 * compared first; the name keeps an alias (__write) what it is. */
void *ip_hooks_wrapper_of(const char *name, void *fn)
{
    for (size_t i = 0; i < ip_hook_count; i++)
        if (__atomic_load_n(real_slots[i], __ATOMIC_ACQUIRE) == fn &&
            strcmp(ip_hook_table[i].name, name) == 0)
            return ip_hook_table[i].wrapper;
    return fn;
}
