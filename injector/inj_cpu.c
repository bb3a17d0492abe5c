/* inj_cpu.c: scope beside the thread it steps, and awake (see inj_cpu.h). */
#include "inj_cpu.h"
#include "inj_proc.h"
#include "rep_clock.h"

#include <errno.h>
#include <sys/wait.h>
#include <time.h>

#define AWAKE_MS 0.2

void inj_cpu_join(struct inj_cpu *c, pid_t pid, pid_t tid)
{
    cpu_set_t one;
    int cpu = inj_proc_thread_cpu(pid, tid);

    c->moved = 0;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof c->before, &c->before) != 0)
        return;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    c->moved = sched_setaffinity(0, sizeof one, &one) == 0;
}

void inj_cpu_leave(struct inj_cpu *c)
{
    if (c->moved)
        sched_setaffinity(0, sizeof c->before, &c->before);
    c->moved = 0;
}

pid_t inj_cpu_wait_awake(pid_t tid, int *status)
{
    struct timespec start;
    pid_t r;

    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        r = waitpid(tid, status, __WALL | WNOHANG);
        if (r > 0 || (r < 0 && errno != EINTR))
            return r;
        sched_yield();
    } while (rep_ms_since(&start) < AWAKE_MS);
    return 0;
}
