/* musl_sh.c: the /bin/sh of an Alpine-style root filesystem in the tests,
 * musl-linked (Debian ships no musl shell), as much of `sh -c CMD` as
 * system() and popen() need there:
 *   CMD     words separated by spaces (no quoting), then optionally
 *           `< FILE` and `> FILE` (stdin, stdout; FILE truncated)
 *   echo    a builtin: the other words and a newline, in one write(2) to
 *           stdout, the shell's own I/O (the test counts it)
 *   other   execvp(word 0, words): exit 127 when it cannot be run
 * Exit 2 on bad usage. Built with musl-gcc (tests/musl/CMakeLists.txt).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WORDS_MAX 64

/* fd made to be `to` (0 or 1), from path opened with flags; false when it
 * cannot be opened. */
static int redirect(const char *path, int flags, int to)
{
    int fd = open(path, flags | O_CLOEXEC, 0644);

    if (fd < 0 || dup2(fd, to) != to)
        return 0;
    close(fd);
    return 1;
}

/* The builtin echo: one write of the words and a newline. */
static int echo(char **words)
{
    char out[4096];
    size_t n = 0;

    for (int i = 1; words[i] && n < sizeof out; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i > 1 ? " " : "", words[i]);
    if (n >= sizeof out)
        return 1;
    out[n++] = '\n';
    return write(1, out, n) == (ssize_t)n ? 0 : 1;
}

int main(int argc, char **argv)
{
    static char cmd[8192];
    char *words[WORDS_MAX + 1];
    int n = 0;

    if (argc < 3 || strcmp(argv[1], "-c") != 0 || strlen(argv[2]) >= sizeof cmd) {
        fprintf(stderr, "usage: sh -c CMD\n");
        return 2;
    }
    strcpy(cmd, argv[2]);
    for (char *w = strtok(cmd, " "); w; w = strtok(NULL, " ")) {
        if (n == WORDS_MAX)
            return 2;
        words[n++] = w;
    }
    words[n] = NULL;
    /* the redirections, from the end */
    while (n >= 2 && (strcmp(words[n - 2], "<") == 0 || strcmp(words[n - 2], ">") == 0)) {
        int in = words[n - 2][0] == '<';
        if (!redirect(words[n - 1], in ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, in ? 0 : 1))
            return 1;
        words[n -= 2] = NULL;
    }
    if (n == 0)
        return 0;
    if (strcmp(words[0], "echo") == 0)
        return echo(words);
    execvp(words[0], words);
    return 127;
}
