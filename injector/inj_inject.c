/* inj_inject.c: find libc's and libscope's functions in the target and call
 * them there (see inj_inject.h). */
#include "inj_inject.h"
#include "inj_rdebug.h"
#include "rep_clock.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* glibc's private flag that makes __libc_dlopen_mode behave like dlopen. */
#define RTLD_DLOPEN_PRIVATE 0x80000000ULL

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

/* libc's __restore_rt, the restorer its sigaction gives the kernel, found
 * by its code (it is not exported): `mov $15, %rax; syscall`, the same in
 * glibc and musl. Read from the target's memory, its executable mappings of
 * libc. 0, or -ENOENT. */
static int find_restorer(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *libc,
                         uintptr_t *addr)
{
    static const unsigned char code[] = {0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05};
    static unsigned char buf[65536 + sizeof code];

    for (size_t i = 0; i < maps->n; i++) {
        const struct inj_mapping *m = &maps->v[i];
        if (m->perms[2] != 'x' || strcmp(m->path, libc->path) != 0)
            continue;
        /* Chunks that overlap by the length of the code, to find it across
         * a boundary. */
        for (uintptr_t at = m->start; at < m->end; at += sizeof buf - sizeof code) {
            size_t len = m->end - at < sizeof buf ? m->end - at : sizeof buf;
            if (inj_proc_read(pid, at, buf, len) != 0)
                break;
            unsigned char *hit = memmem(buf, len, code, sizeof code);
            if (hit) {
                *addr = at + (uintptr_t)(hit - buf);
                return 0;
            }
            if (len < sizeof buf)
                break;
        }
    }
    return -ENOENT;
}

int inj_libc_symbol(pid_t pid, const struct inj_maps *maps, const char *name, uintptr_t *addr)
{
    const struct inj_mapping *libc = find_libc(maps);
    return libc ? inj_proc_dynsym(pid, maps, libc, name, addr) : -ENOENT;
}

/* dlopen itself (glibc >= 2.34, musl), or older glibc's __libc_dlopen_mode
 * (called with __RTLD_DLOPEN, 0x80000000, added to the flags). */
static int resolve_dlopen(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *libc,
                          struct inj_libc *c)
{
    c->dlopen_flags = RTLD_NOW;
    if (inj_proc_dynsym(pid, maps, libc, "dlopen", &c->dlopen) == 0)
        return 0;
    c->dlopen_flags = RTLD_NOW | RTLD_DLOPEN_PRIVATE;
    return inj_proc_dynsym(pid, maps, libc, "__libc_dlopen_mode", &c->dlopen);
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
    if ((rc = inj_proc_dynsym(pid, maps, libc, "sigaltstack", &c->sigaltstack)) == 0 &&
        (rc = find_restorer(pid, maps, libc, &c->restorer)) == 0)
        rc = resolve_dlopen(pid, maps, libc, c);
    if (rc != 0) {
        snprintf(why, whylen, "cannot find sigaltstack, the signal restorer and dlopen in %s "
                 "(as seen by %d): %s", libc->path, (int)pid, strerror(-rc));
        return -1;
    }
    if (inj_proc_dynsym(pid, maps, libc, "dlerror", &c->dlerror) != 0)
        c->dlerror = 0;     /* glibc < 2.34 keeps it in libdl */
    /* musl exports no _r_debug: its structure is the program's DT_DEBUG. */
    if ((!ld || inj_proc_dynsym(pid, maps, ld, "_r_debug", &c->r_debug) != 0) &&
        inj_rdebug_from_dynamic(pid, &c->r_debug) != 0)
        c->r_debug = 0;
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

/* dlopen's handle is lost with the safe call: the library mapped and its
 * status there say whether it loaded. */
int inj_dlopen(struct inj_tracee *t, const struct inj_libc *c, uintptr_t path)
{
    struct scope_ctl_status st;
    uint64_t args[] = {path, c->dlopen_flags};
    int rc = inj_ptrace_call_safe(t, c->dlopen, args, 2, "dlopen");

    if (rc != 0)
        return rc;
    return inj_scope_status(t->tid, &st, NULL, 0) == 0 ? 0 : dlerror_text(t, c);
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
    rc = lib ? inj_proc_dynsym(pid, &maps, lib, name, addr) : -ENOENT;
    if (rc != 0)
        snprintf(why, whylen, "cannot find %s in libscope.so in %d: %s", name, (int)pid,
                 lib ? strerror(-rc) : "the library is not mapped");
    inj_maps_free(&maps);
    return rc ? -1 : 0;
}
int inj_scope_call(struct inj_tracee *t, const struct inj_libc *libc, const char *fn,
                   const uint64_t *arg, int nargs, double *ms)
{
    uintptr_t addr;
    struct timespec t0;

    if (inj_scope_symbol(t->tid, fn, &addr, t->why, sizeof t->why) < 0)
        return INJ_FAILED;
    t->restorer = libc->restorer;
    t->sigaltstack_fn = libc->sigaltstack;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = inj_ptrace_call_safe(t, addr, arg, nargs, fn);
    *ms = rep_ms_since(&t0);
    return rc;
}

/* The path goes below the thread's red zone, where the calls' frames go
 * too: nothing of ours is left in the target after. */
int inj_load(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
             struct inj_timings *tm)
{
    uintptr_t lib_at;
    struct timespec t0;
    int rc;

    t->restorer = libc->restorer;
    t->sigaltstack_fn = libc->sigaltstack;
    if ((rc = inj_ptrace_push(t, lib, strlen(lib) + 1, &lib_at)) != 0 ||
        (rc = inj_loader_check(t, libc)) != 0)
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = inj_dlopen(t, libc, lib_at);
    tm->dlopen_ms = rep_ms_since(&t0);
    return rc;
}

int inj_attach_call(struct inj_tracee *t, const struct inj_libc *libc, const char *config,
                    struct inj_timings *tm, int *result)
{
    struct scope_ctl_status st;
    uintptr_t cfg_at;
    int rc;

    if ((rc = inj_ptrace_push(t, config, strlen(config) + 1, &cfg_at)) != 0 ||
        (rc = inj_scope_call(t, libc, "scope_ctl_attach", &cfg_at, 1, &tm->call_ms)) != 0)
        return rc;
    /* Its result is lost with the safe call: its status says it. */
    *result = inj_scope_status(t->tid, &st, NULL, 0) == 0 && st.state == SCOPE_CTL_ATTACHED
                  ? 0 : -1;
    return 0;
}

int inj_load_and_attach(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
                        const char *config, int loaded, struct inj_timings *tm, int *result)
{
    int rc = loaded ? 0 : inj_load(t, libc, lib, tm);

    return rc ? rc : inj_attach_call(t, libc, config, tm, result);
}
