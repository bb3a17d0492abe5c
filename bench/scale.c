/* scale.c: what a hooked write costs as a process grows, for bench/run's
 * scale section.
 *
 *   scale THREADS FDS ITERATIONS
 *
 * Opens /dev/null until FDS descriptors are open, starts THREADS threads
 * that each write 64 B to one of them ITERATIONS times, all at once (after
 * a warm-up of a tenth each: libscope's per-thread state is claimed on the
 * first call), and prints
 *
 *   <CPU ns per call> <resident KiB>
 *
 * CPU ns: the process's CPU time over the timed loops (every thread, the
 * reporter's too) divided by the calls, which a busy machine disturbs less
 * than wall time. Resident: VmRSS after the run. Exits 3 with a reason
 * on stdout when the fd limit or the thread limit does not allow the size.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 64

static long iterations;
static int devnull;
static pthread_barrier_t warm, timed;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void writes(long n)
{
    static const char chunk[CHUNK];
    for (long i = 0; i < n; i++)
        if (write(devnull, chunk, CHUNK) != CHUNK)
            die("write");
}

static void *writer(void *arg)
{
    (void)arg;
    writes(iterations / 10 + 1);
    pthread_barrier_wait(&warm);    /* main reads the clock */
    pthread_barrier_wait(&timed);
    writes(iterations);
    return NULL;
}

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* Open /dev/null until fds descriptors are open (0-2 and ours count). */
static void fds_fill(long fds)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("getrlimit");
    if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < fds + 16) {
        /* root may raise the hard limit (up to fs.nr_open) */
        struct rlimit more = {(rlim_t)fds + 16, (rlim_t)fds + 16};
        if (setrlimit(RLIMIT_NOFILE, &more) != 0) {
            printf("n/a (the fd limit here is %ld)\n", (long)rl.rlim_max);
            exit(3);
        }
        rl = more;
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("setrlimit");
    for (int fd = devnull + 1; fd < fds; fd = open("/dev/null", O_RDONLY))
        if (fd < 0)
            die("open");
}

int main(int argc, char **argv)
{
    if (argc != 4 || (iterations = atol(argv[3])) <= 0) {
        fputs("usage: scale THREADS FDS ITERATIONS\n", stderr);
        return 2;
    }
    long nthreads = atol(argv[1]), fds = atol(argv[2]);
    if (nthreads < 1)
        return 2;
    if ((devnull = open("/dev/null", O_WRONLY)) < 0)
        die("/dev/null");
    fds_fill(fds);

    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (!t || pthread_barrier_init(&warm, NULL, (unsigned)nthreads + 1) ||
        pthread_barrier_init(&timed, NULL, (unsigned)nthreads + 1))
        die("setup");
    for (long i = 0; i < nthreads; i++) {
        if (pthread_create(&t[i], &attr, writer, NULL) != 0) {
            printf("n/a (thread %ld could not start)\n", i + 1);
            return 3;
        }
    }
    pthread_barrier_wait(&warm);
    double t0 = cpu_ns();
    pthread_barrier_wait(&timed);
    for (long i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    double per_call = (cpu_ns() - t0) / ((double)iterations * (double)nthreads);
    printf("%.2f %ld\n", per_call, rss_kib());
    return 0;
}
