/* mtio: a multi-threaded program with known file I/O that checks its own
 * data, for attaching to while it runs.
 *
 *   mtio DIR
 *
 * Starts 8 threads; thread i opens DIR/mtio.<i> at start (so a later
 * `scope attach` finds it already open) and waits. Commands on stdin, one
 * per line:
 *   go N    every thread does N operations, then mtio prints
 *           "done <total operations so far>"
 *   run     threads loop until "stop" (load for attach/detach cycles)
 *   stop    threads finish their current operation and wait;
 *           mtio prints "stopped <total operations so far>"
 *   quit    (or end of input) exit: 0 when every block read back was
 *           the one written, 1 otherwise
 * One operation: pwrite a 4096-byte block whose bytes encode (thread,
 * sequence) at one of 64 offsets, pread it back and compare. So an
 * operation moves exactly 4096 bytes each way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#define THREADS 8
#define BLOCK 4096
#define SLOTS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static long quota[THREADS];         /* operations left to do; -1: run */
static int busy;                    /* threads not waiting */
static int quitting;
static long total_ops;
static int corrupt;

static void block_fill(unsigned char *b, int thread, long seq)
{
    for (int i = 0; i < BLOCK; i++)
        b[i] = (unsigned char)(thread * 31 + seq * 7 + i);
}

static int operation(int fd, int thread, long seq)
{
    unsigned char out[BLOCK], in[BLOCK];
    off_t at = (off_t)(seq % SLOTS) * BLOCK;

    block_fill(out, thread, seq);
    if (pwrite(fd, out, BLOCK, at) != BLOCK || pread(fd, in, BLOCK, at) != BLOCK)
        return -1;
    return memcmp(in, out, BLOCK) == 0 ? 0 : -1;
}

struct worker {
    int id;
    int fd;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    long seq = 0;

    pthread_mutex_lock(&lock);
    for (;;) {
        while (quota[w->id] == 0 && !quitting) {
            if (--busy == 0)
                pthread_cond_broadcast(&idle_cv);
            pthread_cond_wait(&work_cv, &lock);
            busy++;
        }
        if (quitting)
            break;
        if (quota[w->id] > 0)
            quota[w->id]--;
        pthread_mutex_unlock(&lock);
        int bad = operation(w->fd, w->id, seq++);
        pthread_mutex_lock(&lock);
        total_ops++;
        corrupt |= bad;
    }
    busy--;
    pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int work_pending(void)
{
    for (int i = 0; i < THREADS; i++)
        if (quota[i] != 0)
            return 1;
    return busy > 0;
}

/* Set every thread's quota and, for a finite one, wait until all are idle. */
static long quota_set_and_wait(long n, int wait)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < THREADS; i++)
        quota[i] = n;
    pthread_cond_broadcast(&work_cv);
    while (wait && work_pending())
        pthread_cond_wait(&idle_cv, &lock);
    long ops = total_ops;
    pthread_mutex_unlock(&lock);
    return ops;
}

int main(int argc, char **argv)
{
    static struct worker workers[THREADS];
    pthread_t threads[THREADS];
    char path[4096], line[128];

    if (argc != 2) {
        fprintf(stderr, "usage: mtio DIR\n");
        return 2;
    }
    busy = THREADS;
    for (int i = 0; i < THREADS; i++) {
        snprintf(path, sizeof path, "%s/mtio.%d", argv[1], i);
        workers[i] = (struct worker){ i, open(path, O_RDWR | O_CREAT | O_TRUNC, 0600) };
        if (workers[i].fd < 0) {
            perror(path);
            return 2;
        }
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    quota_set_and_wait(0, 1);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready %d\n", (int)getpid());
    while (fgets(line, sizeof line, stdin)) {
        long n;
        if (sscanf(line, "go %ld", &n) == 1)
            printf("done %ld\n", quota_set_and_wait(n, 1));
        else if (strncmp(line, "run", 3) == 0)
            quota_set_and_wait(-1, 0);
        else if (strncmp(line, "stop", 4) == 0)
            printf("stopped %ld\n", quota_set_and_wait(0, 1));
        else if (strncmp(line, "quit", 4) == 0)
            break;
    }
    pthread_mutex_lock(&lock);
    quitting = 1;
    pthread_cond_broadcast(&work_cv);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    printf("exit %s %ld\n", corrupt ? "corrupt" : "ok", total_ops);
    return corrupt ? 1 : 0;
}
