/* inj_judge.h: what attach and detach judge about a target before touching
 * it, from /proc and the files only: it exists and runs, we may trace it,
 * nobody traces it already, its program can be observed, the library it
 * will load is safe and the same file for it as for us.
 *
 * Each check returns 0 to go on, else the exit status (1) after printing
 * "scope: PID (COMM): why" (or that the process exited meanwhile).
 */
#ifndef INJ_JUDGE_H
#define INJ_JUDGE_H

#include "scope_ctl.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* What /proc/PID/status says about the target. */
struct inj_process {
    pid_t pid;
    pid_t proc;                 /* whose /proc entries to read: a live thread */
    char comm[64];
    uid_t uid[3];               /* real, effective, saved */
    gid_t gid[3];
    pid_t tracer;               /* TracerPid, 0 when none */
    unsigned long long cap_prm;
    int seccomp;                /* 0 none, 1 strict, 2 filter */
    int seccomp_filters;
    const char *doing;          /* "attach" or "detach", for messages */
};

/* Name, Uid, Gid, TracerPid, CapPrm and Seccomp of /proc/PID/status into *t
 * (t->doing is left NULL). 0, or -1 when the process is gone. */
int inj_process_read(pid_t pid, struct inj_process *t);

/* The target named by arg (PID or NAME), read. 0, or 1 after the reason. */
int inj_process_resolve(const char *arg, const char *doing, struct inj_process *t);

/* "scope: process PID exited during DOING"; returns 1. */
int inj_judge_exited(const struct inj_process *t);

/* Print why about t, unless the process has gone meanwhile: then say
 * that instead (whatever failed, failed because of it). Returns 1. */
int inj_judge_fail(const struct inj_process *t, const char *why);

/* What attach and detach check first: the process runs, may be traced,
 * and libscope's status in it (*loaded: 1 mapped, 0 not). */
int inj_judge_look(const struct inj_process *t, struct scope_ctl_status *st, int *loaded);

/* No debugger or tracer holds it. */
int inj_judge_not_traced(const struct inj_process *t);

/* Its executable calls a dynamic libc (not static, Go without cgo or
 * 32-bit). */
int inj_judge_program(const struct inj_process *t);

/* A library file only root or we could have written: owned by one of us,
 * not writable by group or others. */
bool inj_library_file_safe(const struct stat *st);

/* lib is safe from other users (*ours: its stat). */
int inj_judge_library_safe(const struct inj_process *t, const char *lib, struct stat *ours);

/* lib is safe from other users and the very file the target sees at that
 * path (same mount namespace and root). */
int inj_judge_library(const struct inj_process *t, const char *lib);

/* We can find a library handed as a memfd again: through map_files, or in
 * the process's memory. */
int inj_judge_memfd_readable(const struct inj_process *t);

/* Why PTRACE_SEIZE said EPERM when the checks above saw no reason. */
void inj_judge_explain_eperm(const struct inj_process *t, char *why, size_t len);

#endif
