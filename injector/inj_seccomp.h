/* inj_seccomp.h: may the calls scope makes in a process under seccomp
 * filters kill it?
 *
 * Which calls a filter allows depends on its program, which root can read
 * (PTRACE_SECCOMP_GET_FILTER, on a thread in a ptrace stop). A filter none
 * of whose returns is a kill, a trap (SIGSYS) or a user notification can
 * at worst fail a call with an errno (the profiles of docker and podman
 * return EPERM or ENOSYS): a failed call is an error scope reports, never
 * a harmed process. Any other filter, or one that cannot be read, means
 * the process is left alone.
 */
#ifndef INJ_SECCOMP_H
#define INJ_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Can we read filters at all (CAP_SYS_ADMIN)? */
bool inj_seccomp_readable(void);

/* On the ptrace-stopped thread tid of a process under nfilters filters: 0
 * when none can kill or trap it, else -1 with why (what was found, or why
 * the filters could not be read). */
int inj_seccomp_harmless(pid_t tid, int nfilters, char *why, size_t len);

#endif
