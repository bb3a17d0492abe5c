/* inj_libcopy.h: which libscope.so file a target loads. Another user's
 * process (we are root) cannot be trusted to reach our build or install
 * directory (a home directory, a private temp dir): it gets a copy in the
 * shared parent (/run/scope/lib: root's, readable by all). */
#ifndef INJ_LIBCOPY_H
#define INJ_LIBCOPY_H

#include "inj_judge.h"

#include <stddef.h>

/* The path of the library t will load, for our library lib: lib itself,
 * or its copy in the shared parent (made when missing). 0, or -1 after the
 * reason is printed. */
int inj_library_for(const struct inj_process *t, const char *lib, char *out, size_t cap);

#endif
