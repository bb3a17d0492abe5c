/* selfcancel: a single-threaded program that asks glibc about its
 * single-threaded mode, and may start a thread or cancel itself, for
 * attach/detach tests.
 *
 *   selfcancel
 *
 * Prints "ready <pid>", then takes commands on stdin, one per line:
 *   flag      prints "flag <P> <G>": __libc_single_threaded as this
 *             program sees it (its own copy: a COPY relocation) and as
 *             glibc's functions see it (libc's)
 *   thread    starts a thread and joins it; prints "joined"
 *   c11thread the same with C11's thrd_create (which glibc does not make
 *             through pthread_create's symbol); prints "joined"
 *   cancel    with cancellation disabled, cancels itself: the request
 *             stays pending; prints "pending"
 *   enable    enables cancellation again, then writes "alive": the write
 *             is a cancellation point, so the program ends there (exit
 *             status 0, no "alive") if glibc still checks for requests
 *   quit      (or end of input) exit 0
 * Output goes out with write(2), unbuffered.
 */
#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <threads.h>
#include <unistd.h>

static void say(const char *text)
{
    size_t len = strlen(text);

    if (write(STDOUT_FILENO, text, len) != (ssize_t)len)
        _exit(2);
}

static void *nothing(void *arg)
{
    return arg;
}

static int nothing_c11(void *arg)
{
    return arg != NULL;
}

int main(void)
{
    char line[64], out[64];
    int old;
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    const char *glibc_flag = libc ? dlsym(libc, "__libc_single_threaded") : NULL;

    if (!glibc_flag)
        return 2;

    snprintf(out, sizeof out, "ready %d\n", (int)getpid());
    say(out);
    while (fgets(line, sizeof line, stdin)) {
        if (strcmp(line, "flag\n") == 0) {
            snprintf(out, sizeof out, "flag %d %d\n", __libc_single_threaded, *glibc_flag);
            say(out);
        } else if (strcmp(line, "thread\n") == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
                return 2;
            say("joined\n");
        } else if (strcmp(line, "c11thread\n") == 0) {
            thrd_t t;
            if (thrd_create(&t, nothing_c11, NULL) != thrd_success ||
                thrd_join(t, NULL) != thrd_success)
                return 2;
            say("joined\n");
        } else if (strcmp(line, "cancel\n") == 0) {
            pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
            pthread_cancel(pthread_self());
            say("pending\n");
        } else if (strcmp(line, "enable\n") == 0) {
            pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
            say("alive\n");
        } else if (strcmp(line, "quit\n") == 0) {
            break;
        }
    }
    return 0;
}
