/* oldsig.c: installs its own SIGSEGV handler with one of the old
 * names, bsd_signal or sysv_signal, then writes through NULL;
 * the handler prints "handler ran" and exits 3. Usage: oldsig WAY. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* exported by glibc, declared only for old standards */
extern __sighandler_t bsd_signal(int sig, __sighandler_t handler);
extern __sighandler_t sysv_signal(int sig, __sighandler_t handler);

static void own_handler(int sig)
{
    static const char msg[] = "handler ran\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

int main(int argc, char **argv)
{
    __sighandler_t old = SIG_ERR;
    volatile int *volatile nowhere = NULL;

    if (argc == 2 && strcmp(argv[1], "bsd_signal") == 0)
        old = bsd_signal(SIGSEGV, own_handler);
    else if (argc == 2 && strcmp(argv[1], "sysv_signal") == 0)
        old = sysv_signal(SIGSEGV, own_handler);
    if (old == SIG_ERR)
        return 2;
    *nowhere = 42;
    return 1;
}
