/* musl_worker.c: a musl-linked program doing the file and socket I/O it
 * is told to, one command per line on stdin, so that a test knows every
 * byte it moved:
 *   file PATH N   write N bytes to PATH (new), then read them back
 *   net PORT N    send N bytes to 127.0.0.1:PORT, shut down its sending
 *                 side, read until the peer closes
 *   exec PATH ARG become PATH (execv), with the one argument ARG
 *   system CMD    system(CMD) (the rest of the line); "done S", S its status
 *   popen CMD     popen(CMD, "r"), read to the end, pclose; "done S B", S
 *                 the status, B the bytes read
 *   quit          exit 0
 * It prints "ready" first and "done M" after each command (M: the bytes
 * read back); "error WHAT" and exit 1 when a call fails. Built with
 * musl-gcc (tests/musl/CMakeLists.txt), and with the project's compiler
 * as glibc_worker: the same program on glibc.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

static void fail(const char *what)
{
    printf("error %s\n", what);
    exit(1);
}

static long file_cycle(const char *path, long n)
{
    long got = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        fail("open for writing");
    for (long left = n; left > 0;) {
        ssize_t w = write(fd, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
        if (w <= 0)
            fail("write");
        left -= w;
    }
    close(fd);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        fail("open for reading");
    for (ssize_t r; (r = read(fd, buf, sizeof buf)) != 0; got += r)
        if (r < 0)
            fail("read");
    close(fd);
    return got;
}

static long net_cycle(int port, long n)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    long got = 0;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) != 0)
        fail("connect");
    for (long left = n; left > 0;) {
        ssize_t w = send(s, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf, 0);
        if (w <= 0)
            fail("send");
        left -= w;
    }
    shutdown(s, SHUT_WR);
    for (ssize_t r; (r = recv(s, buf, sizeof buf, 0)) != 0; got += r)
        if (r < 0)
            fail("recv");
    close(s);
    return got;
}

int main(void)
{
    char line[8400], arg[4097], arg2[4097];
    long n;

    memset(buf, 'm', sizeof buf);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "file %4096s %ld", arg, &n) == 2)
            printf("done %ld\n", file_cycle(arg, n));
        else if (sscanf(line, "net %4096s %ld", arg, &n) == 2)
            printf("done %ld\n", net_cycle(atoi(arg), n));
        else if (sscanf(line, "exec %4096s %4096s", arg, arg2) == 2) {
            execv(arg, (char *[]){arg, arg2, NULL});
            fail("exec");
        }
        else if (strncmp(line, "system ", 7) == 0) {
            line[strcspn(line, "\n")] = '\0';
            printf("done %d\n", system(line + 7));
        } else if (strncmp(line, "popen ", 6) == 0) {
            line[strcspn(line, "\n")] = '\0';
            FILE *f = popen(line + 6, "r");
            size_t got = 0;
            for (size_t r; f && (r = fread(buf, 1, sizeof buf, f)) > 0;)
                got += r;
            printf("done %d %zu\n", f ? pclose(f) : -1, got);
        }
        else if (strncmp(line, "quit", 4) == 0)
            return 0;
        else
            fail("unknown command");
    }
    return 0;
}
