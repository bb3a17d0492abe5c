/* rep_proc.h: what /proc says about this process, for the proc.* metrics. */
#ifndef REP_PROC_H
#define REP_PROC_H

#include <stddef.h>
#include <stdint.h>

struct rep_proc_sample {
    uint64_t cpu_us;        /* user + system time since the process started */
    uint64_t rss_kib;
    unsigned threads;
    unsigned fds;
    unsigned children;
};

/* CPU time used so far by all threads (user + system, from the process
 * CPU clock, not /proc's 10 ms ticks): 0, or -1. */
int rep_proc_cpu_us(uint64_t *us);

/* 0, or -1 when /proc/self could not be read (fields left 0).
 * own_fd_table: the caller works in a descriptor table of its own, so the
 * one it opens to count is not among the process's. */
int rep_proc_sample(struct rep_proc_sample *s, int own_fd_table);

/* A number from /proc/self/status ("FDSize", "Seccomp"...), or -1 when
 * the file or the field cannot be read. */
long rep_proc_status_field(const char *name);

/* The names of this process's user and group ("" when they have none). */
void rep_proc_user_group(char *user, size_t userlen, char *group, size_t grouplen);

#endif
