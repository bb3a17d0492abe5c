/* inj_ptrace.c: stop a thread at a safe point, call functions on it, give
 * it back (see inj_ptrace.h). */
#include "inj_ptrace.h"
#include "rep_clock.h"
#include "inj_choose.h"
#include "inj_cpu.h"
#include "inj_proc.h"

#include <stddef.h>

#include <limits.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define RED_ZONE 128
#define STOP_TIMEOUT_MS 1000    /* for the interrupt to take effect, a wait */
#define STOP_WAITS 10           /* a thread on a loaded machine can take seconds */
#define CALL_TIMEOUT_MS 10000   /* dlopen, or a detach that flushes (2 s max) */
#define CHOOSE_TIMEOUT_MS 1000  /* looking for a thread at a safe point */
#define CHOOSE_RETRY_MS 5
#define FUTEX_AFTER_MS 100      /* a futex or sigtimedwait waiter is taken only after this long */

/* ---- time ---------------------------------------------------------------- */

double inj_ptrace_elapsed_ms(const struct inj_tracee *t)
{
    return rep_ms_since(&t->stopped_at);
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    timed_out = 1;
}

/* waitpid() for t->tid, giving up after timeout_ms (SIGALRM interrupts it:
 * the handler is installed without SA_RESTART). 0 with *status when the
 * thread stopped, INJ_EXITED when it is gone, INJ_FAILED on timeout. */
static int wait_thread(struct inj_tracee *t, int *status, int timeout_ms, const char *what)
{
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    struct itimerval timer = {.it_value = {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};
    struct itimerval off = {{0, 0}, {0, 0}};
    pid_t r;

    timed_out = 0;
    if ((r = inj_cpu_wait_awake(t->tid, status)) == 0) {
        sigaction(SIGALRM, &sa, &old);
        setitimer(ITIMER_REAL, &timer, NULL);
        while ((r = waitpid(t->tid, status, __WALL)) < 0 && errno == EINTR && !timed_out)
            ;
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &old, NULL);
    }
    if (r < 0 && timed_out) {
        snprintf(t->why, sizeof t->why, "%s did not return within %d ms in thread %d",
                 what, timeout_ms, (int)t->tid);
        return INJ_FAILED;
    }
    if (r < 0 || WIFEXITED(*status) || WIFSIGNALED(*status))
        return INJ_EXITED;
    return 0;
}

/* ---- errors -------------------------------------------------------------- */

/* A failed ptrace request: ESRCH on a thread we stopped means it was killed. */
static int request_failed(struct inj_tracee *t, const char *request)
{
    int err = errno;
    if (err == ESRCH && !inj_proc_live_thread(t->pid))
        return INJ_EXITED;
    snprintf(t->why, sizeof t->why, "%s on thread %d: %s", request, (int)t->tid, strerror(err));
    return INJ_FAILED;
}

/* ---- signals that belong to the target: re-delivered, never swallowed ---- */

static void pending_add(struct inj_tracee *t, int sig)
{
    /* Standard signals do not queue: one of each is what the kernel keeps. */
    if (sig < SIGRTMIN)
        for (size_t i = 0; i < t->npending; i++)
            if (t->pending[i] == sig)
                return;
    if (t->npending < INJ_MAX_PENDING)
        t->pending[t->npending++] = sig;
}

static void pending_redeliver(struct inj_tracee *t)
{
    for (size_t i = 0; i < t->npending; i++)
        syscall(SYS_tgkill, t->pid, t->tid, t->pending[i]);
    t->npending = 0;
}

/* A fault the kernel raised in this thread (not sent by anyone), so
 * caused by the code we made it run. */
static int is_our_fault(const siginfo_t *si)
{
    int sig = si->si_signo;
    return si->si_code > 0 &&
           (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP);
}

/* ---- stopping ------------------------------------------------------------- */

/* Continue a thread in a stop that is not the one we wait for: a signal for
 * the target is kept for later (the thread must not run its handler while
 * we use it); anything else (a group-stop) just resumes. */
static int pass_stop(struct inj_tracee *t, int status)
{
    if ((status >> 16) == 0)
        pending_add(t, WSTOPSIG(status));
    if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
        return request_failed(t, "PTRACE_CONT");
    return 0;
}

/* Seize and interrupt tid; wait for the interrupt stop. */
static int seize_thread(struct inj_tracee *t, pid_t tid)
{
    int status, rc;

    t->tid = tid;
    if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) != 0) {
        t->error = errno;
        return errno == ESRCH ? INJ_EXITED : request_failed(t, "PTRACE_SEIZE");
    }
    clock_gettime(CLOCK_MONOTONIC, &t->stopped_at);
    if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0)
        return request_failed(t, "PTRACE_INTERRUPT");
    for (int waits = 1;; ) {
        rc = wait_thread(t, &status, STOP_TIMEOUT_MS, "PTRACE_INTERRUPT");
        if (rc == INJ_FAILED && waits++ < STOP_WAITS)
            continue;
        if (rc == INJ_FAILED) {
            /* Not stopped: PTRACE_DETACH would fail on it; our exit lets
             * it go. */
            t->error = ETIMEDOUT;
            return rc;
        }
        if (rc != 0)
            return rc;
        if ((status >> 16) == PTRACE_EVENT_STOP)
            return 0;
        if ((rc = pass_stop(t, status)) != 0)
            return rc;
    }
}

/* While we use the thread, the program's signals wait: a blocked signal
 * stays pending with its siginfo and is delivered, exactly as sent, when
 * the mask is put back (a re-sent one would lose si_value, si_pid...).
 * All but SIGSEGV: our return-to-0 trap is one, and a fault with its
 * signal blocked makes the kernel reset the process's SIGSEGV action to
 * the default (the program's handler would be gone). */
static int signals_hold(struct inj_tracee *t)
{
    uint64_t all = ~0ULL & ~(1ULL << (SIGSEGV - 1));

    if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof all, &all) != 0)
        return request_failed(t, "PTRACE_SETSIGMASK");
    t->mask_set = 1;
    return 0;
}

static int signals_release(struct inj_tracee *t)
{
    if (!t->mask_set)
        return 0;
    if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof t->sigmask, &t->sigmask) != 0)
        return request_failed(t, "PTRACE_SETSIGMASK");
    t->mask_set = 0;
    return 0;
}

static int save_state(struct inj_tracee *t)
{
    struct iovec iov = {t->xstate, sizeof t->xstate};

    if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) != 0)
        return request_failed(t, "PTRACE_GETREGS");
    /* NT_X86_XSTATE rather than PTRACE_GETFPREGS: the functions we call
     * (memcpy, strlen in dlopen) use AVX, whose upper halves FXSAVE lacks. */
    if (ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) != 0)
        return request_failed(t, "PTRACE_GETREGSET");
    t->xstate_len = iov.iov_len;
    if (ptrace(PTRACE_GETSIGMASK, t->tid, (void *)sizeof t->sigmask, &t->sigmask) != 0)
        return request_failed(t, "PTRACE_GETSIGMASK");
    t->data_top = (t->regs.rsp - RED_ZONE) & ~15ULL;
    t->altstack_known = 0;
    t->theirs = 1;
    return 0;
}

/* PTRACE_DETACH, leaving the thread's registers as they are now. */
static int let_go(struct inj_tracee *t)
{
    if (ptrace(PTRACE_DETACH, t->tid, 0, 0) != 0)
        return request_failed(t, "PTRACE_DETACH");
    t->stopped_ms = inj_ptrace_elapsed_ms(t);
    pending_redeliver(t);
    return 0;
}

int inj_ptrace_stop(struct inj_tracee *t, pid_t pid)
{
    struct timespec start, pause = {0, CHOOSE_RETRY_MS * 1000000L};
    struct inj_choice c;

    t->pid = pid;
    t->npending = 0;
    t->mask_set = 0;
    t->error = 0;
    t->why[0] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        double waited = rep_ms_since(&start);
        int patient = waited > FUTEX_AFTER_MS;
        if (inj_choose_thread(pid, patient, &c) < 0)
            return INJ_EXITED;
        /* Nobody seen waiting: sample a thread where it stops, never one
         * blocked in a call a stop would cut short. */
        pid_t tid = c.best ? c.best : patient ? c.sample : 0;
        int sampling = !c.best;
        if (tid > 0 && inj_choose_still_safe(pid, tid)) {
            int rc = seize_thread(t, tid);
            if (rc == 0)
                rc = save_state(t);
            if (rc != 0) {
                if (rc == INJ_FAILED && t->error == 0)
                    let_go(t);
                return rc;
            }
            /* It may have left the system call between our look and the
             * stop: then it could be anywhere, malloc included. */
            long nr = (long)t->regs.orig_rax;
            if (inj_choose_stopped_safe(nr, sampling)) {
                t->syscall = nr;
                return 0;
            }
            if ((rc = let_go(t)) != 0)
                return rc;
        }
        if (waited > CHOOSE_TIMEOUT_MS) {
            inj_choose_none_safe(pid, &c, CHOOSE_TIMEOUT_MS, t->why, sizeof t->why);
            return INJ_FAILED;
        }
        nanosleep(&pause, NULL);
    }
}

/* ---- remote calls: registers saved, no syscall restart, stack below the
 *      red zone and aligned, return to an address that traps ------------ */

int inj_ptrace_write(struct inj_tracee *t, uintptr_t addr, const void *buf, size_t len)
{
    struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
    /* By the stopped thread: the main thread may have exited. */
    ssize_t n = process_vm_writev(t->tid, &local, 1, &remote, 1, 0);

    if (n == (ssize_t)len)
        return 0;
    if (n >= 0)
        errno = EIO;
    return request_failed(t, "process_vm_writev");
}

/* Registers for fn(args) returning to address 0. At the callee's entry
 * (rsp + 8) % 16 == 0, as after a `call` from aligned code; the red zone
 * below the interrupted rsp is left alone. */
static void call_frame(const struct inj_tracee *t, struct user_regs_struct *r, uintptr_t fn,
                       const uint64_t *args, int nargs)
{
    unsigned long long *argregs[] = {&r->rdi, &r->rsi, &r->rdx, &r->rcx, &r->r8, &r->r9};

    *r = t->regs;
    for (int i = 0; i < nargs && i < 6; i++)
        *argregs[i] = args[i];
    r->rip = fn;
    r->rax = 0;             /* no vector arguments, were fn variadic */
    r->orig_rax = -1ULL;    /* no system call restart over our call */
    r->rsp = t->data_top - 8;
}

/* The thread is in a signal-delivery-stop: is it our call's end (a fault
 * at address 0), a fault in the code we called, seccomp, or the target's? */
static int call_stop(struct inj_tracee *t, int sig, uint64_t *ret, const char *what, int *done)
{
    struct user_regs_struct r;
    siginfo_t si;

    if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) != 0)
        return request_failed(t, "PTRACE_GETSIGINFO");
    if (sig == SIGSYS && si.si_code == 1 /* SYS_SECCOMP */) {
        snprintf(t->why, sizeof t->why, "%s was stopped by seccomp: the process forbids "
                 "system call %d, so scope cannot load its library there",
                 what, si.si_syscall);
        return INJ_FAILED;
    }
    if (!is_our_fault(&si)) {
        pending_add(t, sig);
        return ptrace(PTRACE_CONT, t->tid, 0, 0) != 0 ? request_failed(t, "PTRACE_CONT") : 0;
    }
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
        return request_failed(t, "PTRACE_GETREGS");
    if (sig == SIGSEGV && r.rip == 0) {
        *ret = r.rax;
        *done = 1;
        return 0;
    }
    snprintf(t->why, sizeof t->why, "%s crashed in the target (%s at 0x%llx); the thread "
             "was put back as it was", what, strsignal(sig), r.rip);
    return INJ_FAILED;
}

int inj_ptrace_call(struct inj_tracee *t, uintptr_t fn, const uint64_t *args,
                    int nargs, uint64_t *ret, const char *what)
{
    struct user_regs_struct r;
    int status, rc, done = 0;

    if (!t->mask_set && (rc = signals_hold(t)) != 0)
        return rc;
    t->theirs = 0;
    call_frame(t, &r, fn, args, nargs);
    if (ptrace(PTRACE_POKEDATA, t->tid, (void *)(uintptr_t)r.rsp, 0) != 0)
        return request_failed(t, "PTRACE_POKEDATA");
    if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0)
        return request_failed(t, "PTRACE_SETREGS");
    /* Resuming from our previous call's SIGSEGV stop with signal 0
     * discards that SIGSEGV. */
    if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
        return request_failed(t, "PTRACE_CONT");
    while (!done) {
        rc = wait_thread(t, &status, CALL_TIMEOUT_MS, what);
        /* Still running our call (dlopen waiting for a lock, a slow
         * flush): it cannot be let go before it returns to us, or it would
         * return to address 0. Keep waiting, and say so. */
        if (rc == INJ_FAILED) {
            fprintf(stderr, "scope: %s is taking long in thread %d; waiting for it to "
                    "return (the thread cannot be let go before)\n", what, (int)t->tid);
            continue;
        }
        if (rc != 0)
            return rc;
        if ((status >> 16) != 0)
            rc = pass_stop(t, status);
        else
            rc = call_stop(t, WSTOPSIG(status), ret, what, &done);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- calls safe to abandon: fn returns into rt_sigreturn with the
 *      thread's own context as its signal frame -------------------------- */

/* x86-64's rt_sigframe, as rt_sigreturn finds it 8 bytes below the stack
 * pointer it is called with (after fn's `ret` popped pretcode). */
struct rt_frame {
    uint64_t pretcode;
    struct {
        uint64_t uc_flags;
        uint64_t uc_link;
        stack_t uc_stack;
        struct sigcontext uc_mcontext;
        uint64_t uc_sigmask;
    } uc;
    siginfo_t info;
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define SW_RESERVED_AT 464          /* struct _fpx_sw_bytes in the FXSAVE area */
#define RESTORER_LEN 9              /* mov $15, %rax; syscall */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* The registers the thread goes back to, made to restart an interrupted
 * system call the way the kernel does when no handler runs (rt_sigreturn
 * itself restarts nothing). */
static void frame_regs(const struct user_regs_struct *r, struct sigcontext *sc)
{
    long ret = (long)r->rax;

    sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
    sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
    sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
    sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
    sc->rip = r->rip; sc->eflags = r->eflags;
    sc->cs = (unsigned short)r->cs;
    sc->__pad0 = (unsigned short)r->ss;
    if ((long)r->orig_rax < 0)
        return;
    if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND) {
        sc->rax = r->orig_rax;
        sc->rip -= 2;       /* the syscall instruction again */
    } else if (ret == -ERESTART_RESTARTBLOCK) {
        sc->rax = SYS_restart_syscall;
        sc->rip -= 2;
    }
}

/* The header rt_sigreturn checks before it restores the whole xstate
 * (PTRACE_GETREGSET leaves that part of the FXSAVE area empty): without it
 * only the x87 and SSE state would come back. The features are those the
 * kernel enabled (XCR0), the same for every process. */
static void sw_bytes(unsigned char *fp, size_t xstate_len)
{
    struct {
        uint32_t magic1, extended_size;
        uint64_t xfeatures;
        uint32_t xstate_size, padding[7];
    } sw = {FP_XSTATE_MAGIC1, (uint32_t)xstate_len + 4, 0, (uint32_t)xstate_len, {0}};
    uint32_t lo, hi;

    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    sw.xfeatures = ((uint64_t)hi << 32) | lo;
    memcpy(fp + SW_RESERVED_AT, &sw, sizeof sw);
}

/* Write the thread's xstate and a signal frame holding its context below
 * what was pushed; *frame_at is where fn's stack pointer goes. */
static int frame_write(struct inj_tracee *t, uintptr_t *frame_at)
{
    static unsigned char fp[INJ_XSTATE_MAX + 64];
    struct rt_frame f;
    uint32_t magic2 = FP_XSTATE_MAGIC2;
    uintptr_t fp_at = (t->data_top - (t->xstate_len + sizeof magic2)) & ~63ULL;
    int rc;

    memcpy(fp, t->xstate, t->xstate_len);
    sw_bytes(fp, t->xstate_len);
    memcpy(fp + t->xstate_len, &magic2, sizeof magic2);
    memset(&f, 0, sizeof f);
    f.pretcode = t->restorer;
    f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.uc_stack = t->altstack;
    frame_regs(&t->regs, &f.uc.uc_mcontext);
    f.uc.uc_mcontext.fpstate = (void *)fp_at;
    f.uc.uc_sigmask = t->sigmask;
    *frame_at = ((fp_at - sizeof f) & ~15ULL) - 8;
    if ((rc = inj_ptrace_write(t, fp_at, fp, t->xstate_len + sizeof magic2)) != 0)
        return rc;
    return inj_ptrace_write(t, *frame_at, &f, sizeof f);
}

/* A signal-delivery-stop during a safe call: the target's signal is kept
 * for later; a fault or seccomp ends the call (the thread is then ours to
 * put back: inj_ptrace_release). */
static int safe_signal(struct inj_tracee *t, int sig, const char *what)
{
    siginfo_t si;

    if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) != 0)
        return request_failed(t, "PTRACE_GETSIGINFO");
    if (sig == SIGSYS && si.si_code == 1 /* SYS_SECCOMP */) {
        snprintf(t->why, sizeof t->why, "%s was stopped by seccomp: the process forbids "
                 "system call %d", what, si.si_syscall);
        return INJ_FAILED;
    }
    if (is_our_fault(&si)) {
        snprintf(t->why, sizeof t->why, "%s crashed in the target (%s); the thread was put "
                 "back as it was", what, strsignal(sig));
        return INJ_FAILED;
    }
    pending_add(t, sig);
    return 0;
}

/* Run the thread, stopping at each system call, until fn's rt_sigreturn
 * has put its context back. At rt_sigreturn's entry the frame is still
 * there to read (the alternate stack the first call wrote into it). */
static int safe_run(struct inj_tracee *t, uintptr_t frame_at, const char *what)
{
    struct __ptrace_syscall_info si;
    int status, rc, returning = 0;

    for (;;) {
        if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) != 0)
            return request_failed(t, "PTRACE_SYSCALL");
        while ((rc = wait_thread(t, &status, CALL_TIMEOUT_MS, what)) == INJ_FAILED)
            fprintf(stderr, "scope: %s is taking long in thread %d; waiting for it to "
                    "return\n", what, (int)t->tid);
        if (rc != 0)
            return rc;
        if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
            if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si) <= 0)
                return request_failed(t, "PTRACE_GET_SYSCALL_INFO");
            if (si.op == PTRACE_SYSCALL_INFO_EXIT && returning)
                return 0;
            if (si.op == PTRACE_SYSCALL_INFO_ENTRY && si.entry.nr == SYS_rt_sigreturn &&
                si.instruction_pointer == t->restorer + RESTORER_LEN) {
                returning = 1;
                if (!t->altstack_known &&
                    inj_proc_read(t->tid, frame_at + offsetof(struct rt_frame, uc.uc_stack),
                                  &t->altstack, sizeof t->altstack) == 0)
                    t->altstack_known = 1;
            }
        } else if ((status >> 16) != 0) {
            continue;       /* a group-stop or interrupt: resume */
        } else if ((rc = safe_signal(t, WSTOPSIG(status), what)) != 0) {
            return rc;
        }
    }
}

/* One call; its context goes back by itself (see inj_ptrace.h). */
static int safe_call(struct inj_tracee *t, uintptr_t fn, const uint64_t *args, int nargs,
                     const char *what)
{
    unsigned long long *argregs[6];
    struct user_regs_struct r = t->regs;
    uintptr_t frame_at;
    int rc;

    if ((rc = frame_write(t, &frame_at)) != 0)
        return rc;
    argregs[0] = &r.rdi; argregs[1] = &r.rsi; argregs[2] = &r.rdx;
    argregs[3] = &r.rcx; argregs[4] = &r.r8; argregs[5] = &r.r9;
    for (int i = 0; i < nargs && i < 6; i++)
        *argregs[i] = args[i];
    r.rip = fn;
    r.rax = 0;
    r.orig_rax = -1ULL;
    r.rsp = frame_at;
    /* From here a dying scope leaves fn to finish and put the thread back;
     * signals are held only once that is so (the frame restores the mask). */
    if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0)
        return request_failed(t, "PTRACE_SETREGS");
    t->theirs = 0;
    if ((rc = signals_hold(t)) != 0 || (rc = safe_run(t, frame_at, what)) != 0)
        return rc;
    t->mask_set = 0;
    t->theirs = 1;
    return 0;
}

int inj_ptrace_call_safe(struct inj_tracee *t, uintptr_t fn, const uint64_t *args, int nargs,
                         const char *what)
{
    int rc;

    if (!t->theirs) {
        snprintf(t->why, sizeof t->why, "%s: thread %d is not in its own context", what,
                 (int)t->tid);
        return INJ_FAILED;
    }
    /* The frame's alternate stack must be the thread's: the first call
     * asks sigaltstack() to write it there itself. */
    if (!t->altstack_known) {
        uint64_t none[] = {0, 0};
        uintptr_t at;
        memset(&t->altstack, 0, sizeof t->altstack);
        t->altstack.ss_flags = SS_DISABLE;
        if ((rc = frame_write(t, &at)) != 0)
            return rc;
        none[1] = at + offsetof(struct rt_frame, uc.uc_stack);
        if ((rc = safe_call(t, t->sigaltstack_fn, none, 2, "sigaltstack")) != 0)
            return rc;
        if (!t->altstack_known) {
            snprintf(t->why, sizeof t->why, "cannot read thread %d's alternate signal stack",
                     (int)t->tid);
            return INJ_FAILED;
        }
    }
    return safe_call(t, fn, args, nargs, what);
}

int inj_ptrace_push(struct inj_tracee *t, const void *buf, size_t len, uintptr_t *addr)
{
    uintptr_t at = (t->data_top - len) & ~15ULL;
    int rc = inj_ptrace_write(t, at, buf, len);

    if (rc == 0) {
        t->data_top = at;
        *addr = at;
    }
    return rc;
}

/* ---- giving it back: every register as it was, so the kernel restarts
 *      the interrupted system call as if nothing happened ---------------- */

int inj_ptrace_release(struct inj_tracee *t)
{
    struct iovec iov = {t->xstate, t->xstate_len};

    /* After a safe call, rt_sigreturn has put everything back already. */
    if (t->theirs && !t->mask_set)
        return let_go(t);
    if (ptrace(PTRACE_SETREGS, t->tid, 0, &t->regs) != 0)
        return request_failed(t, "PTRACE_SETREGS");
    if (ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) != 0)
        return request_failed(t, "PTRACE_SETREGSET");
    if (signals_release(t) != 0)
        return INJ_FAILED;
    return let_go(t);
}
