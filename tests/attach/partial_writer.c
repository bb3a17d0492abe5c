/* partial_writer: a program blocked in a pipe write that a stop would cut
 * short, for scope attach to leave alone.
 *
 *   partial_writer [thread]
 *
 * The pipe holds one page; a child reads it only after 4 s, so the 64 KiB
 * write blocks with 4096 bytes written. Prints "writing" before the write
 * and "wrote N" after it; exits 0 when N is the whole 64 KiB. With
 * "thread", a second thread sleeps meanwhile (a safe thread to stop). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* F_SETPIPE_SZ */
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEN (64 * 1024)

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(60);
    return NULL;
}

static int drain_later(int fd)
{
    static char buf[LEN];
    struct timespec later = {4, 0};

    nanosleep(&later, NULL);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[LEN];
    pthread_t th;
    int p[2];

    if (pipe(p) != 0 || fcntl(p[1], F_SETPIPE_SZ, 4096) < 0)
        return perror("pipe"), 2;
    pid_t child = fork();
    if (child == 0) {
        close(p[1]);
        _exit(drain_later(p[0]));
    }
    close(p[0]);
    if (argc > 1 && strcmp(argv[1], "thread") == 0 && pthread_create(&th, NULL, sleeper, NULL))
        return 2;
    memset(buf, 'x', sizeof buf);
    printf("writing\n");
    fflush(stdout);
    ssize_t n = write(p[1], buf, sizeof buf);
    printf("wrote %zd\n", n);
    fflush(stdout);
    close(p[1]);
    waitpid(child, NULL, 0);
    return n == LEN ? 0 : 1;
}
