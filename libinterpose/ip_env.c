/* ip_env.c: keep `scope run`'s children observed across exec, even when
 * the program hands exec an environment of its own (env -i, a daemon that
 * cleans up, sudo): our LD_PRELOAD entry and the SCOPE_* settings are put
 * back into what exec gets. A program of the other C library (glibc and
 * musl cannot load each other's build: the program would not start) gets
 * its own build instead, or none. Only under `scope run`: an attached
 * process's children are not the operator's request. */
#include "ip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEPT_MAX 32

static char *kept[KEPT_MAX];    /* "SCOPE_...=value", copied at load */
static size_t nkept;
static char *our_lib;           /* the LD_PRELOAD element that is us */

/* The element of LD_PRELOAD (':' or ' ' separated) naming libscope. */
static char *preload_element_ours(const char *preload)
{
    const char *p = preload;

    while (*p) {
        size_t n = strcspn(p, ": ");
        const char *slash = memrchr(p, '/', n);
        const char *base = slash ? slash + 1 : p;
        if ((size_t)(p + n - base) >= 11 && strncmp(base, "libscope.so", 11) == 0)
            return strndup(p, n);
        p += n;
        p += strspn(p, ": ");
    }
    return NULL;
}

void ip_env_capture(void)
{
    extern char **environ;
    const char *preload = getenv("LD_PRELOAD");

    our_lib = preload ? preload_element_ours(preload) : NULL;
    for (char **e = environ; e && *e && nkept < KEPT_MAX; e++)
        if (strncmp(*e, "SCOPE_", 6) == 0 && (kept[nkept] = strdup(*e)))
            nkept++;
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

/* Our build for the C library the program at path runs on: ours, the
 * other one named by scope run, or NULL when it named none. */
static const char *library_for(const char *path, bool search)
{
#ifdef __GLIBC__
    const bool ours_musl = false;
#else
    const bool ours_musl = true;
#endif
    if (ip_image_is_musl(path, search) == ours_musl)
        return our_lib;
    /* As captured at load: the program may have emptied its environment. */
    const char *name = ours_musl ? SCOPE_CTL_LIB_GLIBC_ENV "=" : SCOPE_CTL_LIB_MUSL_ENV "=";
    for (size_t k = 0; k < nkept; k++)
        if (strncmp(kept[k], name, strlen(name)) == 0 && kept[k][strlen(name)])
            return kept[k] + strlen(name);
    return NULL;
}

/* "LD_PRELOAD=" lib (unless NULL), then the elements of value other than
 * ours, into buf; false when it does not fit, or holds nothing. */
static bool preload_build(char *buf, size_t cap, const char *lib, const char *value)
{
    size_t n = (size_t)snprintf(buf, cap, "LD_PRELOAD=%s", lib ? lib : "");

    for (const char *p = value ? value : ""; *p && n < cap;) {
        size_t len = strcspn(p, ": ");
        if (len && (len != strlen(our_lib) || strncmp(p, our_lib, len) != 0))
            n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", n > 11 ? ":" : "", (int)len, p);
        p += len;
        p += strspn(p, ": ");
    }
    return n < cap && n > 11;
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
