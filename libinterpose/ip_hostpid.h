/* ip_hostpid.h: the pid the host sees, for a process scope attached to in
 * another pid namespace (a container), and for the children it forks
 * there.
 *
 * Nothing inside the container can name its host pid: its /proc is its
 * own namespace's. scope attach hands the process a descriptor of the
 * host's pid namespace (SCOPE_HOST_PIDNS_FD), and the kernel translates
 * (ioctl NS_GET_TGID_IN_PIDNS, Linux 6.11+). The copy we keep is high,
 * close-on-exec and out of reach of the program's close(); children
 * inherit it, which is the point. With it a process can only translate
 * pids it sees already; it cannot enter the namespace (the kernel refuses
 * setns into an ancestor pid namespace).
 */
#ifndef IP_HOSTPID_H
#define IP_HOSTPID_H

#include "rep_config.h"

/* At attach: our copy of the descriptor cfg names (if any), published in
 * *slot for the close wrappers. */
void ip_hostpid_take(const struct rep_config *cfg, int *slot);

/* This process's pid as the host sees it; 0 when unknown (no descriptor,
 * the program took its number, a kernel without the translation). */
int ip_hostpid_self(void);

/* At detach: our copy closed. */
void ip_hostpid_drop(void);

#endif
