/* ip_env.c: keep `scope run`'s children observed across exec, even when
 * the program hands exec an environment of its own (env -i, a daemon that
 * cleans up, sudo): our LD_PRELOAD entry and the SCOPE_* settings are put
 * back into what exec gets. Only under `scope run`: an attached process's
 * children are not the operator's request. */
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

char *const *ip_env_fix(char *const envp[], char **out, char *preload, size_t preload_cap)
{
    size_t n = 0;
    const char *old = NULL;

    if (!our_lib || scope_ctl_status.how != SCOPE_CTL_HOW_PRELOAD)
        return envp;
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
            old = envp[i];
            continue;
        }
        out[n++] = envp[i];
    }
    if (old && strstr(old, our_lib))
        out[n++] = (char *)old;
    else if ((size_t)snprintf(preload, preload_cap, "LD_PRELOAD=%s%s%s", our_lib,
                              old && old[11] ? ":" : "", old ? old + 11 : "") < preload_cap)
        out[n++] = preload;
    for (size_t k = 0; k < nkept; k++)
        if (!env_find(envp, kept[k]))
            out[n++] = kept[k];
    out[n] = NULL;
    return out;
}
