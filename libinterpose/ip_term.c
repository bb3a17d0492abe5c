/* ip_term.c: flush before a default-action death by SIGTERM, SIGINT,
 * SIGHUP or SIGQUIT (ip_term.h). The handler is async-signal-safe: it
 * waits for the reporter thread's cycle, touching only atomics. */
#include "ip.h"
#include "ip_hooks.h"
#include "ip_term.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const int term_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

static bool enabled;                            /* between attach and detach */
static bool owned[NSIG];                        /* atomic */
static struct sigaction program_action[NSIG];   /* what the program has */

static bool is_term_signal(int sig)
{
    for (size_t i = 0; i < sizeof term_signals / sizeof term_signals[0]; i++)
        if (term_signals[i] == sig)
            return true;
    return false;
}

bool ip_term_owns(int sig)
{
    return sig > 0 && sig < NSIG && __atomic_load_n(&owned[sig], __ATOMIC_ACQUIRE);
}

/* The program's action back in the kernel: we no longer stand in. */
static void step_aside(int sig)
{
    __atomic_store_n(&owned[sig], false, __ATOMIC_RELEASE);
    ip_real_sigaction(sig, &program_action[sig], NULL);
}

static void term_handler(int sig)
{
    int saved = errno;
    sigset_t set;

    ip_flush_at_signal();
    step_aside(sig);
    sigemptyset(&set);
    sigaddset(&set, sig);
    /* Raised again at this thread, delivered with the default action as
     * soon as the handler's mask lets it through. */
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    errno = saved;
}

/* Ours: nothing blocked beyond the signal itself, as SIG_DFL blocks
 * nothing; SA_RESTART so that a system call interrupted by a signal the
 * flush then finds blocked elsewhere is not failed with EINTR. */
static int ours_install(int sig)
{
    struct sigaction ours;

    memset(&ours, 0, sizeof ours);
    ours.sa_handler = term_handler;
    ours.sa_flags = SA_RESTART;
    sigemptyset(&ours.sa_mask);
    return ip_real_sigaction(sig, &ours, NULL);
}

/* Stand in for sig if the kernel has its default action now: what the
 * kernel holds (SIG_DFL with the program's flags and mask) is what the
 * program is told from then on. */
static void take_if_default(int sig)
{
    if (ip_real_sigaction(sig, NULL, &program_action[sig]) != 0 ||
        program_action[sig].sa_handler != SIG_DFL ||
        (program_action[sig].sa_flags & SA_SIGINFO))
        return;                     /* the program's own, or ignored */
    __atomic_store_n(&owned[sig], true, __ATOMIC_RELEASE);
    if (ours_install(sig) != 0)
        __atomic_store_n(&owned[sig], false, __ATOMIC_RELEASE);
}

void ip_term_enable(void)
{
    enabled = true;
    for (size_t i = 0; i < sizeof term_signals / sizeof term_signals[0]; i++)
        take_if_default(term_signals[i]);
}

void ip_term_disable(void)
{
    enabled = false;
    for (size_t i = 0; i < sizeof term_signals / sizeof term_signals[0]; i++)
        if (ip_term_owns(term_signals[i]))
            step_aside(term_signals[i]);
}

void ip_term_after_set(int sig)
{
    if (enabled && is_term_signal(sig) && !ip_term_owns(sig)) {
        int saved = errno;
        take_if_default(sig);
        errno = saved;
    }
}

int ip_term_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!act) {
        if (old)
            *old = program_action[sig];
        return 0;
    }
    if (act->sa_handler == SIG_DFL && !(act->sa_flags & SA_SIGINFO)) {
        if (old)
            *old = program_action[sig];
        program_action[sig] = *act;     /* still the default: we stay */
        return 0;
    }
    /* Anything else is the program's to have, exactly as it asked; the
     * kernel reports back what it had before, which is program_action. */
    step_aside(sig);
    return ip_real_sigaction(sig, act, old);
}

void ip_term_release(int sig)
{
    if (ip_term_owns(sig))
        step_aside(sig);
}
