/* sigview: checks that its own view of SIGTERM and SIGHUP is what it set,
 * and that its handlers get the signals. Prints "ok" and exits 0, or says
 * what differs and exits 1. Under scope, which stands in for the default
 * action of termination signals, nothing of that may show. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t got_term, got_hup;

static void on_term(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    got_term = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    got_hup = 1;
}

static int fail(const char *what)
{
    printf("%s\n", what);
    return 1;
}

int main(void)
{
    struct sigaction was, mine, now;

    if (sigaction(SIGTERM, NULL, &was) != 0 || was.sa_handler != SIG_DFL || was.sa_flags != 0)
        return fail("SIGTERM does not start at SIG_DFL with no flags");
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_term;
    mine.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&mine.sa_mask);
    sigaddset(&mine.sa_mask, SIGUSR1);
    if (sigaction(SIGTERM, &mine, &was) != 0 || was.sa_handler != SIG_DFL)
        return fail("sigaction did not report SIG_DFL as SIGTERM's old action");
    if (sigaction(SIGTERM, NULL, &now) != 0 || now.sa_sigaction != on_term ||
        (now.sa_flags & (SA_SIGINFO | SA_RESTART)) != (SA_SIGINFO | SA_RESTART) ||
        sigismember(&now.sa_mask, SIGUSR1) != 1)
        return fail("sigaction does not report the SIGTERM action set");
    if (signal(SIGHUP, on_hup) != SIG_DFL)
        return fail("signal did not return SIG_DFL for SIGHUP");
    if (signal(SIGHUP, on_hup) != on_hup)
        return fail("signal did not return the SIGHUP handler set");
    raise(SIGTERM);
    raise(SIGHUP);
    if (!got_term || !got_hup)
        return fail("a handler did not run");
    printf("ok\n");
    return 0;
}
