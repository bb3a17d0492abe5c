/* crashy: a program that crashes on purpose, for crash backtraces.
 *
 *   crashy segv        NULL write three named frames deep:
 *                      main -> crash_outer -> crash_middle -> crash_inner
 *   crashy handler     the same, with the program's own SIGSEGV handler
 *                      installed first; the handler prints "handler ran"
 *                      and exits 3
 *   crashy overflow    unbounded recursion in recurse_forever
 *   crashy abort       abort() from crash_inner
 *   crashy probe       a memory probe: a SIGSEGV handler longjmps back;
 *                      then prints whether SIGINT is blocked ("sigint
 *                      blocked"/"sigint free": it must be free, as without
 *                      any handler of scope's in between) and exits 0
 *   crashy MODE wait   prints "ready PID" and waits for a line on stdin
 *                      before crashing (for attaching first)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode;

__attribute__((noinline)) void crash_inner(volatile int *p)
{
    if (strcmp(mode, "abort") == 0)
        abort();
    *p = 42;
}

__attribute__((noinline)) void crash_middle(volatile int *p)
{
    crash_inner(p);
    __asm__ volatile("" ::: "memory");  /* not a tail call */
}

__attribute__((noinline)) void crash_outer(volatile int *p)
{
    crash_middle(p);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) int recurse_forever(int depth)
{
    volatile char pad[256];
    pad[depth % 256] = (char)depth;
    return recurse_forever(depth + 1) + pad[0];
}

static jmp_buf probe_env;

static void probe_handler(int sig)
{
    longjmp(probe_env, 1);      /* leaves the handler's signal mask in place */
}

static int probe(void)
{
    sigset_t now;

    signal(SIGSEGV, probe_handler);
    if (setjmp(probe_env) == 0)
        crash_inner(NULL);
    sigprocmask(SIG_BLOCK, NULL, &now);
    puts(sigismember(&now, SIGINT) ? "sigint blocked" : "sigint free");
    return 0;
}

static void own_handler(int sig)
{
    static const char msg[] = "handler ran\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "segv";
    if (strcmp(mode, "handler") == 0)
        signal(SIGSEGV, own_handler);
    if (argc > 2 && strcmp(argv[2], "wait") == 0) {
        char line[64];
        printf("ready %d\n", (int)getpid());
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            return 1;
    }
    if (strcmp(mode, "overflow") == 0)
        return recurse_forever(0);
    if (strcmp(mode, "probe") == 0)
        return probe();
    crash_outer(NULL);
    return 0;
}
