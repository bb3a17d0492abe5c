/* ip_hooks.h: the hook table (see ip_hooks.def) and the real functions. */
#ifndef IP_HOOKS_H
#define IP_HOOKS_H

#include <aio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <threads.h>
#include "elfpatch.h"

/* Declared by glibc's <sys/stat.h>, not by musl's (1.2.3): the wrapper
 * only hands the pointer on. */
struct statx;

#define IP_HOOK(ret, name, params) \
    extern ret (*ip_real_##name) params; \
    ret ip_wrap_##name params;
#include "ip_hooks.def"
#undef IP_HOOK

extern const struct ep_hook ip_hook_table[];
extern const size_t ip_hook_count;

/* Fill every ip_real_* pointer (dlsym of the default version). Returns the
 * number of names that could not be resolved; their hooks are left out of
 * `usable` (nusable entries) so that no slot ever points to a wrapper without a
 * real function behind it. */
int ip_hooks_resolve(struct ep_hook *usable, size_t *nusable);

/* The wrapper of the hooked function `name` when fn is its real function;
 * else fn itself. */
void *ip_hooks_wrapper_of(const char *name, void *fn);

#endif
