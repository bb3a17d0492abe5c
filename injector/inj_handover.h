/* inj_handover.h: a process whose files are not ours (another mount
 * namespace: a container, systemd's PrivateTmp; or another root: a chroot)
 * gets what it needs as open descriptors, never as paths.
 *
 * A container's root is untrusted: any path we wrote into its filesystem
 * could be swapped by its processes between our write and their open (a
 * symlink, a rename), and a host path means nothing there. So scope opens
 * everything on the host side, before the target is stopped: the library
 * as a sealed memfd (nobody can change it, and it vanishes with the last
 * mapping: nothing of ours is ever in the container's filesystem), the
 * session's files (or the file:// destinations given) as the host names
 * them. While the thread is stopped they go over a socketpair made in the
 * target (SCM_RIGHTS); the target dlopens /proc/self/fd/N, the library
 * takes its copies of the files (file://fd/N), and every number handed
 * over is closed again before the thread is let go.
 */
#ifndef INJ_HANDOVER_H
#define INJ_HANDOVER_H

#include "inj_inject.h"
#include "inj_session.h"

#include <stdbool.h>
#include <sys/types.h>

/* The descriptors handed over, in this order; -1: none (already loaded; a
 * std destination, or a network one the target reaches itself). */
enum { INJ_HAND_LIB, INJ_HAND_METRICS, INJ_HAND_EVENTS, INJ_HAND_PIDNS, INJ_HAND_N };

/* What a descriptor of the target names (its /proc entry's file); ino 0:
 * nothing. */
struct inj_fd_id {
    dev_t dev;
    ino_t ino;
};

struct inj_handover {
    int ours[INJ_HAND_N];       /* in scope */
    int theirs[INJ_HAND_N];     /* in the target, while it is stopped */
    struct inj_fd_id theirs_id[INJ_HAND_N];
    int pair[2];                /* the target's socketpair, until it is loaded */
    struct inj_fd_id pair_id[2];
    uintptr_t socketpair, recvmsg, close, syscall;  /* the target's libc's */
};

/* Is pid's filesystem not ours: another mount namespace, or another root
 * directory? Then it gets descriptors. */
bool inj_handover_needed(pid_t pid);

/* Network destinations are reached where the operator means them: by
 * default as scope (the host) reaches them, so that udp://127.0.0.1:8125
 * is the host's StatsD whatever namespace the process is in; with
 * dest_target (--dest-netns target) from the process's own namespace, as
 * the program itself would. Does scope connect url itself, on its side,
 * and hand the socket over: udp:// and tcp:// (and unix://@name) when pid
 * is in another network namespace, unix:///path when its filesystem is
 * not ours? Such a socket is never reconnected (rep_transport.h). */
bool inj_handover_connects(pid_t pid, const char *url, bool dest_target);

/* Before the stop: the libc functions the handover calls in the target
 * (maps, libc: as inj_libc_resolve had them), the library (lib; NULL when
 * it is loaded already) copied into a sealed memfd, the file://
 * destinations of to opened on the host, the network ones that
 * inj_handover_connects says connected (a TCP collector must be listening
 * now), and, when pid is in another pid namespace, ours (the library
 * learns the host pid of the children it forks from it: ip_hostpid.h).
 * 0, or -1 with why. */
int inj_handover_prepare(struct inj_handover *h, pid_t pid, const struct inj_maps *maps,
                         const char *lib, const struct inj_dests *to, bool dest_target,
                         char *why, size_t len);

/* On the stopped thread: the descriptors into the target (h->theirs),
 * over a socketpair made there (h->pair, left open: closed with the
 * library's number by inj_handover_close_loaded, in one call). 0,
 * INJ_FAILED (t->why) or INJ_EXITED; after a failure h->theirs holds what
 * the target did receive (a full descriptor table takes only some), to be
 * closed like the rest. */
int inj_handover_send(struct inj_tracee *t, struct inj_handover *h);

/* The numbers the library takes copies of and then closes itself (the
 * destinations' and the pid namespace's, as handed: "5,6,7"; "" for
 * none), for its SCOPE_HANDED_CLOSE. */
void inj_handover_taken_list(const struct inj_handover *h, char *out, size_t cap);

/* What the target dlopens (/proc/self/fd/N) and the destinations it is
 * configured with (file://fd/N, udp://fd/N... where handed), from
 * h->theirs. */
void inj_handover_names(const struct inj_handover *h, const struct inj_dests *to, char *lib,
                        size_t cap, struct inj_dests *named);

/* On the stopped thread, once the library is loaded (or will not be): the
 * socketpair and the library's number closed. */
int inj_handover_close_loaded(struct inj_tracee *t, struct inj_handover *h);

/* On the stopped thread, at the end: what is still open of the pair and
 * of h->theirs closed (the library closes the destinations and the pid
 * namespace itself once it has its copies: SCOPE_HANDED_CLOSE, ip_handed.h),
 * contiguous numbers together in one call; a number that names another
 * file than ours was closed and is the program's since. */
int inj_handover_close(struct inj_tracee *t, struct inj_handover *h);

/* Our descriptors closed. */
void inj_handover_free(struct inj_handover *h);

/* Can the target open /proc/self/fd/N: is there a procfs at /proc under
 * its root? Looked up without following any symlink of its filesystem. 0,
 * or -1 with why. */
int inj_handover_proc_check(pid_t pid, char *why, size_t len);

#endif
