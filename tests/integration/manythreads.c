/* manythreads: N threads that each open a file once and write to it now
 * and then, sleeping in between: named as a log file, a process whose
 * every thread has events on its queue in each attach, and whose set of
 * open files never changes.
 *   manythreads <file> <threads> <period_ms>
 * Prints "ready" once every thread has started, and exits at EOF on
 * stdin. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static long period_ms;

static void *worker(void *arg)
{
    struct timespec nap = { period_ms / 1000, (period_ms % 1000) * 1000000 };
    /* spread over the period: not all threads at once */
    struct timespec first = { 0, (long)(uintptr_t)arg % (period_ms ? period_ms : 1) * 1000000 };

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

    nanosleep(&first, NULL);
    for (;;) {
        (void)!write(fd, "x\n", 2);
        nanosleep(&nap, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    char buf[64];

    if (argc != 4) {
        fprintf(stderr, "usage: manythreads <file> <threads> <period_ms>\n");
        return 2;
    }
    path = argv[1];
    long n = atol(argv[2]);
    period_ms = atol(argv[3]);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "manythreads: thread %ld: cannot start\n", i);
            return 1;
        }
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(buf, sizeof buf, stdin))
        ;
    return 0;
}
