/* rep_fd_table.c: the reporter thread works in a descriptor table of its
 * own, and which of its descriptors the program's close() must leave. */
#include "rep_internal.h"
#include "rep_clock.h"
#include "rep_fd.h"
#include "rep_log.h"
#include "rep_proc.h"

#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The system call itself: musl (1.2.3) has no close_range function. */
static int close_range_call(unsigned int first, unsigned int last, int flags)
{
    return (int)syscall(SYS_close_range, first, last, flags);
}

void rep_fds_publish(struct rep *r, int fds[2])
{
    /* stdout and stderr are the program's own, and what the reporter
     * thread opens in its own table is out of the program's reach: neither
     * is published (rep_transport.c) */
    rep_transport_publish(&r->metrics, &fds[0]);
    rep_transport_publish(&r->events, &fds[1]);
}

/* No seccomp filter on this process ("Seccomp: 0"): a sandbox may kill
 * the process for a system call it does not expect, such as unshare. */
static bool seccomp_free(void)
{
    return rep_proc_status_field("Seccomp") == 0;
}

/* The kernel's futex operations (musl-gcc has no linux/futex.h). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

/* How long the thread that started the reporter waits for it to take its
 * table. */
#define SPLIT_WAIT_MS 200

/* The reporter's answer, and the thread waiting for it woken. */
static void table_state_set(struct rep *r, int state)
{
    __atomic_store_n(&r->table_state, state, __ATOMIC_RELEASE);
    syscall(SYS_futex, &r->table_state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wait (bounded) for the answer, asleep on it rather than polling: under
 * `scope attach` the waiting thread is the one held stopped, and each of
 * its system calls is a round trip through scope. */
static void table_state_wait(struct rep *r)
{
    struct timespec end = rep_monotonic_after_ms(SPLIT_WAIT_MS), now, left;

    while (!__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ns = (end.tv_sec - now.tv_sec) * 1000000000L + (end.tv_nsec - now.tv_nsec);
        if (ns <= 0)
            return;
        left.tv_sec = ns / 1000000000L;
        left.tv_nsec = ns % 1000000000L;
        syscall(SYS_futex, &r->table_state, FUTEX_WAIT_PRIVATE, REP_TABLE_STARTING, &left,
                NULL, 0);
    }
}

/* Another thread sharing the program's fd table makes each of the
 * program's reads and writes slower: the kernel then takes a reference on
 * the file and its position lock in every call, which it skips for a table
 * nobody shares (~30 ns a call, a third of a write to /dev/null). So the
 * reporter thread works in a copy of the table, where it closes all but
 * its destinations: the copy must not keep the program's files open (a
 * socket the program closes must close, a pipe must see its end). Where
 * a seccomp filter is on, or unshare is refused, the table stays shared:
 * slower, not wrong. */
void rep_fd_table_own(struct rep *r)
{
    /* Probe close_range first: a copy we could not empty would be worse
     * than sharing. */
    if (!seccomp_free() || close_range_call(~0U, ~0U, 0) != 0 || unshare(CLONE_FILES) != 0) {
        table_state_set(r, REP_TABLE_SHARED);
        return;
    }
    int ours[2] = { r->metrics.fd, r->events.fd };
    rep_close_range_sparing(0, ~0U, 0, ours, 2, close_range_call);
    rep_log_own_table();
    rep_transport_own_table(&r->metrics, 1);
    rep_transport_own_table(&r->events, 1);
    table_state_set(r, REP_TABLE_OWN);
}

/* On the thread that started the reporter, in the program's table: once
 * the reporter has its own copy of the destinations opened at attach, the
 * program's copies go, so that none of the program's numbers stays ours
 * (its close() would be refused) after it closed one behind our back. */
void rep_fd_table_split_wait(struct rep *r)
{
    table_state_wait(r);
    if (__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE) != REP_TABLE_OWN)
        return;
    rep_transport_program_copy_close(&r->metrics);
    rep_transport_program_copy_close(&r->events);
}
