/* ctr_worker: the program the container tests attach to. It says "ready",
 * then waits on stdin (read: where scope stops it); each "io" line makes it
 * do a known amount of file and socket I/O and answer "done"; "quit" (or
 * the end of stdin) makes it exit 0. Any failure exits 1, so that a test
 * sees a harmed target.
 *
 *   io: 3 writes of 1000 bytes to /tmp/ctr-io.txt, then 3 reads of 1000
 *       bytes of it; 1000 bytes sent and received over a TCP connection on
 *       127.0.0.1 (the container's own loopback).
 *   fork: a child that writes 500 bytes to /tmp/ctr-child.txt, then waits
 *       for a line on the pipe it shares with its parent; the parent says
 *       "forked N" (the child's pid as the container sees it), then, after
 *       a "go" line, tells the child to exit, and says "done" once it exited
 *       0.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 1000
#define FILE_PATH "/tmp/ctr-io.txt"

static int say(const char *s)
{
    size_t n = strlen(s);
    return write(1, s, n) == (ssize_t)n ? 0 : -1;
}

static int file_io(void)
{
    char buf[CHUNK];
    int fd = open(FILE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    memset(buf, 'c', sizeof buf);
    for (int i = 0; fd >= 0 && i < 3; i++)
        if (write(fd, buf, sizeof buf) != CHUNK)
            return -1;
    if (fd < 0 || close(fd) != 0 || (fd = open(FILE_PATH, O_RDONLY)) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (read(fd, buf, sizeof buf) != CHUNK)
            return -1;
    return close(fd);
}

static int all_recv(int fd, char *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int socket_io(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    char buf[CHUNK];
    int l = socket(AF_INET, SOCK_STREAM, 0), c = -1, s = -1, rc = -1;

    memset(buf, 'n', sizeof buf);
    if (l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
        getsockname(l, (struct sockaddr *)&a, &len) == 0 &&
        (c = socket(AF_INET, SOCK_STREAM, 0)) >= 0 &&
        connect(c, (struct sockaddr *)&a, sizeof a) == 0 && (s = accept(l, NULL, NULL)) >= 0 &&
        send(c, buf, sizeof buf, 0) == CHUNK && all_recv(s, buf, sizeof buf) == 0)
        rc = 0;
    if (s >= 0)
        close(s);
    if (c >= 0)
        close(c);
    if (l >= 0)
        close(l);
    return rc;
}

static int fork_io(void)
{
    char buf[500], line[64];
    int pipefd[2], status;

    memset(buf, 'k', sizeof buf);
    if (pipe(pipefd) != 0)
        return -1;
    pid_t c = fork();
    if (c == 0) {
        int fd = open("/tmp/ctr-child.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        close(pipefd[1]);
        if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || close(fd) != 0)
            _exit(1);
        _exit(read(pipefd[0], line, 1) == 1 ? 0 : 1);
    }
    close(pipefd[0]);
    snprintf(line, sizeof line, "forked %d\n", (int)c);
    int rc = c > 0 && say(line) == 0 && read(0, line, sizeof line) > 0 &&
             write(pipefd[1], "x", 1) == 1 && waitpid(c, &status, 0) == c &&
             WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    close(pipefd[1]);
    return rc;
}

int main(void)
{
    char line[64];
    ssize_t n;

    if (say("ready\n") != 0)
        return 1;
    while ((n = read(0, line, sizeof line - 1)) > 0) {
        line[n] = '\0';
        if (strncmp(line, "quit", 4) == 0)
            return 0;
        if (strncmp(line, "fork", 4) == 0) {
            if (fork_io() != 0 || say("done\n") != 0)
                return 1;
            continue;
        }
        if (strncmp(line, "io", 2) != 0 || file_io() != 0 || socket_io() != 0 ||
            say("done\n") != 0)
            return 1;
    }
    return n == 0 ? 0 : 1;
}
