/* scope_ctl.h: the only symbols libscope.so exports: its control API.
 *
 * Loaded with LD_PRELOAD (what `scope run` does), the library attaches by
 * itself when it loads, configured by SCOPE_* environment variables.
 * Loaded by `scope attach` (a dlopen run inside the target through ptrace)
 * it does nothing until scope_ctl_attach() is called.
 *
 * scope_ctl_status is readable from outside the process (the CLI reads it
 * with process_vm_readv for `scope ps` and after an attach or detach).
 */
#ifndef SCOPE_CTL_H
#define SCOPE_CTL_H

#include <stdint.h>

#define SCOPE_CTL_MAGIC 0x3154535045504f43ULL   /* "COPEPST1" in memory */
#define SCOPE_CTL_VERSION 1

/* Under `scope run`, the build of the library for each C library (set by
 * scope; the musl one only when it was built): a program exec'd that runs
 * on the other C library than its parent gets its own build in
 * LD_PRELOAD, or none when there is none (the other would stop it from
 * starting). */
#define SCOPE_CTL_LIB_GLIBC_ENV "SCOPE_LIB_GLIBC"
#define SCOPE_CTL_LIB_MUSL_ENV "SCOPE_LIB_MUSL"

enum scope_ctl_state {
    SCOPE_CTL_LOADED = 0,       /* never attached, or detached */
    SCOPE_CTL_ATTACHED = 1,
};

enum scope_ctl_how {
    SCOPE_CTL_HOW_NONE = 0,
    SCOPE_CTL_HOW_PRELOAD = 1,  /* scope run */
    SCOPE_CTL_HOW_ATTACH = 2,   /* scope attach */
};

struct scope_ctl_status {
    uint64_t magic;             /* SCOPE_CTL_MAGIC once initialized */
    uint32_t version;           /* SCOPE_CTL_VERSION */
    uint32_t state;             /* enum scope_ctl_state */
    uint32_t how;               /* enum scope_ctl_how of the last attach */
    uint32_t attaches;          /* since the library was loaded */
    uint32_t detaches;
    uint32_t patched_slots;     /* GOT slots holding a wrapper now */
    char metric_dest[512];
    char event_dest[512];
    char error[512];            /* why the last attach failed, or "" */
};

extern struct scope_ctl_status scope_ctl_status;

/* Read the configuration, learn the fds already open, patch every loaded
 * object, start reporting. `config` is NULL (read SCOPE_* from the
 * environment) or "KEY=VALUE\n" lines with the same keys.
 * Returns 0 when attached, 1 when it already was (nothing changed), -1 when
 * it could not attach (scope_ctl_status.error says why; nothing patched). */
int scope_ctl_attach(const char *config);

/* Put back every GOT slot that still holds one of our wrappers, flush what
 * is pending, stop the reporter thread. The library stays loaded: a thread
 * may still be inside a wrapper, in a blocking call. Returns the number of
 * slots restored, or -1 when not attached. */
int scope_ctl_detach(void);

#endif
