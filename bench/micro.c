/* micro.c: the micro benchmark program: the cost of one call of a hooked
 * libc I/O function, in nanoseconds, for bench/run.
 *
 *   micro WORKLOAD ITERATIONS          one measured run; prints ns per call
 *   micro --wait WORKLOAD ITERATIONS   prints "ready <pid>", then one
 *                                      measured run per line read on stdin,
 *                                      until end of input
 *
 * WORKLOAD is one of:
 *   write      write(2) of 64 B to /dev/null
 *   read       read(2) of 64 B from /dev/zero
 *   openclose  open(2) then close(2) of a file in a temporary directory
 *   sendrecv   send(2) of 64 B on one end of a socketpair, recv(2) on the
 *              other (ns per send+recv pair)
 *   fwrite     fwrite(3) of 64 B to a file in a temporary directory
 *
 * --wait is for `scope attach` and `scope detach`: they happen between
 * measured runs, while the program is blocked reading stdin.
 *
 * --idle-thread shared|own starts a thread that only sleeps, as libscope's
 * reporter mostly does, sharing the fd table or in its own copy
 * (unshare(CLONE_FILES)): what a second thread alone costs the calls.
 *
 * Every fd and FILE is set up before the first measured run, so an attach
 * finds them already open, as it would in a real program. Each measured run
 * does a warm-up of a tenth of the iterations first (caches, page faults,
 * the first call through a lazily bound PLT slot, libscope's per-thread
 * queue claimed on the first hooked call), then times the loop alone with
 * CLOCK_MONOTONIC.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 64
/* fwrite's file is rewound at this size, so a long run does not fill the
 * temporary directory; rewinding costs one flush, as a full buffer does. */
#define FWRITE_FILE_MAX (1 << 20)

struct fixture {
    char dir[64];           /* temporary directory, or "" */
    char path[96];          /* the file openclose opens, fwrite writes */
    int fd;                 /* write: /dev/null; read: /dev/zero */
    int pair[2];            /* sendrecv */
    FILE *file;             /* fwrite */
    char buf[CHUNK];
};

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void expect_chunk(ssize_t n, const char *what)
{
    if (n != CHUNK)
        die(what);
}

static void loop_write(struct fixture *f, long n)
{
    for (long i = 0; i < n; i++)
        expect_chunk(write(f->fd, f->buf, CHUNK), "write");
}

static void loop_read(struct fixture *f, long n)
{
    for (long i = 0; i < n; i++)
        expect_chunk(read(f->fd, f->buf, CHUNK), "read");
}

static void loop_openclose(struct fixture *f, long n)
{
    for (long i = 0; i < n; i++) {
        int fd = open(f->path, O_RDONLY);
        if (fd < 0 || close(fd) != 0)
            die("open/close");
    }
}

static void loop_sendrecv(struct fixture *f, long n)
{
    for (long i = 0; i < n; i++) {
        expect_chunk(send(f->pair[0], f->buf, CHUNK, 0), "send");
        expect_chunk(recv(f->pair[1], f->buf, CHUNK, 0), "recv");
    }
}

static void loop_fwrite(struct fixture *f, long n)
{
    for (long i = 0; i < n; i++) {
        if (fwrite(f->buf, 1, CHUNK, f->file) != CHUNK)
            die("fwrite");
        if ((i & (FWRITE_FILE_MAX / CHUNK - 1)) == FWRITE_FILE_MAX / CHUNK - 1)
            rewind(f->file);
    }
}

static void make_temp_file(struct fixture *f)
{
    strcpy(f->dir, "/tmp/scope-micro-XXXXXX");
    if (!mkdtemp(f->dir))
        die("mkdtemp");
    snprintf(f->path, sizeof f->path, "%s/file", f->dir);
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || close(fd) != 0)
        die(f->path);
}

static void remove_temp_file(struct fixture *f)
{
    if (f->dir[0]) {
        unlink(f->path);
        rmdir(f->dir);
    }
}

static int open_or_die(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        die(path);
    return fd;
}

typedef void (*loop_fn)(struct fixture *, long);

/* Set up what WORKLOAD needs; return its loop, or NULL for an unknown name. */
static loop_fn set_up(const char *workload, struct fixture *f)
{
    memset(f, 0, sizeof *f);
    memset(f->buf, 'x', sizeof f->buf);
    if (strcmp(workload, "write") == 0) {
        f->fd = open_or_die("/dev/null", O_WRONLY);
        return loop_write;
    }
    if (strcmp(workload, "read") == 0) {
        f->fd = open_or_die("/dev/zero", O_RDONLY);
        return loop_read;
    }
    if (strcmp(workload, "openclose") == 0) {
        make_temp_file(f);
        return loop_openclose;
    }
    if (strcmp(workload, "sendrecv") == 0) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, f->pair) != 0)
            die("socketpair");
        return loop_sendrecv;
    }
    if (strcmp(workload, "fwrite") == 0) {
        make_temp_file(f);
        f->file = fopen(f->path, "w");
        if (!f->file)
            die(f->path);
        return loop_fwrite;
    }
    return NULL;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One measured run: warm-up, then the timed loop. Returns ns per call. */
static double measure(loop_fn loop, struct fixture *f, long iterations)
{
    loop(f, iterations / 10 + 1);
    double t0 = now_ns();
    loop(f, iterations);
    return (now_ns() - t0) / (double)iterations;
}

static void report(double ns)
{
    printf("%.2f\n", ns);
    fflush(stdout);
}

/* --wait: measure once per line of stdin. */
static void measure_on_request(loop_fn loop, struct fixture *f, long iterations)
{
    char line[64];

    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    while (fgets(line, sizeof line, stdin))
        report(measure(loop, f, iterations));
}

static void *idle(void *own_table)
{
    if (own_table && unshare(CLONE_FILES) != 0)
        die("unshare(CLONE_FILES)");
    for (;;)
        pause();
    return NULL;
}

static void idle_thread_start(int own_table)
{
    pthread_t t;
    if (pthread_create(&t, NULL, idle, own_table ? &t : NULL) != 0)
        die("pthread_create");
    usleep(10000);              /* its unshare is done before we measure */
}

static int usage(void)
{
    fputs("usage: micro [--wait] [--idle-thread shared|own] "
          "write|read|openclose|sendrecv|fwrite ITERATIONS\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    int wait = argc > 1 && strcmp(argv[1], "--wait") == 0;
    argv += wait;
    argc -= wait;
    if (argc > 2 && strcmp(argv[1], "--idle-thread") == 0) {
        if (strcmp(argv[2], "shared") != 0 && strcmp(argv[2], "own") != 0)
            return usage();
        idle_thread_start(strcmp(argv[2], "own") == 0);
        argv += 2;
        argc -= 2;
    }
    if (argc != 3)
        return usage();
    long iterations = atol(argv[2]);
    struct fixture f;
    loop_fn loop = set_up(argv[1], &f);
    if (!loop || iterations <= 0)
        return usage();

    if (wait)
        measure_on_request(loop, &f, iterations);
    else
        report(measure(loop, &f, iterations));
    if (f.file)
        fclose(f.file);
    remove_temp_file(&f);
    return 0;
}
