/* chain.c: each stage appends 100 bytes to FILE, then becomes or starts
 * the next: stage 0 by execl, 1 by execlp, 2 by execle with an empty
 * environment, 3 by execvpe with an empty environment, 4 starts stage 5
 * with posix_spawnp (an empty environment), waits for it and ends with
 * _Exit, as stage 5 does. Usage: chain 0 FILE. FILE ends with 600 bytes. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char block[100];

static int append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    return fd >= 0 && write(fd, block, sizeof block) == sizeof block && close(fd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    char next[16];
    char *const empty[] = { NULL };
    int stage = argc == 3 ? atoi(argv[1]) : -1, status;
    pid_t pid;

    if (stage < 0 || append(argv[2]) != 0)
        return 2;
    snprintf(next, sizeof next, "%d", stage + 1);
    char *args[] = { argv[0], next, argv[2], NULL };
    switch (stage) {
    case 0: execl(argv[0], argv[0], next, argv[2], (char *)NULL); break;
    case 1: execlp(argv[0], argv[0], next, argv[2], (char *)NULL); break;
    case 2: execle(argv[0], argv[0], next, argv[2], (char *)NULL, empty); break;
    case 3: execvpe(argv[0], args, empty); break;
    case 4:
        if (posix_spawnp(&pid, argv[0], NULL, NULL, args, empty) != 0 ||
            waitpid(pid, &status, 0) != pid)
            return 1;
        _Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    default: _Exit(0);
    }
    return 1;           /* an exec failed */
}
