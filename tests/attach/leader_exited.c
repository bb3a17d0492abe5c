/* leader_exited: a process whose main thread has called pthread_exit
 * (state Zl) while another thread lives on: it sleeps, and exits 0 on
 * SIGUSR1 (a handler; the signal reaches the live thread). Prints "ready"
 * once the main thread is gone. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t done;

static void on_usr1(int sig)
{
    done = sig;
}

static void *live(void *arg)
{
    (void)arg;
    printf("ready\n");
    fflush(stdout);
    while (!done)
        sleep(1);
    _exit(0);
}

int main(void)
{
    pthread_t th;

    signal(SIGUSR1, on_usr1);
    if (pthread_create(&th, NULL, live, NULL) != 0)
        return 2;
    pthread_exit(NULL);
}
