/* inj_top_act.c: attach, detach and stderr while `scope top` holds the
 * screen (see inj_top_act.h). */
#include "inj_top_act.h"

#include "inj_attach.h"
#include "inj_detach.h"
#include "inj_term.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The last non-empty line of text (len bytes) into msg, escaped. */
static void last_line(const char *text, size_t len, char *msg, size_t cap)
{
    char line[1024];
    size_t end = len, start;

    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' '))
        end--;
    start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(end - start), text + start);
    inj_term(line, msg, cap);
}

/* Run main(argv) in a child, its stdout and stderr into a pipe, stdin
 * /dev/null; the child's exit status, or -1. */
static int run_child(int (*main_of)(int, char **), char **argv, int argc, char *msg, size_t cap)
{
    char out[8192];
    size_t len = 0;
    ssize_t n;
    int fds[2], status;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(msg, cap, "cannot run %s: %s", argv[0], strerror(errno));
        return -1;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        snprintf(msg, cap, "cannot run %s: %s", argv[0], strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
            _exit(127);
        optind = 0;             /* top's own options were parsed in this process */
        int rc = main_of(argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    close(fds[1]);
    /* the end of the output, which says how it went */
    while ((n = read(fds[0], out + len, sizeof out - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
        if (len == sizeof out) {
            memmove(out, out + len / 2, len - len / 2);
            len -= len / 2;
        }
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    last_line(out, len, msg, cap);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int inj_top_act_attach(const char *target, char *msg, size_t cap)
{
    char *argv[] = {"attach", "-p", "1", "-v", "5", (char *)target, NULL};

    return run_child(inj_attach_main, argv, 6, msg, cap);
}

int inj_top_act_detach(const char *target, char *msg, size_t cap)
{
    char *argv[] = {"detach", (char *)target, NULL};

    return run_child(inj_detach_main, argv, 2, msg, cap);
}

/* ---- stderr -------------------------------------------------------------- */

static int saved_stderr = -1, kept_read = -1;

int inj_top_stderr_start(void)
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    fflush(stderr);
    if ((saved_stderr = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0 || dup2(fds[1], 2) < 0) {
        close(fds[0]);
        close(fds[1]);
        if (saved_stderr >= 0)
            close(saved_stderr);
        saved_stderr = -1;
        return -1;
    }
    close(fds[1]);
    kept_read = fds[0];
    return 0;
}

int inj_top_stderr_last(char *msg, size_t cap)
{
    char buf[8192];
    ssize_t n;
    size_t len = 0;

    if (kept_read < 0)
        return 0;
    fflush(stderr);
    clearerr(stderr);           /* a write refused by the full pipe */
    while ((n = read(kept_read, buf + len, sizeof buf - len)) > 0) {
        len += (size_t)n;
        if (len == sizeof buf) {
            memmove(buf, buf + len / 2, len - len / 2);
            len -= len / 2;
        }
    }
    if (len == 0)
        return 0;
    last_line(buf, len, msg, cap);
    return 1;
}

void inj_top_stderr_stop(void)
{
    char buf[4096];
    ssize_t n;

    if (saved_stderr < 0)
        return;
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    while ((n = read(kept_read, buf, sizeof buf)) > 0)
        if (write(2, buf, (size_t)n) != n)
            break;
    close(kept_read);
    kept_read = -1;
}
