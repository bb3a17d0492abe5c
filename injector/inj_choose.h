/* inj_choose.h: which thread of a process to stop, read from /proc
 * without stopping anything.
 *
 * A thread blocked in a system call no user-space lock is held across
 * (read, poll, sleep, accept, sigsuspend, futex, sigwait...), best first;
 * never one blocked in a call a stop would cut short (write, send,
 * splice...: the program would see a short count), nor libscope's
 * reporter thread. When none waits, one to sample where it stops.
 */
#ifndef INJ_CHOOSE_H
#define INJ_CHOOSE_H

#include <stddef.h>
#include <sys/types.h>

/* The threads worth stopping, from one pass over /proc/PID/task. */
struct inj_choice {
    pid_t best;             /* blocked in the best safe call, or 0 */
    pid_t sample;           /* to stop where it runs when none is: 0 when none may be */
    pid_t cut;              /* a thread blocked in a call a stop would cut short */
    const char *cut_call;   /* that call's name */
};

/* A thread in futex or rt_sigtimedwait is taken only when last_resort is
 * set: /proc may briefly show a better one as running. The main thread is
 * sampled first, unless it has exited. 0, or -1 when the process is gone. */
int inj_choose_thread(pid_t pid, int last_resort, struct inj_choice *c);

/* tid is still not blocked in a call a stop would cut short, looked at
 * again just before the stop: the window in which it could enter one is a
 * few microseconds. */
int inj_choose_still_safe(pid_t pid, pid_t tid);

/* A thread found stopped at the end of system call nr (orig_rax) is at a
 * safe point: a safe call, or when sampling, the end of an I/O call (it
 * had completed: malloc and the loader do no I/O holding their locks). */
int inj_choose_stopped_safe(long nr, int sampling);

/* Why no thread was stopped after waited_ms, naming one left alone. */
void inj_choose_none_safe(pid_t pid, const struct inj_choice *c, int waited_ms, char *why,
                          size_t len);

#endif
