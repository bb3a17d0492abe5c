/* inj_interp.h: which C library a program runs on, and the build of
 * libscope.so that serves it.
 *
 * libscope.so is built once per C library, from the same sources: the
 * glibc build is the library scope finds (inj_find_library), the musl
 * build lies beside it as musl/libscope.so (made when musl-gcc was there
 * at build time). Neither loads in a program of the other: glibc's needs
 * symbols musl lacks, and musl's needs musl's libc.so. The program's
 * dynamic linker (PT_INTERP; a script's interpreter's) says which it is:
 * musl's is ld-musl-<arch>.so.1. Any other gets the glibc build, as before; an
 * unknown linker judges the library itself when it loads it (dlopen
 * fails with its reason, or the program refuses to start).
 */
#ifndef INJ_INTERP_H
#define INJ_INTERP_H

#include <stddef.h>

/* The musl build beside the glibc build lib, resolved and checked as lib
 * was: 0; -1 when there is none (errno says why, nothing printed); -2
 * when it is refused (printed). */
int inj_interp_musl_library(const char *lib, char *out, size_t cap);

/* The library that serves the program at exe (a path scope can open: for
 * a process, /proc/PID/exe), given the glibc build lib: lib itself, or the
 * musl build beside it, resolved and checked as lib was. 0; or -1 with the
 * reason in why ("" when it was printed already). */
int inj_interp_library(const char *exe, const char *lib, char *out, size_t cap, char *why,
                       size_t whylen);

#endif
