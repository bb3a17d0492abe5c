/* ip_image.c: which C library a program about to be exec'd runs on (see
 * ip.h), by its dynamic linker (ep_image.h), after the PATH search execvp
 * makes. Everything is on the stack: an exec may come from a vfork
 * child, which shares our memory. */
#include "ip.h"

#include "ep_image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMAGE_PATH_MAX 4096

/* Where execvp would find file: the first executable in PATH. */
static bool path_search(const char *file, char *out, size_t cap)
{
    const char *dirs = getenv("PATH");

    for (const char *p = dirs ? dirs : "/bin:/usr/bin";; p++) {
        size_t len = strcspn(p, ":");
        if (len + strlen(file) + 2 <= cap) {
            memcpy(out, p, len);
            out[len] = '/';
            strcpy(out + len + (len ? 1 : 0), file);
            if (access(out, X_OK) == 0)
                return true;
        }
        p += len;
        if (!*p)
            return false;
    }
}

bool ip_image_is_musl(const char *path, bool search)
{
    char found[IMAGE_PATH_MAX], interp[256];
    int saved = errno;

    if (path && path[0] && search && !strchr(path, '/'))
        path = path_search(path, found, sizeof found) ? found : NULL;
    bool musl = path && path[0] && ep_image_interp(path, interp, sizeof interp) == 0 &&
                ep_interp_is_musl(interp);
    errno = saved;
    return musl;
}
