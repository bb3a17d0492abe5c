/* ip_wrap_proc.c: wrappers at the end of a process image.
 *
 * _exit skips atexit handlers and destructors, and exec replaces the image:
 * both would lose what is still queued, so they flush first (bounded).
 */
#include "ip.h"
#include "ip_hooks.h"

#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <unistd.h>

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

/* exec: under `scope run`, keep the child observed, then flush (what the
 * fixing found unobservable is said in that flush). The fixed environment
 * lives on this stack, which exec replaces anyway. */
#define ENV_FIXED(envp, fixed, path, search)                              \
    char *fixed##_out[ip_env_room(envp)];                                \
    char fixed##_preload[4096];                                          \
    char *const *fixed = ip_env_fix(envp, path, search, fixed##_out,     \
                                    fixed##_preload, sizeof fixed##_preload)

int ip_wrap_execve(const char *path, char *const argv[], char *const envp[])
{
    ENV_FIXED(envp, env, path, false);
    ip_flush_before_exec();
    return ip_real_execve(path, argv, env);
}

int ip_wrap_execv(const char *path, char *const argv[])
{
    extern char **environ;
    ENV_FIXED(environ, env, path, false);
    ip_flush_before_exec();
    return ip_real_execve(path, argv, env);
}

int ip_wrap_execvp(const char *file, char *const argv[])
{
    extern char **environ;
    ENV_FIXED(environ, env, file, true);
    ip_flush_before_exec();
    return ip_real_execvpe(file, argv, env);
}

int ip_wrap_execvpe(const char *file, char *const argv[], char *const envp[])
{
    ENV_FIXED(envp, env, file, true);
    ip_flush_before_exec();
    return ip_real_execvpe(file, argv, env);
}

/* The execl family: the list becomes an array (on this stack), then as
 * execv. Their envp (execle) follows the NULL that ends the list. */
static size_t list_count(const char *arg, va_list ap)
{
    size_t n = 1;
    va_list count;

    va_copy(count, ap);
    while (arg && va_arg(count, const char *))
        n++;
    va_end(count);
    return n;
}

#define LIST_TO_ARGV(arg0, ap, argv)                                     \
    size_t argv##_n = list_count(arg0, ap);                              \
    char *argv[argv##_n + 1];                                            \
    argv[0] = (char *)arg0;                                              \
    for (size_t i = 1; i <= argv##_n; i++)                               \
        argv[i] = i < argv##_n ? va_arg(ap, char *) : NULL

int ip_wrap_execl(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    LIST_TO_ARGV(arg0, ap, argv);
    va_end(ap);
    return ip_wrap_execv(path, argv);
}

int ip_wrap_execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    LIST_TO_ARGV(arg0, ap, argv);
    va_end(ap);
    return ip_wrap_execvp(file, argv);
}

int ip_wrap_execle(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    LIST_TO_ARGV(arg0, ap, argv);
    (void)va_arg(ap, char *);       /* the NULL that ends the list */
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return ip_wrap_execve(path, argv, envp);
}

/* posix_spawn: this process goes on, so nothing is flushed; the program
 * spawned gets what exec would give it. */
int ip_wrap_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ENV_FIXED(envp, env, path, false);
    return ip_real_posix_spawn(pid, path, fa, attr, argv, env);
}

int ip_wrap_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                         const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ENV_FIXED(envp, env, file, true);
    return ip_real_posix_spawnp(pid, file, fa, attr, argv, env);
}

int ip_wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                           void *(*start)(void *), void *arg)
{
    ip_single_thread_spoil();
    return ip_real_pthread_create(thread, attr, start, arg);
}

int ip_wrap_thrd_create(thrd_t *thread, thrd_start_t start, void *arg)
{
    ip_single_thread_spoil();
    return ip_real_thrd_create(thread, start, arg);
}

int ip_wrap_pthread_cancel(pthread_t thread)
{
    ip_single_thread_spoil();
    return ip_real_pthread_cancel(thread);
}

/* The reporter back after a call made with it paused; rc and errno are
 * the call's. */
static int reporter_resumed(bool paused, int rc)
{
    int saved = errno;

    if (paused)
        ip_reporter_resume();
    errno = saved;
    return rc;
}

/* The kernel lets only a single-threaded process enter a new user
 * namespace: our reporter thread must not be the reason it fails. */
int ip_wrap_unshare(int flags)
{
    if (!(flags & CLONE_NEWUSER) || !ip_observing())
        return ip_real_unshare(flags);
    bool paused = ip_reporter_pause();
    return reporter_resumed(paused, ip_real_unshare(flags));
}

/* setns into a user namespace likewise (nstype 0: whatever fd is; then
 * the pause is taken in case it is one). */
int ip_wrap_setns(int fd, int nstype)
{
    if ((nstype != 0 && nstype != CLONE_NEWUSER) || !ip_observing())
        return ip_real_setns(fd, nstype);
    bool paused = ip_reporter_pause();
    return reporter_resumed(paused, ip_real_setns(fd, nstype));
}
