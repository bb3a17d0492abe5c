/* inj_choose.c: which thread of a process to stop (see inj_choose.h). */
#include "inj_choose.h"
#include "inj_proc.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* System calls a thread blocks in outside any lock that dlopen or malloc
 * needs (a thread stopped inside malloc or the loader would deadlock
 * dlopen), best first. Those that restart transparently after a
 * ptrace stop come first (restart_syscall is a sleep or poll resumed after
 * an earlier stop: ours, a debugger's, SIGSTOP; rt_sigsuspend is what
 * sigsuspend and `timeout` wait in); epoll_wait returns EINTR to the
 * program after one (signal(7)), which servers handle but is still a
 * visible change; futex next: the waiter holds no lock, but may be about
 * to take one; rt_sigtimedwait last: it holds no lock either, but returns
 * EINTR (glibc's sigwait retries; sigtimedwait's callers see it). */
static const long safe_syscalls[] = {
    SYS_read, SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_nanosleep,
    SYS_clock_nanosleep, SYS_restart_syscall, SYS_accept, SYS_accept4, SYS_wait4, SYS_pause,
    SYS_rt_sigsuspend, SYS_recvfrom, SYS_recvmsg, SYS_epoll_wait, SYS_epoll_pwait, SYS_futex,
    SYS_rt_sigtimedwait,
};
#define NSAFE (sizeof safe_syscalls / sizeof safe_syscalls[0])
#define NPREFERRED (NSAFE - 2) /* futex and rt_sigtimedwait: only as a last resort */

/* System calls that a stop cuts short once they have done part of their
 * work: interrupted while blocked, a pipe write of 64 KiB returns 4096, a
 * blocking send of 8 MiB a fraction of it, and a program that does not
 * loop loses data. A thread blocked in one is never stopped. */
#define PARTIAL(name) {SYS_##name, #name}
static const struct {
    long nr;
    const char *name;
} partial_syscalls[] = {
    PARTIAL(write), PARTIAL(writev), PARTIAL(pwrite64), PARTIAL(pwritev), PARTIAL(pwritev2),
    PARTIAL(sendto), PARTIAL(sendmsg), PARTIAL(sendmmsg), PARTIAL(sendfile), PARTIAL(splice),
    PARTIAL(tee), PARTIAL(vmsplice), PARTIAL(copy_file_range),
    PARTIAL(recvfrom), PARTIAL(recvmsg),    /* with MSG_WAITALL only */
};

/* A busy server (an nginx worker under load) is seldom seen blocked in
 * /proc. Stopped by the interrupt at the end of one of these instead, it
 * was doing I/O, which malloc and the loader never do while holding their
 * locks (malloc only maps memory). The loader's own I/O (read, pread,
 * close of an object file, which it does holding its lock, sometimes
 * while r_debug still says consistent) is left out. The call has completed
 * by the time the thread stops, so stopping it there is invisible to the
 * program. */
static const long io_syscalls[] = {
    SYS_write, SYS_writev, SYS_pwrite64,
    SYS_sendfile, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
    SYS_epoll_wait, SYS_epoll_pwait, SYS_poll, SYS_ppoll, SYS_select,
    SYS_accept, SYS_accept4, SYS_connect, SYS_shutdown,
    SYS_nanosleep, SYS_clock_nanosleep, SYS_wait4,
};

static int syscall_is_io(long nr)
{
    for (size_t i = 0; i < sizeof io_syscalls / sizeof io_syscalls[0]; i++)
        if (io_syscalls[i] == nr)
            return 1;
    return 0;
}

/* libscope's reporter thread (pthread_setname_np): scope_ctl_detach() waits
 * for it to stop, so it must never be the thread that calls it. */
#define REPORTER_THREAD_NAME "scope-reporter"

static int syscall_rank(long nr)
{
    for (size_t i = 0; i < NSAFE; i++)
        if (safe_syscalls[i] == nr)
            return (int)i;
    return -1;
}

/* The first line of /proc/PID/task/TID/<file> into buf, or "". */
static void task_file(pid_t pid, const char *tid, const char *file, char *buf, int len)
{
    char path[64 + NAME_MAX];

    buf[0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/task/%s/%s", (int)pid, tid, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (!fgets(buf, len, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* What /proc says a thread is doing: the system call it is blocked in and
 * its arguments (its syscall file: "NR ARG1 ... ARG6 SP PC"), nr -1 when it
 * is running or not in one. */
struct thread_look {
    long nr;
    unsigned long args[6];
    int reporter;
};

static void thread_look(pid_t pid, const char *tid, struct thread_look *l)
{
    char buf[256];
    unsigned long *a = l->args;

    memset(l, 0, sizeof *l);
    task_file(pid, tid, "comm", buf, sizeof buf);
    l->reporter = strcmp(buf, REPORTER_THREAD_NAME) == 0;
    task_file(pid, tid, "syscall", buf, sizeof buf);
    if (sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx", &l->nr, &a[0], &a[1], &a[2], &a[3], &a[4],
               &a[5]) < 1 || buf[0] < '0' || buf[0] > '9')
        l->nr = -1;
}

/* The name of the call a stop would cut short that l is blocked in, or
 * NULL. */
static const char *call_is_partial(const struct thread_look *l)
{
    if ((l->nr == SYS_recvfrom && !(l->args[3] & MSG_WAITALL)) ||
        (l->nr == SYS_recvmsg && !(l->args[2] & MSG_WAITALL)))
        return NULL;
    for (size_t i = 0; i < sizeof partial_syscalls / sizeof partial_syscalls[0]; i++)
        if (partial_syscalls[i].nr == l->nr)
            return partial_syscalls[i].name;
    return NULL;
}

int inj_choose_thread(pid_t pid, int last_resort, struct inj_choice *c)
{
    char path[64], tid[16];
    struct thread_look l;
    struct dirent *e;
    int best_rank = last_resort ? (int)NSAFE : (int)NPREFERRED;

    memset(c, 0, sizeof *c);
    snprintf(tid, sizeof tid, "%d", (int)pid);
    thread_look(pid, tid, &l);
    if (!l.reporter && !call_is_partial(&l) && inj_proc_live_thread(pid) == pid)
        c->sample = pid;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        thread_look(pid, e->d_name, &l);
        if (l.reporter)
            continue;
        const char *partial = call_is_partial(&l);
        if (partial) {
            c->cut = (pid_t)atoi(e->d_name);
            c->cut_call = partial;
            continue;
        }
        if (!c->sample)
            c->sample = (pid_t)atoi(e->d_name);
        int rank = syscall_rank(l.nr);
        if (rank >= 0 && rank < best_rank) {
            best_rank = rank;
            c->best = (pid_t)atoi(e->d_name);
        }
    }
    closedir(d);
    return 0;
}

int inj_choose_still_safe(pid_t pid, pid_t tid)
{
    char name[16];
    struct thread_look l;

    snprintf(name, sizeof name, "%d", (int)tid);
    thread_look(pid, name, &l);
    return !call_is_partial(&l);
}

int inj_choose_stopped_safe(long nr, int sampling)
{
    return syscall_rank(nr) >= 0 || (sampling && syscall_is_io(nr));
}

void inj_choose_none_safe(pid_t pid, const struct inj_choice *c, int waited_ms, char *why,
                          size_t len)
{
    char cut[160] = "";

    if (c->cut)
        snprintf(cut, sizeof cut, "; thread %d is blocked in %s, which a stop would cut short "
                 "(the program would see a short count), so it was left alone", (int)c->cut,
                 c->cut_call);
    snprintf(why, len,
             "no thread of %d was waiting in a system call where it is safe to stop it (read, "
             "poll, sleep, accept, futex, sigwait, ...) for %d ms%s: try again when it waits",
             (int)pid, waited_ms, cut);
}
