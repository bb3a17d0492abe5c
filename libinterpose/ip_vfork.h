/* ip_vfork.h: a vfork child shares our memory (and the vforking thread's
 * TLS) until it execs or exits: nothing it does may change the parent's
 * records or queues, and its flush would be the parent's.
 *
 * The vfork wrapper sets ip_vforking; while it is set, each wrapper asks
 * the kernel which process it is in (ip_vfork_settle), and the parent,
 * back, clears it.
 */
#ifndef IP_VFORK_H
#define IP_VFORK_H

#include "ip_tls_model.h"

#include <stdbool.h>

extern IP_TLS bool ip_vforking;

/* Are we a vfork child? The kernel's pid against the one we attached in
 * (a vfork child never ran the fork handlers that would update it). */
bool ip_in_vfork_child(void);

/* A wrapper while ip_vforking is set: true in the parent (the child has
 * exec'ed or exited: the mark is cleared), false in the child. */
bool ip_vfork_settle(void);

#endif
