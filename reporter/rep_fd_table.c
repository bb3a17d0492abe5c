/* rep_fd_table.c: the reporter thread works in a descriptor table of its
 * own, and which of its descriptors the program's close() must leave. */
#include "rep_internal.h"
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
        __atomic_store_n(&r->table_state, REP_TABLE_SHARED, __ATOMIC_RELEASE);
        return;
    }
    int ours[2] = { r->metrics.fd, r->events.fd };
    rep_close_range_sparing(0, ~0U, 0, ours, 2, close_range_call);
    rep_log_own_table();
    rep_transport_own_table(&r->metrics, 1);
    rep_transport_own_table(&r->events, 1);
    __atomic_store_n(&r->table_state, REP_TABLE_OWN, __ATOMIC_RELEASE);
}

/* On the thread that started the reporter, in the program's table: once
 * the reporter has its own copy of the destinations opened at attach, the
 * program's copies go, so that none of the program's numbers stays ours
 * (its close() would be refused) after it closed one behind our back. */
void rep_fd_table_split_wait(struct rep *r)
{
    struct timespec tick = { 0, 100000 };

    for (int i = 0; i < 2000 && !__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE); i++)
        nanosleep(&tick, NULL);
    if (__atomic_load_n(&r->table_state, __ATOMIC_ACQUIRE) != REP_TABLE_OWN)
        return;
    rep_transport_program_copy_close(&r->metrics);
    rep_transport_program_copy_close(&r->events);
}
