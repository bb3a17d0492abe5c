/* inj_judge.c: judging a target before it is touched (see inj_judge.h). */
#include "inj_judge.h"
#include "inj_term.h"

#include "elfpatch.h"
#include "inj_look.h"
#include "inj_proc.h"
#include "inj_seccomp.h"
#include "inj_userns.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAP_SYS_PTRACE_BIT 19
#define CAP_SYS_ADMIN_BIT 21
#define CAP_CHECKPOINT_RESTORE_BIT 40

/* ---- what /proc says about the target --------------------------------------- */

struct caps {
    unsigned long long prm, eff;
};

int inj_process_read(pid_t pid, struct inj_process *t)
{
    char path[64], line[256];
    unsigned u[3], g[3];

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->proc = inj_proc_live_thread(pid);
    if (!t->proc)
        t->proc = pid;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "Name:\t%63[^\n]", t->comm) == 1)
            continue;
        if (sscanf(line, "Uid:\t%u\t%u\t%u", &u[0], &u[1], &u[2]) == 3)
            for (int i = 0; i < 3; i++)
                t->uid[i] = u[i];
        else if (sscanf(line, "Gid:\t%u\t%u\t%u", &g[0], &g[1], &g[2]) == 3)
            for (int i = 0; i < 3; i++)
                t->gid[i] = g[i];
        else if (sscanf(line, "TracerPid:\t%d", &t->tracer) == 1 ||
                 sscanf(line, "CapPrm:\t%llx", &t->cap_prm) == 1 ||
                 sscanf(line, "Seccomp:\t%d", &t->seccomp) == 1)
            continue;
        else
            sscanf(line, "Seccomp_filters:\t%d", &t->seccomp_filters);
    }
    fclose(f);
    return 0;
}

static void our_caps(struct caps *c)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");

    c->prm = c->eff = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapPrm:\t%llx", &c->prm) != 1)
            sscanf(line, "CapEff:\t%llx", &c->eff);
    fclose(f);
}

static const char *user_name(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    return pw ? pw->pw_name : "?";
}

int inj_judge_exited(const struct inj_process *t)
{
    fprintf(stderr, "scope: process %d exited during %s\n", (int)t->pid, t->doing);
    return 1;
}

/* why may quote the process (its comm, its tracer's, libscope's error). */
static int refuse(const struct inj_process *t, const char *why)
{
    char comm[INJ_TERM_CAP(sizeof t->comm)];
    char *text = inj_term_dup(why);

    fprintf(stderr, "scope: %d (%s): %s\n", (int)t->pid, inj_term(t->comm, comm, sizeof comm),
            text ? text : "out of memory");
    free(text);
    return 1;
}

/* A process that is exiting has lost its memory and /proc/PID/exe before it
 * shows as a zombie: look again a moment later before blaming anything
 * else. */
int inj_judge_fail(const struct inj_process *t, const char *why)
{
    struct timespec moment = { 0, 50 * 1000 * 1000 };

    if (inj_proc_live_thread(t->pid))
        nanosleep(&moment, NULL);
    return !inj_proc_live_thread(t->pid) ? inj_judge_exited(t) : refuse(t, why);
}

/* ---- may we trace it? (each refusal says which rule, and what to do) ------- */

/* A process in our user namespace: the kernel lets us trace it when our
 * real uid equals its real, effective and saved uids (gids likewise) and
 * its permitted capabilities are a subset of ours. */
static int same_ns_permitted(const struct inj_process *t, const struct caps *me, char *why,
                             size_t len)
{
    uid_t uid = getuid();
    gid_t gid = getgid();

    for (int i = 0; i < 3; i++) {
        if (t->uid[i] != uid) {
            snprintf(why, len, "the process runs as user %s (uid %u) and scope as uid %u: "
                     "tracing another user's process needs root (CAP_SYS_PTRACE); run "
                     "scope with sudo, or as uid %u", user_name(t->uid[i]),
                     (unsigned)t->uid[i], (unsigned)uid, (unsigned)t->uid[i]);
            return -1;
        }
        if (t->gid[i] != gid) {
            snprintf(why, len, "the process runs with group %u and scope with group %u: "
                     "tracing it needs root (CAP_SYS_PTRACE)", (unsigned)t->gid[i],
                     (unsigned)gid);
            return -1;
        }
    }
    if ((t->cap_prm & ~me->prm) != 0) {
        snprintf(why, len, "the process has capabilities scope lacks (CapPrm %llx, scope's "
                 "%llx): tracing it needs CAP_SYS_PTRACE; run scope as root (in a "
                 "container: --cap-add=SYS_PTRACE)", t->cap_prm, me->prm);
        return -1;
    }
    return 0;
}

/* A process in a user namespace that neither is ours nor was made by our
 * uid below ours: no capability or uid of ours counts there. */
static int foreign_ns_refused(enum inj_userns ns, uid_t owner, char *why, size_t len)
{
    if (ns == INJ_USERNS_OUTSIDE)
        snprintf(why, len, "the process runs in a user namespace that is not below scope's "
                 "(is scope itself in a container?): no capability of scope's reaches it; "
                 "run scope in the host's user namespace");
    else
        snprintf(why, len, "the process runs in a user namespace made by user %s (uid %u), "
                 "where scope (uid %u) has no capability: only its owner or root may trace "
                 "it (CAP_SYS_PTRACE over that namespace); run scope as uid %u, or with sudo",
                 user_name(owner), (unsigned)owner, (unsigned)geteuid(), (unsigned)owner);
    return -1;
}

/* What can be judged from /proc is judged here, as the kernel judges it
 * (kernel/ptrace.c, security/commoncap.c, Yama): CAP_SYS_PTRACE over the
 * target's user namespace lets us trace it whatever its uids; we hold it
 * when we have it in ours and its namespace is ours or below, and when its
 * namespace is below one our uid made (inj_userns.h). Otherwise uids and
 * capabilities decide, in our namespace only. An EPERM from PTRACE_SEIZE
 * is explained by inj_judge_explain_eperm(). */
static int trace_permitted(const struct inj_process *t, char *why, size_t len)
{
    struct caps me;
    uid_t owner;
    int yama = inj_yama_ptrace_scope();
    enum inj_userns ns = inj_userns_of(t->proc, &owner);

    our_caps(&me);
    bool cap = ns == INJ_USERNS_OWNED ||
               ((me.eff >> CAP_SYS_PTRACE_BIT) & 1 && ns != INJ_USERNS_OUTSIDE);
    if (yama == 3) {
        snprintf(why, len, "kernel.yama.ptrace_scope is 3: no process may be traced on this "
                 "system (until reboot), so scope cannot attach");
        return -1;
    }
    if (yama == 2 && !cap) {
        snprintf(why, len, "kernel.yama.ptrace_scope is 2: only a process with "
                 "CAP_SYS_PTRACE may trace; run scope as root");
        return -1;
    }
    if (cap)
        return 0;
    if (ns == INJ_USERNS_FOREIGN || ns == INJ_USERNS_OUTSIDE)
        return foreign_ns_refused(ns, owner, why, len);
    return same_ns_permitted(t, &me, why, len);
}

void inj_judge_explain_eperm(const struct inj_process *t, char *why, size_t len)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof path, "/proc/%d", (int)t->pid);
    if (inj_yama_ptrace_scope() == 1)
        snprintf(why, len, "kernel.yama.ptrace_scope is 1: only a parent may trace its "
                 "children without CAP_SYS_PTRACE; run scope as root, or set "
                 "kernel.yama.ptrace_scope=0");
    else if (stat(path, &st) == 0 && st.st_uid != t->uid[1])
        /* /proc/PID belongs to root when the process is not dumpable. */
        snprintf(why, len, "the process is not dumpable (a setuid program, or it called "
                 "prctl(PR_SET_DUMPABLE, 0)): only root (CAP_SYS_PTRACE) may trace it");
    else
        snprintf(why, len, "ptrace was refused (EPERM), by a security module (AppArmor, "
                 "SELinux) or a seccomp policy, or for lack of CAP_SYS_PTRACE");
}

/* ---- refusals that need no ptrace ----------------------------------------- */

/* Attach and detach make the target call mmap, openat, mprotect, clone,
 * futex and more on our behalf; a filter that kills on one of them kills
 * the process (SIGSYS) half-way. Root reads the filters once the thread is
 * stopped (inj_seccomp.h, inj_stop.c) and goes on only when none can kill;
 * without CAP_SYS_ADMIN they cannot be read, so the process is refused. */
static int seccomp_free(const struct inj_process *t)
{
    char why[512];
    const char *stays = strcmp(t->doing, "detach") == 0 ? " (it stays attached)" : "";

    if (t->seccomp == 1)
        snprintf(why, sizeof why, "it runs in seccomp strict mode (only read, write and exit "
                 "are allowed): the calls scope would make in it would kill it; scope leaves "
                 "it alone%s", stays);
    else if (t->seccomp == 2 && inj_seccomp_readable())
        return 0;
    else if (t->seccomp == 2)
        snprintf(why, sizeof why, "it runs under %d seccomp filter%s, which may kill it "
                 "(SIGSYS) for one of the system calls scope would make in it (mmap, openat, "
                 "mprotect, clone, ...); reading what a filter allows needs CAP_SYS_ADMIN "
                 "(root), so scope leaves it alone%s", t->seccomp_filters,
                 t->seccomp_filters == 1 ? "" : "s", stays);
    else
        return 0;
    return inj_judge_fail(t, why);
}

static int state_usable(const struct inj_process *t)
{
    char s = inj_proc_state(t->pid);

    if (s == 0)
        return inj_judge_exited(t);
    /* A main thread that called pthread_exit shows as a zombie while the
     * others run: the process is attached through one of them. */
    if ((s == 'Z' || s == 'X') && inj_proc_live_thread(t->pid))
        s = inj_proc_state(t->proc);
    if (s == 'Z' || s == 'X')
        return refuse(t, s == 'Z' ? "it is a zombie (it has exited; its parent has not "
                    "reaped it): nothing to attach to" : "it is exiting: nothing to attach to");
    if (s == 'T')
        return inj_judge_fail(t, "it is stopped (SIGSTOP or job control): continue it first "
                    "(kill -CONT)");
    return 0;
}

int inj_judge_not_traced(const struct inj_process *t)
{
    struct inj_process tracer;
    char why[256];

    if (!t->tracer)
        return 0;
    if (inj_process_read(t->tracer, &tracer) != 0)
        snprintf(tracer.comm, sizeof tracer.comm, "?");
    snprintf(why, sizeof why, "it is already traced by %d (%s), a debugger or tracer; "
             "a process has one tracer at a time: detach it first",
             (int)t->tracer, tracer.comm);
    return inj_judge_fail(t, why);
}

int inj_judge_program(const struct inj_process *t)
{
    char exe[64], why[PATH_MAX + 256];

    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)t->proc);
    switch (ep_elf_classify(exe, why, sizeof why)) {
    case EP_ELF_STATIC: case EP_ELF_GO: case EP_ELF_32BIT:
        return inj_judge_fail(t, why);      /* a whole sentence: what, and why not */
    case EP_ELF_UNREADABLE:
        return inj_judge_fail(t, why);
    default:
        return 0;
    }
}

/* The target opens the library itself, by its path, in its own mount
 * namespace: it must see the very file we checked at the same path, and
 * nobody but root or us may replace it between our check and its open. */
bool inj_library_file_safe(const struct stat *st)
{
    return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & 022);
}

int inj_judge_library_safe(const struct inj_process *t, const char *lib, struct stat *ours)
{
    char why[PATH_MAX + 256];

    if (stat(lib, ours) != 0) {
        snprintf(why, sizeof why, "cannot stat %s: %s", lib, strerror(errno));
        return inj_judge_fail(t, why);
    }
    if (!inj_library_file_safe(ours)) {
        snprintf(why, sizeof why, "%s is owned by uid %u with mode %04o: another user could "
                 "replace it before the process loads it; make it owned by root (or you) "
                 "and not writable by group or others", lib, (unsigned)ours->st_uid,
                 (unsigned)(ours->st_mode & 07777));
        return inj_judge_fail(t, why);
    }
    return 0;
}

int inj_judge_library(const struct inj_process *t, const char *lib)
{
    char there[PATH_MAX + 64], why[PATH_MAX + 256];
    struct stat ours, theirs;
    int rc;

    if ((rc = inj_judge_library_safe(t, lib, &ours)) != 0)
        return rc;
    inj_proc_file_path(t->proc, lib, there, sizeof there);
    if (stat(there, &theirs) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
        return 0;
    snprintf(why, sizeof why, "%s is not the same file in the process's filesystem as in "
             "scope's (replaced meanwhile?)", lib);
    return inj_judge_fail(t, why);
}

/* A handed library is mapped from a memfd, which has no path: scope
 * finds its functions again through /proc/PID/map_files, which the kernel
 * opens only for CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (in the initial
 * user namespace), or else in the process's memory (process_vm_readv:
 * whoever may trace it, such as the owner of its user namespace). When
 * neither can be read, the library would load and stay out of reach, so
 * the process is left alone before it is touched. */
int inj_judge_memfd_readable(const struct inj_process *t)
{
    unsigned char probe;            /* any byte: can its memory be read? */
    char why[512];
    struct inj_maps maps;
    struct caps me;

    our_caps(&me);
    if ((me.eff >> CAP_SYS_ADMIN_BIT) & 1 || (me.eff >> CAP_CHECKPOINT_RESTORE_BIT) & 1)
        return 0;
    int rc = inj_maps_read(t->proc, &maps);
    if (rc == 0) {
        size_t i = 0;
        while (i < maps.n && maps.v[i].perms[0] != 'r')
            i++;
        rc = i < maps.n ? inj_proc_read(t->proc, maps.v[i].start, &probe, 1) : -ENOENT;
        inj_maps_free(&maps);
    }
    if (rc == 0)
        return 0;
    snprintf(why, sizeof why, "it is in another mount namespace or root (a container), where "
             "scope hands it the library as a memfd; finding the library's functions in it "
             "again needs /proc/PID/map_files (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) or "
             "reading its memory, which fails: %s", strerror(-rc));
    return inj_judge_fail(t, why);
}

/* ---- what attach and detach check first ---------------------------------- */

int inj_judge_look(const struct inj_process *t, struct scope_ctl_status *st, int *loaded)
{
    char why[1024];
    int rc;

    if ((rc = state_usable(t)) != 0 || (rc = seccomp_free(t)) != 0)
        return rc;
    if (trace_permitted(t, why, sizeof why) < 0)
        return inj_judge_fail(t, why);
    rc = inj_scope_status(t->pid, st, NULL, 0);
    if (rc < 0) {
        snprintf(why, sizeof why, "cannot read libscope's status: %s",
                 inj_look_status_error(rc));
        return inj_judge_fail(t, why);
    }
    *loaded = rc == 0;
    return 0;
}

int inj_process_resolve(const char *arg, const char *doing, struct inj_process *t)
{
    char why[512];
    pid_t pid;

    if (inj_pid_resolve(arg, &pid, why, sizeof why) < 0) {
        fprintf(stderr, "scope: %s\n", why);
        return 1;
    }
    int rc = inj_process_read(pid, t);
    t->pid = pid;
    if (rc != 0)
        t->proc = pid;
    t->doing = doing;
    return rc == 0 ? 0 : inj_judge_exited(t);
}
