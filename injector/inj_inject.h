/* inj_inject.h: the functions scope calls inside the target (its own libc's
 * sigaltstack, dlopen, dlerror; libscope's control API), found in the
 * target's files as the target sees them, and the calls themselves.
 *
 * Addresses are resolved before the target is stopped (reading ELF files
 * takes milliseconds); the calls run on a thread stopped by inj_ptrace.
 */
#ifndef INJ_INJECT_H
#define INJ_INJECT_H

#include "inj_proc.h"
#include "inj_ptrace.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inj_libc {
    uintptr_t sigaltstack, dlopen, dlerror;    /* dlerror: 0 when not in libc */
    uintptr_t restorer;         /* __restore_rt (see inj_ptrace_call_safe) */
    uint64_t dlopen_flags;      /* RTLD_NOW, plus __RTLD_DLOPEN for __libc_dlopen_mode */
    uintptr_t r_debug;          /* &_r_debug in the dynamic linker, or what the
                                   program's DT_DEBUG points to (musl); 0: none */
    char path[PATH_MAX];        /* libc's path in the target */
};

/* Find what scope calls in the libc mapped in pid (maps: its memory map).
 * 0, or -1 with the reason in why (libc missing, replaced on disk, or
 * lacking dlopen). */
int inj_libc_resolve(pid_t pid, const struct inj_maps *maps, struct inj_libc *c,
                     char *why, size_t whylen);

/* The address in pid of `name` exported by its libc: 0, or -errno. */
int inj_libc_symbol(pid_t pid, const struct inj_maps *maps, const char *name, uintptr_t *addr);

/* 0 when the dynamic linker is not in the middle of loading or unloading
 * something (_r_debug.r_state is RT_CONSISTENT: calling dlopen
 * meanwhile makes ld.so abort with "Inconsistency detected"), else INJ_FAILED/INJ_EXITED with t->why set. */
int inj_loader_check(struct inj_tracee *t, const struct inj_libc *c);

/* dlopen(path, RTLD_NOW) in the target, path being a string in its memory.
 * On failure t->why holds dlerror()'s text. */
int inj_dlopen(struct inj_tracee *t, const struct inj_libc *c, uintptr_t path);

/* The address of libscope's exported `name` in pid, read from its memory
 * map (the library must be loaded). 0, or -1 with why. */
int inj_scope_symbol(pid_t pid, const char *name, uintptr_t *addr, char *why, size_t whylen);

/* libscope's `fn`(arg[0..nargs)) on the stopped thread, safe to abandon
 * (its result is lost: read libscope's status after), how long it took in
 * *ms. */
int inj_scope_call(struct inj_tracee *t, const struct inj_libc *libc, const char *fn,
                   const uint64_t *arg, int nargs, double *ms);

struct inj_timings {
    double dlopen_ms, call_ms;
};

/* The library's path below the stopped thread's red zone, dlopen'ed. 0,
 * INJ_FAILED (t->why) or INJ_EXITED. */
int inj_load(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
             struct inj_timings *tm);

/* The configuration ("KEY=VALUE\n" lines) below the red zone,
 * scope_ctl_attach(config) called: *result 0 when it is attached, -1 when
 * not (its status says why). */
int inj_attach_call(struct inj_tracee *t, const struct inj_libc *libc, const char *config,
                    struct inj_timings *tm, int *result);

/* inj_load unless it is loaded, then inj_attach_call. */
int inj_load_and_attach(struct inj_tracee *t, const struct inj_libc *libc, const char *lib,
                        const char *config, int loaded, struct inj_timings *tm, int *result);

#endif
