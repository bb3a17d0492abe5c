/* mask_keeper: a process that keeps a signal mask and sleeps in short
 * naps, for scope attach and detach to be killed against.
 *
 * SIGUSR2 stays blocked; SIGUSR1 (a handler) ends it. Prints "ready" once
 * set up; exits 0 when its mask is still SIGUSR2 alone, 3 when not. */
#include <signal.h>
#include <stdio.h>
#include <time.h>

static volatile sig_atomic_t done;

static void on_usr1(int sig)
{
    done = sig;
}

int main(void)
{
    struct timespec nap = {0, 5 * 1000 * 1000};
    sigset_t mine, now;

    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR2);
    sigprocmask(SIG_SETMASK, &mine, NULL);
    signal(SIGUSR1, on_usr1);
    printf("ready\n");
    fflush(stdout);
    while (!done)
        nanosleep(&nap, NULL);
    sigprocmask(SIG_SETMASK, NULL, &now);
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&now, sig) != sigismember(&mine, sig))
            return 3;
    return 0;
}
