/* ip_env.c: keep `scope run`'s children observed across exec, even when
 * the program hands exec an environment of its own (env -i, a daemon that
 * cleans up, sudo): our LD_PRELOAD entry and the SCOPE_* settings are put
 * back into what exec gets. A program of the other C library (glibc and
 * musl cannot load each other's build: the program would not start) gets
 * its own build instead, or none. Only under `scope run`: an attached
 * process's children are not the operator's request. */
#include "ip.h"
#include "ip_unseen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEPT_MAX 32

static char *kept[KEPT_MAX];    /* "SCOPE_...=value", copied at load */
static size_t nkept;
static char *our_lib;           /* the LD_PRELOAD element that is us */

/* Is the LD_PRELOAD element p (n bytes) a build of libscope, either C
 * library's? */
static bool element_is_scope(const char *p, size_t n)
{
    const char *slash = memrchr(p, '/', n);
    const char *base = slash ? slash + 1 : p;

    return (size_t)(p + n - base) >= 11 && strncmp(base, "libscope.so", 11) == 0;
}

/* The element of LD_PRELOAD (':' or ' ' separated) naming libscope. */
static char *preload_element_ours(const char *preload)
{
    const char *p = preload;

    while (*p) {
        size_t n = strcspn(p, ": ");
        if (element_is_scope(p, n))
            return strndup(p, n);
        p += n;
        p += strspn(p, ": ");
    }
    return NULL;
}

void ip_env_keep(const char *entry)
{
    if (nkept < KEPT_MAX)
        kept[nkept++] = (char *)entry;
}

static const char *env_find(char *const envp[], const char *entry)
{
    size_t keylen = strcspn(entry, "=") + 1;
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], entry, keylen) == 0)
            return envp[i];
    return NULL;
}

size_t ip_env_room(char *const envp[])
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    return n + nkept + 2;
}

#ifdef __GLIBC__
static const bool ours_musl = false;
#else
static const bool ours_musl = true;
#endif

/* The other C library's build, named by scope run (as captured at load:
 * the program may have emptied its environment), if it can be read:
 * a program given one it cannot load would not start (exit 127). */
static const char *library_other(void)
{
    const char *name = ours_musl ? SCOPE_CTL_LIB_GLIBC_ENV "=" : SCOPE_CTL_LIB_MUSL_ENV "=";

    for (size_t k = 0; k < nkept; k++)
        if (strncmp(kept[k], name, strlen(name)) == 0 && kept[k][strlen(name)])
            return access(kept[k] + strlen(name), R_OK) == 0 ? kept[k] + strlen(name) : NULL;
    return NULL;
}

/* Our build for the C library the program at path runs on: ours, the
 * other one, or NULL when there is none (said in a notice). */
static const char *library_for(const char *path, bool search)
{
    if (ip_image_is_musl(path, search) == ours_musl)
        return our_lib;
    const char *other = library_other();
    if (!other)
        ip_unseen_add(IP_UNSEEN_OTHER_LIBC_CHILD, 1);
    return other;
}

/* "LD_PRELOAD=" lib (unless NULL), then the elements of value that are no
 * build of ours, into buf; false when it does not fit, or holds nothing. */
static bool preload_build(char *buf, size_t cap, const char *lib, const char *value)
{
    size_t n = (size_t)snprintf(buf, cap, "LD_PRELOAD=%s", lib ? lib : "");

    for (const char *p = value ? value : ""; *p && n < cap;) {
        size_t len = strcspn(p, ": ");
        if (len && !element_is_scope(p, len))
            n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", n > 11 ? ":" : "", (int)len, p);
        p += len;
        p += strspn(p, ": ");
    }
    return n < cap && n > 11;
}

/* The C library's own system(), popen() and wordexp() start /bin/sh with
 * the process's environment, calling posix_spawn or exec inside libc where
 * no wrapper sees it: a shell of the other C library given our build in
 * LD_PRELOAD would not start (glibc's loader: "invalid ELF header", exit
 * 127). So environ's LD_PRELOAD names the build for /bin/sh's C library
 * (none when there is none: the shell then runs unobserved, said in a
 * notice); the wrappers give every program they start its own. */
static bool shell_unserved;     /* /bin/sh got no build of ours */

static void environ_for_shell(void)
{
    char buf[4096];

    if (!our_lib || ip_image_is_musl("/bin/sh", false) == ours_musl)
        return;
    const char *lib = library_other();
    shell_unserved = !lib;
    if (preload_build(buf, sizeof buf, lib, getenv("LD_PRELOAD")))
        setenv("LD_PRELOAD", buf + 11, 1);
    else
        unsetenv("LD_PRELOAD");
}

void ip_env_capture(void)
{
    extern char **environ;
    const char *preload = getenv("LD_PRELOAD");

    our_lib = preload ? preload_element_ours(preload) : NULL;
    for (char **e = environ; e && *e && nkept < KEPT_MAX; e++)
        if (strncmp(*e, "SCOPE_", 6) == 0 && (kept[nkept] = strdup(*e)))
            nkept++;
    environ_for_shell();
}

char *const *ip_env_fix(char *const envp[], const char *path, bool search, char **out,
                        char *preload, size_t preload_cap)
{
    size_t n = 0;
    const char *old = NULL;

    if (!our_lib || scope_ctl_status.how != SCOPE_CTL_HOW_PRELOAD)
        return envp;
    const char *lib = library_for(path, search);
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
            old = envp[i];
            continue;
        }
        out[n++] = envp[i];
    }
    if (lib == our_lib && old && strstr(old, our_lib))
        out[n++] = (char *)old;
    else if (preload_build(preload, preload_cap, lib, old ? old + 11 : NULL))
        out[n++] = preload;
    for (size_t k = 0; k < nkept; k++)
        if (!env_find(envp, kept[k]))
            out[n++] = kept[k];
    out[n] = NULL;
    return out;
}

void ip_env_shell_notice(void)
{
    if (shell_unserved)
        ip_unseen_add(IP_UNSEEN_SHELL_UNSERVED, 1);
}
