/* sigsetter.c: sets its SIGTERM handler with System V's sigset when told,
 * for a test across attach and detach. Prints "ready <pid>", then takes
 * lines on stdin: "sigset" installs the handler and prints "set"; "quit"
 * (or end of input) exits 0. The handler prints "caught" and exits 0. */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void say(const char *text)
{
    size_t len = strlen(text);

    if (write(STDOUT_FILENO, text, len) != (ssize_t)len)
        _exit(2);
}

static void on_term(int sig)
{
    say("caught\n");
    _exit(0);
}

int main(void)
{
    char line[64], out[64];

    snprintf(out, sizeof out, "ready %d\n", (int)getpid());
    say(out);
    while (fgets(line, sizeof line, stdin)) {
        if (strcmp(line, "sigset\n") == 0) {
            if (sigset(SIGTERM, on_term) == SIG_ERR)
                return 2;
            say("set\n");
        } else if (strcmp(line, "quit\n") == 0) {
            break;
        }
    }
    return 0;
}
