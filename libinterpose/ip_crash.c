/* ip_crash.c: a backtrace when the program crashes (opt-in).
 *
 * On SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT the handler unwinds the
 * crashing thread with libunwind (on an alternate stack, so a stack
 * overflow is covered), names each frame, writes a crash event and a
 * backtrace_<pid>_<time> file, asks the reporter for a last flush, and then
 * lets the process die exactly as it would have: the program's own handler
 * runs (installed before or after us: sigaction and signal are hooked so
 * ours stays in front), or the default action happens.
 *
 * libunwind is loaded with dlopen only when the feature is on, so that
 * libscope.so needs nothing but libc otherwise. Everything the handler does
 * is async-signal-safe: no malloc, no stdio, no locks.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "ip.h"
#include "ip_hooks.h"
#include "ip_term.h"
#include "ep_symbolize.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALTSTACK_SIZE (64 * 1024)

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

static bool crash_on;
static bool owned[NSIG];                    /* our handler is installed */
static struct sigaction program_action[NSIG];   /* what the program asked for */
static char crash_dir[1024];
static char *altstacks;                     /* one per thread record */

/* libunwind, local unwinding only, resolved at enable time. */
static struct {
    int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
} unw;

/* ---- what the handler writes ------------------------------------------ */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    }
    return "SIG?";
}

static uintptr_t fault_ip(const ucontext_t *uc)
{
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

static size_t frames_unwind(ucontext_t *uc, uintptr_t *ips, size_t max)
{
    unw_cursor_t cursor;
    unw_word_t ip;
    size_t n = 0;

    if (!unw.step || unw.init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0) {
        ips[0] = fault_ip(uc);          /* no unwinder: the faulting frame only */
        return 1;
    }
    do {
        if (unw.get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        ips[n++] = (uintptr_t)ip;
    } while (n < max && unw.step(&cursor) > 0);
    return n;
}

static void crash_describe(int sig, const siginfo_t *si, ucontext_t *uc,
                           struct rep_crash *c)
{
    static struct ep_symbol syms[REP_CRASH_FRAMES_MAX];
    uintptr_t ips[REP_CRASH_FRAMES_MAX];

    c->signo = sig;
    c->signame = signal_name(sig);
    c->code = si->si_code;
    c->fault_addr = (uintptr_t)si->si_addr;
    c->tid = (int)syscall(SYS_gettid);
    c->nframes = frames_unwind(uc, ips, REP_CRASH_FRAMES_MAX);
    for (size_t i = 0; i < c->nframes; i++) {
        /* A return address points after the call: look up the call. */
        uintptr_t at = i == 0 ? ips[i] : ips[i] - 1;
        ep_symbolize(at, &syms[i]);
        c->frames[i] = (struct rep_crash_frame){
            .addr = ips[i], .object = syms[i].object,
            .function = syms[i].function, .offset = syms[i].offset + (i != 0),
        };
    }
}

static char *decimal_append(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* <crash_dir>/backtrace_<pid>_<unix-time>, never following a link or
 * replacing a file. */
static void crash_file_write(const struct rep_crash *c, time_t now)
{
    static char text[64 * 1024];
    char path[sizeof crash_dir + 64];
    size_t dirlen = strlen(crash_dir);
    char *p = path;

    if (!dirlen)
        return;                 /* no directory of ours: the event only */
    memcpy(p, crash_dir, dirlen);
    p += dirlen;
    memcpy(p, "/backtrace_", 11);
    p = decimal_append(p + 11, (uint64_t)ip_proc.pid);
    *p++ = '_';
    p = decimal_append(p, (uint64_t)now);
    *p = '\0';
    size_t n = rep_fmt_crash_text(text, sizeof text, &ip_proc.ident, c);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    (void)!write(fd, text, n);
    close(fd);
}

static void crash_record(int sig, const siginfo_t *si, ucontext_t *uc)
{
    static struct rep_crash crash;
    struct timespec now;

    crash_describe(sig, si, uc, &crash);
    clock_gettime(CLOCK_REALTIME, &now);
    crash_file_write(&crash, now.tv_sec);
    if (ip_proc.rep) {
        rep_crash_event_write(ip_proc.rep, &crash, (double)now.tv_sec + now.tv_nsec / 1e9);
        rep_flush_from_signal(ip_proc.rep, 1000);
    }
}

/* ---- dying as the program would have ----------------------------------- */

static void disposition_restore(int sig)
{
    owned[sig] = false;
    ip_real_sigaction(sig, &program_action[sig], NULL);
}

/* Run the program's handler as the kernel would have: with the mask it
 * asked for (the mask before the signal, its sa_mask, and the signal
 * itself unless SA_NODEFER), which is put back when the handler returns. */
static void program_handler_run(const struct sigaction *pa, int sig, siginfo_t *si,
                                ucontext_t *uc)
{
    sigset_t mask = uc->uc_sigmask, during;

    for (int s = 1; s < NSIG; s++)
        if (sigismember(&pa->sa_mask, s) == 1)
            sigaddset(&mask, s);
    if (!(pa->sa_flags & SA_NODEFER))
        sigaddset(&mask, sig);
    pthread_sigmask(SIG_SETMASK, &mask, &during);
    if (pa->sa_flags & SA_SIGINFO)
        pa->sa_sigaction(sig, si, uc);
    else
        pa->sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &during, NULL);
}

/* The program's handler, or the default action, as without us. */
static void crash_chain(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct sigaction *pa = &program_action[sig];

    if (pa->sa_handler == SIG_DFL || pa->sa_handler == SIG_IGN) {
        disposition_restore(sig);
        if (pa->sa_handler == SIG_IGN)
            return;     /* a fault re-executes; the kernel forces the default */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        /* Re-raised, not re-executed: a kill(2)ed signal would not come
         * back by itself. Delivered as soon as it is unblocked. */
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        return;
    }
    struct sigaction handler = *pa;
    if (pa->sa_flags & SA_RESETHAND) {
        memset(pa, 0, sizeof *pa);
        pa->sa_handler = SIG_DFL;
    }
    program_handler_run(&handler, sig, si, uc);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
    static int crashing;
    int saved = errno;

    /* One backtrace per process: a second thread crashing meanwhile just
     * dies, and a program that handles its own faults (a probe, a garbage
     * collector) pays for the first one only. */
    if (__atomic_exchange_n(&crashing, 1, __ATOMIC_ACQ_REL) == 0)
        crash_record(sig, si, uc);
    crash_chain(sig, si, uc);
    errno = saved;
}

/* Our action for sig: nothing blocked beyond the signal itself (an
 * asynchronous one may still interrupt us), and the program's SA_RESTART,
 * so that system calls interrupted by a kill -ABRT behave as before. */
static int ours_install(int sig, struct sigaction *previous)
{
    struct sigaction ours;

    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = crash_handler;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK | (program_action[sig].sa_flags & SA_RESTART);
    sigemptyset(&ours.sa_mask);
    return ip_real_sigaction(sig, &ours, previous);
}

/* ---- turning it on and off --------------------------------------------- */

static int unwinder_load(void)
{
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return -1;
    unw.init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, "_ULx86_64_init_local2");
    unw.get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
    unw.step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
    if (!unw.init_local2 || !unw.get_reg || !unw.step) {
        memset(&unw, 0, sizeof unw);
        return -1;
    }
    return 0;
}


void ip_crash_thread_start(unsigned index)
{
    stack_t old, ours = { .ss_size = ALTSTACK_SIZE };

    if (!crash_on || sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE))
        return;                 /* the program has its own: keep it */
    ours.ss_sp = altstacks + (size_t)index * ALTSTACK_SIZE;
    sigaltstack(&ours, NULL);
}

void ip_crash_thread_end(void)
{
    stack_t now, off = { .ss_flags = SS_DISABLE };
    char *mine = altstacks;

    if (!mine || sigaltstack(NULL, &now) != 0 || (now.ss_flags & SS_DISABLE))
        return;
    if ((char *)now.ss_sp >= mine &&
        (char *)now.ss_sp < mine + (size_t)IP_THREADS_MAX * ALTSTACK_SIZE)
        sigaltstack(&off, NULL);
}

const char *ip_crash_enable(const struct rep_config *cfg)
{
    if (!cfg->backtrace || crash_on)
        return NULL;
    if (!altstacks) {
        void *p = mmap(NULL, (size_t)IP_THREADS_MAX * ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return "backtraces off: cannot map alternate signal stacks";
        altstacks = p;
    }
    const char *note = unwinder_load() < 0
        ? "libunwind.so.8 not found: crash backtraces will hold the faulting frame only" : NULL;
    if (rep_config_user_dir(cfg, "crash", crash_dir, sizeof crash_dir) < 0)
        crash_dir[0] = '\0';
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        int sig = crash_signals[i];
        if (ip_real_sigaction(sig, NULL, &program_action[sig]) == 0 &&
            ours_install(sig, NULL) == 0)
            owned[sig] = true;
    }
    crash_on = true;
    return note;
}

void ip_crash_disable(void)
{
    if (!crash_on)
        return;
    crash_on = false;
    for (int sig = 1; sig < NSIG; sig++)
        if (owned[sig])
            disposition_restore(sig);
}

/* ---- the program's view of its signal dispositions --------------------- */

/* The termination signals are ip_term.c's (disjoint from the crash
 * signals): it answers for those it stands in for. */
int ip_wrap_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (ip_term_owns(sig))
        return ip_term_sigaction(sig, act, old);
    if (sig <= 0 || sig >= NSIG || !owned[sig]) {
        int rc = ip_real_sigaction(sig, act, old);
        if (act)
            ip_term_after_set(sig);
        return rc;
    }
    if (old)
        *old = program_action[sig];
    if (act) {
        program_action[sig] = *act;
        ours_install(sig, NULL);        /* its SA_RESTART may have changed */
    }
    return 0;
}

/* The real call's result, once ip_term.c had its look at what it set. */
static sighandler_t term_after_set(int sig, sighandler_t previous)
{
    ip_term_after_set(sig);
    return previous;
}

/* signal() and its old names, as glibc defines them, for a signal of ours. */
static sighandler_t program_handler_set(int sig, sighandler_t handler, int flags)
{
    sighandler_t previous = program_action[sig].sa_handler;
    memset(&program_action[sig], 0, sizeof program_action[sig]);
    program_action[sig].sa_handler = handler;
    program_action[sig].sa_flags = flags;
    ours_install(sig, NULL);
    return previous;
}

sighandler_t ip_wrap_signal(int sig, sighandler_t handler)
{
    ip_term_release(sig);
    if (sig <= 0 || sig >= NSIG || !owned[sig])
        return term_after_set(sig, ip_real_signal(sig, handler));
    return program_handler_set(sig, handler, SA_RESTART);   /* BSD semantics */
}

sighandler_t ip_wrap_bsd_signal(int sig, sighandler_t handler)
{
    ip_term_release(sig);
    if (sig <= 0 || sig >= NSIG || !owned[sig])
        return term_after_set(sig, ip_real_bsd_signal(sig, handler));
    return program_handler_set(sig, handler, SA_RESTART);
}

sighandler_t ip_wrap_sysv_signal(int sig, sighandler_t handler)
{
    ip_term_release(sig);
    if (sig <= 0 || sig >= NSIG || !owned[sig])
        return term_after_set(sig, ip_real_sysv_signal(sig, handler));
    return program_handler_set(sig, handler, SA_RESETHAND | SA_NODEFER);
}

/* sigset can hold a signal (SIG_HOLD) too: rather than mimic that, we step
 * aside for the signal and let the program have it. */
sighandler_t ip_wrap_sigset(int sig, sighandler_t handler)
{
    ip_term_release(sig);
    if (sig > 0 && sig < NSIG && owned[sig])
        disposition_restore(sig);
    return term_after_set(sig, ip_real_sigset(sig, handler));
}
