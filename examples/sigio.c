/* sigio.c: writes from a signal handler land in the middle of the
 * program's own writes to the same files: libscope's per-thread counting
 * must neither lose nor misplace one.
 *
 *   sigio DIR ROUNDS
 *
 * The main loop writes one byte to each of FILES files in DIR, ROUNDS
 * times; a SIGALRM every 50 us writes two bytes to one of them. More files
 * than a thread has tallies, so tallies change file all the time, also
 * while the handler interrupts a count. Prints "DIR/fN BYTES" per file:
 * what it wrote there, for the test to compare.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define FILES 40

static int fds[FILES];
static volatile sig_atomic_t from_handler[FILES];
static volatile sig_atomic_t next_file;

static void on_alarm(int sig)
{
    int i = next_file;

    next_file = (i + 7) % FILES;
    if (write(fds[i], "ss", 2) == 2)
        from_handler[i] += 2;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

int main(int argc, char **argv)
{
    char path[4096];
    long rounds = argc == 3 ? atol(argv[2]) : 0;
    long from_main[FILES] = { 0 };

    if (rounds <= 0) {
        fputs("usage: sigio DIR ROUNDS\n", stderr);
        return 2;
    }
    for (int i = 0; i < FILES; i++) {
        snprintf(path, sizeof path, "%s/f%d", argv[1], i);
        fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fds[i] < 0)
            die(path);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = { { 0, 50 }, { 0, 50 } };
    if (setitimer(ITIMER_REAL, &every, NULL) != 0)
        die("setitimer");
    for (long r = 0; r < rounds; r++)
        for (int i = 0; i < FILES; i++)
            if (write(fds[i], "m", 1) == 1)
                from_main[i]++;
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    for (int i = 0; i < FILES; i++) {
        close(fds[i]);
        printf("%s/f%d %ld\n", argv[1], i, from_main[i] + from_handler[i]);
    }
    return 0;
}
