/* inj_ptrace.h: stop one thread of another process at a safe point, run
 * function calls on it, and give it back exactly as it was.
 *
 * One thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT); the others keep
 * running. The thread chosen is one blocked in a system call that holds no
 * user-space lock (read, poll, nanosleep, ...), never one that may be inside
 * malloc or the dynamic linker. Its registers, including the whole x87/SSE/
 * AVX state, are saved when it stops and put back before it is let go, so
 * the interrupted system call restarts as if nothing happened; with
 * inj_ptrace_call_safe the thread puts them back itself, so a scope killed
 * at any moment leaves it whole. Signals that arrive for the target
 * meanwhile are re-delivered after it is let go. A thread blocked in a call
 * a stop would cut short (write, send, ...) is never stopped.
 */
#ifndef INJ_PTRACE_H
#define INJ_PTRACE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

/* Return values besides 0: */
#define INJ_FAILED (-1)     /* tracee->why says what */
#define INJ_EXITED (-2)     /* the process went away */

#define INJ_MAX_PENDING 64
#define INJ_XSTATE_MAX 16384 /* the largest XSAVE area (AMX included) fits */

struct inj_tracee {
    pid_t pid, tid;
    long syscall;                       /* what the thread was blocked in */
    struct user_regs_struct regs;       /* as it was stopped */
    size_t xstate_len;
    unsigned char xstate[INJ_XSTATE_MAX] __attribute__((aligned(64)));
    uint64_t sigmask;                   /* the thread's mask, as it was */
    int mask_set;                       /* we blocked its signals meanwhile */
    int pending[INJ_MAX_PENDING];       /* the target's signals, to re-deliver */
    size_t npending;
    struct timespec stopped_at;         /* PTRACE_INTERRUPT that stopped it */
    double stopped_ms;                  /* set by inj_ptrace_release() */
    int error;                          /* errno of a refused PTRACE_SEIZE; ETIMEDOUT:
                                           never stopped, not to be let go */
    /* For calls safe to abandon (inj_ptrace_call_safe): */
    uintptr_t restorer;                 /* libc's __restore_rt (rt_sigreturn) */
    uintptr_t sigaltstack_fn;           /* libc's sigaltstack */
    stack_t altstack;                   /* the thread's, once known */
    int altstack_known;
    uintptr_t data_top;                 /* lowest byte pushed below the red zone */
    int theirs;                         /* registers, xstate and mask are its own */
    char why[512];
};

/* Seize the process's best thread blocked in a system call and stop it,
 * retrying for up to a second when none is. 0, INJ_FAILED or INJ_EXITED.
 * On failure nothing is left attached. */
int inj_ptrace_stop(struct inj_tracee *t, pid_t pid);

/* Call fn(args[0..nargs)) on the stopped thread; its return value (rax) goes
 * to *ret. `what` names the call in messages. At most 6 integer arguments.
 * 0, INJ_FAILED or INJ_EXITED; after INJ_FAILED the thread is stopped and
 * may still be released. It returns to address 0, a fault only a live
 * scope catches: a scope killed meanwhile leaves the thread to crash. Used
 * only where a safe call's lost return value is needed (dlerror, after a
 * failed dlopen). */
int inj_ptrace_call(struct inj_tracee *t, uintptr_t fn, const uint64_t *args,
                    int nargs, uint64_t *ret, const char *what);

/* Calls safe to abandon. The thread's own context (registers made to
 * restart its system call, xstate, signal mask, alternate stack) is
 * written below its red zone as a signal frame, and fn returns into
 * libc's __restore_rt: fn's rt_sigreturn puts the thread back as it was
 * by itself, so a scope killed at any moment of the call leaves it
 * running its own code. The return value is lost (read the call's effects
 * instead). t->restorer and t->sigaltstack_fn must be set. 0, INJ_FAILED
 * or INJ_EXITED. */
int inj_ptrace_call_safe(struct inj_tracee *t, uintptr_t fn, const uint64_t *args, int nargs,
                         const char *what);

/* Copy len bytes below the red zone (and what was pushed before) for the
 * calls to read; *addr is where. 0, INJ_FAILED or INJ_EXITED. */
int inj_ptrace_push(struct inj_tracee *t, const void *buf, size_t len, uintptr_t *addr);

/* Write len bytes at addr in the target. 0 or INJ_FAILED/INJ_EXITED. */
int inj_ptrace_write(struct inj_tracee *t, uintptr_t addr, const void *buf, size_t len);

/* Milliseconds since the thread was stopped. */
double inj_ptrace_elapsed_ms(const struct inj_tracee *t);

/* Put every register back, let the thread go, re-deliver the signals that
 * arrived meanwhile. 0, INJ_FAILED or INJ_EXITED. */
int inj_ptrace_release(struct inj_tracee *t);

#endif
