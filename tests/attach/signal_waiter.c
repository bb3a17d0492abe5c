/* signal_waiter: a process whose only thread waits for a signal.
 *
 *   signal_waiter suspend   SIGUSR1 and SIGUSR2 blocked, then sigsuspend()
 *                           with none blocked until SIGUSR1 comes
 *   signal_waiter sigwait   SIGUSR1 blocked, then sigwait() for it
 *
 * Prints "waiting" before it waits; exits 0 once SIGUSR1 came and its
 * signal mask is still the one it set (3 when it changed). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
    got = sig;
}

int main(int argc, char **argv)
{
    sigset_t mine, none, now;
    int sig;

    sigemptyset(&none);
    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR1);
    sigaddset(&mine, SIGUSR2);
    signal(SIGUSR1, on_usr1);
    sigprocmask(SIG_SETMASK, &mine, NULL);
    printf("waiting\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "sigwait") == 0) {
        sigdelset(&mine, SIGUSR2);
        sigprocmask(SIG_SETMASK, &mine, NULL);
        if (sigwait(&mine, &sig) != 0 || sig != SIGUSR1)
            return 2;
    } else {
        while (!got)
            sigsuspend(&none);
    }
    sigprocmask(SIG_SETMASK, NULL, &now);
    int kept = sigismember(&now, SIGUSR1) == sigismember(&mine, SIGUSR1) &&
               sigismember(&now, SIGUSR2) == sigismember(&mine, SIGUSR2);
    printf("%s\n", kept ? "mask kept" : "mask changed");
    return kept ? 0 : 3;
}
