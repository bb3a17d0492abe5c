/* ip_wrap_proc.c: wrappers at the end of a process image.
 *
 * _exit skips atexit handlers and destructors, and exec replaces the image:
 * both would lose what is still queued, so they flush first (bounded).
 */
#include "ip.h"
#include "ip_hooks.h"

void ip_wrap__exit(int status)
{
    ip_flush_at_exit();
    ip_real__exit(status);
    __builtin_unreachable();
}

void ip_wrap__Exit(int status)
{
    ip_flush_at_exit();
    ip_real__Exit(status);
    __builtin_unreachable();
}

int ip_wrap_execve(const char *path, char *const argv[], char *const envp[])
{
    ip_flush_before_exec();
    return ip_real_execve(path, argv, envp);
}

int ip_wrap_execv(const char *path, char *const argv[])
{
    ip_flush_before_exec();
    return ip_real_execv(path, argv);
}

int ip_wrap_execvp(const char *file, char *const argv[])
{
    ip_flush_before_exec();
    return ip_real_execvp(file, argv);
}

int ip_wrap_execvpe(const char *file, char *const argv[], char *const envp[])
{
    ip_flush_before_exec();
    return ip_real_execvpe(file, argv, envp);
}
