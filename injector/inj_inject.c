/* inj_inject.c: find libc's and libscope's functions in the target and call
 * them there (see inj_inject.h). */
#include "inj_inject.h"
#include "inj_clock.h"
#include "elfpatch.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* glibc's private flag that makes __libc_dlopen_mode behave like dlopen. */
#define RTLD_DLOPEN_PRIVATE 0x80000000ULL

/* The address in pid of `name` exported by the object mapped as m. */
static int symbol_at(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *m,
                     const char *name, uintptr_t *addr)
{
    char file[PATH_MAX + 64];
    uint64_t value;

    inj_proc_file_path(pid, m->path, file, sizeof file);
    int rc = ep_elf_dynsym(file, name, &value);
    if (rc == 0)
        *addr = inj_maps_base(maps, m) + value;
    return rc;
}

static const struct inj_mapping *find_libc(const struct inj_maps *maps)
{
    const struct inj_mapping *m = inj_maps_find(maps, "libc.so");
    /* musl's libc is its dynamic linker. */
    return m ? m : inj_maps_find(maps, "ld-musl");
}

static const struct inj_mapping *find_loader(const struct inj_maps *maps)
{
    const struct inj_mapping *m = inj_maps_find(maps, "ld-linux");
    return m ? m : inj_maps_find(maps, "ld-musl");
}

/* dlopen itself (glibc >= 2.34, musl), or older glibc's __libc_dlopen_mode
 * (called with __RTLD_DLOPEN, 0x80000000, added to the flags). */
static int resolve_dlopen(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *libc,
                          struct inj_libc *c)
{
    c->dlopen_flags = RTLD_NOW;
    if (symbol_at(pid, maps, libc, "dlopen", &c->dlopen) == 0)
        return 0;
    c->dlopen_flags = RTLD_NOW | RTLD_DLOPEN_PRIVATE;
    return symbol_at(pid, maps, libc, "__libc_dlopen_mode", &c->dlopen);
}

int inj_libc_resolve(pid_t pid, const struct inj_maps *maps, struct inj_libc *c,
                     char *why, size_t whylen)
{
    const struct inj_mapping *libc = find_libc(maps), *ld = find_loader(maps);
    int rc;

    memset(c, 0, sizeof *c);
    if (!libc) {
        snprintf(why, whylen, "no libc is mapped in %d: scope can only load its library "
                 "through the process's own libc", (int)pid);
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s", libc->path);
    /* The file on disk is not the code in memory any more (an upgrade). */
    if (strstr(libc->path, " (deleted)")) {
        snprintf(why, whylen, "the libc mapped in %d (%s) was replaced on disk since the "
                 "process started; scope cannot read the one in memory: restart it first",
                 (int)pid, libc->path);
        return -1;
    }
    if ((rc = symbol_at(pid, maps, libc, "mmap", &c->mmap)) == 0 &&
        (rc = symbol_at(pid, maps, libc, "munmap", &c->munmap)) == 0)
        rc = resolve_dlopen(pid, maps, libc, c);
    if (rc != 0) {
        snprintf(why, whylen, "cannot find mmap, munmap and dlopen in %s (as seen by %d): %s",
                 libc->path, (int)pid, strerror(-rc));
        return -1;
    }
    if (symbol_at(pid, maps, libc, "dlerror", &c->dlerror) != 0)
        c->dlerror = 0;     /* glibc < 2.34 keeps it in libdl */
    if (ld && symbol_at(pid, maps, ld, "_r_debug", &c->r_debug) != 0)
        c->r_debug = 0;     /* musl has none */
    return 0;
}

int inj_loader_check(struct inj_tracee *t, const struct inj_libc *c)
{
    struct r_debug r;
    int rc;

    if (!c->r_debug)
        return 0;
    if ((rc = inj_proc_read(t->tid, c->r_debug, &r, sizeof r)) != 0) {
        snprintf(t->why, sizeof t->why, "cannot read _r_debug in %d: %s", (int)t->pid,
                 strerror(-rc));
        return INJ_FAILED;
    }
    if (r.r_state != RT_CONSISTENT) {
        snprintf(t->why, sizeof t->why, "the dynamic linker of %d is busy %s a library; "
                 "try again", (int)t->pid, r.r_state == RT_ADD ? "loading" : "unloading");
        return INJ_FAILED;
    }
    return 0;
}

int inj_scratch_map(struct inj_tracee *t, const struct inj_libc *c, size_t len, uintptr_t *addr)
{
    uint64_t args[] = {0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       (uint64_t)-1, 0};
    uint64_t ret;
    int rc = inj_ptrace_call(t, c->mmap, args, 6, &ret, "mmap");

    if (rc != 0)
        return rc;
    if (ret == (uint64_t)MAP_FAILED) {
        snprintf(t->why, sizeof t->why, "mmap of %zu bytes failed in %d", len, (int)t->pid);
        return INJ_FAILED;
    }
    *addr = (uintptr_t)ret;
    return 0;
}

int inj_scratch_unmap(struct inj_tracee *t, const struct inj_libc *c, uintptr_t addr, size_t len)
{
    uint64_t args[] = {addr, len}, ret;
    int rc = inj_ptrace_call(t, c->munmap, args, 2, &ret, "munmap");

    if (rc == 0 && (int)ret != 0) {
        snprintf(t->why, sizeof t->why, "munmap of scope's scratch page failed in %d", (int)t->pid);
        return INJ_FAILED;
    }
    return rc;
}

/* dlerror()'s text, read from the target, into t->why. */
static int dlerror_text(struct inj_tracee *t, const struct inj_libc *c)
{
    char text[400];
    uint64_t msg;
    int rc;

    if (!c->dlerror) {
        snprintf(t->why, sizeof t->why, "dlopen failed in %d (this libc has no dlerror "
                 "to say why)", (int)t->pid);
        return INJ_FAILED;
    }
    if ((rc = inj_ptrace_call(t, c->dlerror, NULL, 0, &msg, "dlerror")) != 0)
        return rc;
    /* The text may end near the end of a page: read less until it fits. */
    size_t len = sizeof text - 1;
    while (msg && len >= 16 && inj_proc_read(t->tid, msg, text, len) != 0)
        len /= 2;
    if (!msg || len < 16)
        snprintf(text, sizeof text, "no reason given");
    text[len] = '\0';
    snprintf(t->why, sizeof t->why, "dlopen failed in %d: %s", (int)t->pid, text);
    return INJ_FAILED;
}

int inj_dlopen(struct inj_tracee *t, const struct inj_libc *c, uintptr_t path)
{
    uint64_t args[] = {path, c->dlopen_flags}, handle;
    int rc = inj_ptrace_call(t, c->dlopen, args, 2, &handle, "dlopen");

    if (rc != 0)
        return rc;
    return handle ? 0 : dlerror_text(t, c);
}

int inj_scope_symbol(pid_t pid, const char *name, uintptr_t *addr, char *why, size_t whylen)
{
    struct inj_maps maps;
    int rc = inj_maps_read(pid, &maps);

    if (rc < 0) {
        snprintf(why, whylen, "cannot read /proc/%d/maps: %s", (int)pid, strerror(-rc));
        return -1;
    }
    const struct inj_mapping *lib = inj_maps_find(&maps, "libscope.so");
    rc = lib ? symbol_at(pid, &maps, lib, name, addr) : -ENOENT;
    if (rc != 0)
        snprintf(why, whylen, "cannot find %s in libscope.so in %d: %s", name, (int)pid,
                 lib ? strerror(-rc) : "the library is not mapped");
    inj_maps_free(&maps);
    return rc ? -1 : 0;
}
int inj_scope_call(struct inj_tracee *t, const char *fn, const uint64_t *arg, int nargs,
                   int *result, double *ms)
{
    uintptr_t addr;
    uint64_t ret;
    struct timespec t0;

    if (inj_scope_symbol(t->tid, fn, &addr, t->why, sizeof t->why) < 0)
        return INJ_FAILED;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = inj_ptrace_call(t, addr, arg, nargs, &ret, fn);
    *ms = inj_ms_since(&t0);
    *result = (int)(uint32_t)ret;
    return rc;
}

/* The scratch page is unmapped whatever happened: none of our bytes stay
 * behind in the target. */
int inj_load_and_attach(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
                        const char *config, int loaded, struct inj_timings *tm, int *result)
{
    size_t lib_len = strlen(lib) + 1, cfg_len = strlen(config) + 1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (lib_len + cfg_len + page - 1) / page * page;
    uintptr_t scratch;
    uint64_t cfg_at;
    char why[sizeof t->why];
    struct timespec t0;

    int rc = inj_scratch_map(t, libc, len, &scratch);
    if (rc != 0)
        return rc;
    cfg_at = scratch + lib_len;
    if ((rc = inj_ptrace_write(t, scratch, lib, lib_len)) == 0)
        rc = inj_ptrace_write(t, cfg_at, config, cfg_len);
    if (rc == 0 && !loaded && (rc = inj_loader_check(t, libc)) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = inj_dlopen(t, libc, scratch);
        tm->dlopen_ms = inj_ms_since(&t0);
    }
    if (rc == 0)
        rc = inj_scope_call(t, "scope_ctl_attach", &cfg_at, 1, result, &tm->call_ms);
    if (rc == INJ_EXITED)
        return rc;
    memcpy(why, t->why, sizeof why);
    int unmapped = inj_scratch_unmap(t, libc, scratch, len);
    if (rc == 0)
        return unmapped;
    memcpy(t->why, why, sizeof why);
    return rc;
}

