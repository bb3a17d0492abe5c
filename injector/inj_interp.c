/* inj_interp.c: the build of libscope.so a program loads (see
 * inj_interp.h). */
#include "inj_interp.h"

#include "ep_image.h"
#include "inj_target.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Where the musl build lies, relative to the glibc build's directory. */
#define MUSL_LIBRARY "musl/libscope.so"

/* lib's directory, then name. */
static void beside(const char *lib, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(lib, '/');

    snprintf(out, cap, "%.*s/%s", slash ? (int)(slash - lib) : 1, slash ? lib : ".", name);
}

int inj_interp_musl_library(const char *lib, char *out, size_t cap)
{
    char musl[PATH_MAX + 32];

    beside(lib, MUSL_LIBRARY, musl, sizeof musl);
    return inj_library_check(musl, "", out, cap);
}

int inj_interp_library(const char *exe, const char *lib, char *out, size_t cap, char *why,
                       size_t whylen)
{
    char interp[PATH_MAX], musl[PATH_MAX + 32];

    why[0] = '\0';
    if (ep_image_interp(exe, interp, sizeof interp) != 0 || !ep_interp_is_musl(interp)) {
        if ((size_t)snprintf(out, cap, "%s", lib) < cap)
            return 0;
        snprintf(why, whylen, "the path of libscope.so is too long");
        return -1;
    }
    int rc = inj_interp_musl_library(lib, out, cap);
    if (rc == -1) {
        int err = errno;
        beside(lib, MUSL_LIBRARY, musl, sizeof musl);
        snprintf(why, whylen, "it runs on musl (its dynamic linker is %s), and this scope has "
                 "no libscope.so built for musl (%s: %s): build scope where musl-gcc is "
                 "installed (Debian: musl-tools), which makes it", interp, musl,
                 strerror(err));
    }
    return rc < 0 ? -1 : 0;
}
