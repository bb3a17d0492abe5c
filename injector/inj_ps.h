/* inj_ps.h: `scope ps`: the processes that have libscope.so loaded, and
 * its state in each. */
#ifndef INJ_PS_H
#define INJ_PS_H

#include "scope_ctl.h"

#include <limits.h>
#include <sys/types.h>

/* A process with libscope.so loaded, as `scope ps` sees it. */
struct inj_ps_row {
    pid_t pid;
    pid_t ns_pid;               /* its pid in its own pid namespace */
    char container[80];         /* its container's id, or "" */
    char comm[64];              /* raw: escape it before printing (inj_term) */
    char lib[PATH_MAX];
    struct scope_ctl_status st;
    int status_rc;              /* inj_scope_status(): 0 read, -errno not */
};

/* each(row, ctx) for every process but ours that has libscope.so loaded,
 * without stopping any; each() returning < 0 stops the scan. Returns 0,
 * -1 when each() did, 1 when /proc or no process at all could be read
 * (*why says which, for the operator). Prints nothing. */
int inj_ps_scan(int (*each)(const struct inj_ps_row *, void *), void *ctx,
                char *why, size_t whylen);

/* argv[0] is the command name. Return the exit status. */
int inj_ps_main(int argc, char **argv);

#endif
