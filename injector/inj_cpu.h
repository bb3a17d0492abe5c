/* inj_cpu.h: scope's CPU while it works on a stopped thread: beside the
 * thread, and awake.
 *
 * While scope works on a stopped thread, every ptrace request and every
 * system call of a safe call (two stops each) is a wakeup of one side by
 * the other. Across CPUs a wakeup costs an interprocessor interrupt and
 * the other CPU's way out of idle (tens of microseconds on a VM); on one
 * CPU it is a context switch. bench/threads pinned to one CPU stayed
 * stopped ~16 ms by attach with scope sleeping on the other CPU, ~8 ms
 * with scope awake there, ~4 ms with scope beside it.
 * Only scope's own affinity changes, for the time the thread is stopped;
 * the target's is never touched, and a CPU scope may not use leaves
 * things as they were.
 */
#ifndef INJ_CPU_H
#define INJ_CPU_H

#include <sched.h>
#include <sys/types.h>

struct inj_cpu {
    cpu_set_t before;   /* scope's own affinity, to go back to */
    int moved;
};

/* Move scope onto the CPU tid (a thread of pid) last ran on. */
void inj_cpu_join(struct inj_cpu *c, pid_t pid, pid_t tid);
/* Back to scope's own affinity, if inj_cpu_join changed it. */
void inj_cpu_leave(struct inj_cpu *c);

/* waitpid(tid, status, __WALL) asked again for a fraction of a millisecond
 * (a safe call's next stop is most often microseconds away), yielding the
 * CPU meanwhile so that the target runs when it shares it: tid, -1 with
 * errno, or 0 when it has not stopped yet (then sleep in waitpid). */
pid_t inj_cpu_wait_awake(pid_t tid, int *status);

#endif
