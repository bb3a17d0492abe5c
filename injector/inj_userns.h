/* inj_userns.h: where a target's user namespace stands to ours, as the
 * kernel judges ptrace by it (security/commoncap.c cap_capable): in a
 * namespace below ours that our effective uid created (owns), we hold
 * every capability, CAP_SYS_PTRACE included, over its processes, whatever
 * their uids and capabilities there (rootless podman, `unshare --user`);
 * in one that is neither ours nor below one we own, we hold none. */
#ifndef INJ_USERNS_H
#define INJ_USERNS_H

#include <sys/types.h>

enum inj_userns {
    INJ_USERNS_UNKNOWN,     /* /proc/PID/ns/user unreadable: judge by uids */
    INJ_USERNS_SAME,        /* ours: uids and capabilities decide */
    INJ_USERNS_OWNED,       /* below a namespace our euid owns, child of ours */
    INJ_USERNS_FOREIGN,     /* below ours, made by another uid (*owner) */
    INJ_USERNS_OUTSIDE,     /* not below ours at all */
};

/* pid's user namespace against ours; *owner: for OWNED and FOREIGN, the
 * owner (as we see uids) of the namespace below ours it is in, else
 * (uid_t)-1. */
enum inj_userns inj_userns_of(pid_t pid, uid_t *owner);

#endif
