/* inj_lock.h: one scope at a time attaching or detaching a process.
 *
 * Two scopes working on one process at once would both find it detached,
 * and the second's PTRACE_SEIZE would fail against the first's (EPERM, as
 * if a security module refused). The lock is flock() on /proc/PID/mem,
 * which names this process only (a reused PID is another file) and which
 * only those who may ptrace the process can open (the kernel asks the
 * same question as for an attach): any user could open /proc/PID itself
 * and hold root's attach off for INJ_LOCK_WAIT_S.
 */
#ifndef INJ_LOCK_H
#define INJ_LOCK_H

#include <sys/types.h>

#define INJ_LOCK_WAIT_S 10

/* Wait up to INJ_LOCK_WAIT_S seconds for the other scope to finish with
 * pid (saying once that we wait). The lock's fd; -1 when the process is
 * gone (the caller's checks say so); -2 after printing that the other
 * scope did not finish in time. -1 also when we may not open it: then
 * we may not attach either, and the caller's checks say why. */
int inj_target_lock(pid_t pid);

/* Release a lock inj_target_lock() returned (nothing for a negative fd). */
void inj_target_unlock(int fd);

#endif
