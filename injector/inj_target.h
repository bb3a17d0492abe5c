/* inj_target.h: what `scope run` loads (libscope.so) and whether the
 * program it is asked to run can be observed at all. */
#ifndef INJ_TARGET_H
#define INJ_TARGET_H

#include <stddef.h>

/* The absolute path of libscope.so: $SCOPE_LIB_PATH if set, else
 * <dir of /proc/self/exe>/../lib/libscope.so, resolved. Returns 0, or -1
 * after printing an error that names both places; refused too (what to do
 * is printed): a file that is not a 64-bit x86-64 ELF shared object, and
 * one that another user could replace (the file or a directory above it
 * not owned by root or us, or writable by group or others). */
int inj_find_library(char *out, size_t len);

/* The library file at path, resolved into out (a real path), when it is
 * readable (else -1, errno set, nothing printed) and passes the checks
 * inj_find_library makes (else -2, what to do printed; named_by is put
 * before the path in that message). 0 when usable. */
int inj_library_check(const char *path, const char *named_by, char *out, size_t len);

/* Where execvp() would find cmd: cmd itself if it has a '/', else the first
 * executable regular file in $PATH. 0 if found, -1 if not. */
int inj_program_lookup(const char *cmd, char *out, size_t len);

/* Look `cmd` up like execvp does and refuse statically linked, Go and
 * 32-bit executables, and ones that would run with other credentials
 * than ours (setuid, setgid, file capabilities: the loader would ignore
 * LD_PRELOAD), with an error and what to do printed: returns 0 when
 * it may run, -1 when refused. Scripts and commands that cannot be found
 * or read are left to exec to report. */
int inj_check_program(const char *cmd);

#endif
