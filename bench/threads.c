/* threads.c: a target for bench/run's attach measurements: how much memory
 * libscope adds per thread of the target.
 *
 *   threads N
 *
 * Starts N threads that each write 64 B to /dev/null every 10 ms (so that
 * after an attach each one makes hooked calls, which is what makes libscope
 * give it its own state), prints "ready <pid>" once all of them have
 * written once, and exits at end of input.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 64
#define PAUSE_NS (10 * 1000 * 1000)

static int devnull;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started_cv = PTHREAD_COND_INITIALIZER;
static int started;

static void write_chunk(void)
{
    static const char chunk[CHUNK];
    if (write(devnull, chunk, CHUNK) != CHUNK) {
        perror("write");
        exit(1);
    }
}

static void count_started(void)
{
    pthread_mutex_lock(&lock);
    started++;
    pthread_cond_signal(&started_cv);
    pthread_mutex_unlock(&lock);
}

static void *worker(void *unused)
{
    const struct timespec pause = { 0, PAUSE_NS };

    write_chunk();
    count_started();
    for (;;) {
        nanosleep(&pause, NULL);
        write_chunk();
    }
    return NULL;
}

static void wait_for_all_started(int n)
{
    pthread_mutex_lock(&lock);
    while (started < n)
        pthread_cond_wait(&started_cv, &lock);
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
    int n = argc == 2 ? atoi(argv[1]) : 0;
    if (n <= 0) {
        fputs("usage: threads N\n", stderr);
        return 2;
    }
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0) {
        perror("/dev/null");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0) {
            fputs("threads: pthread_create failed\n", stderr);
            return 1;
        }
        pthread_detach(t);
    }
    wait_for_all_started(n);
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    while (getchar() != EOF)
        continue;
    return 0;
}
