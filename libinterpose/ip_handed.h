/* ip_handed.h: the descriptors `scope attach` hands a process whose files
 * are not ours (a container: inj_handover.h) are numbers in the program's
 * table, ours only while it is held stopped. With SCOPE_HANDED_CLOSE the
 * library closes them itself once it has taken its copies, still on that
 * thread: scope would otherwise close them in a call of its own after
 * ours, and each call is round trips through scope for the stopped thread
 * (made slower then by the reporter thread starting beside it). scope
 * closes what is left open (an attach that failed before the copies).
 */
#ifndef IP_HANDED_H
#define IP_HANDED_H

#include "rep_config.h"

/* The numbers scope attach handed and said are ours to close
 * (SCOPE_HANDED_CLOSE), closed: those alone, not every file://fd/N a
 * destination names (one a user typed names a file of the program's). */
void ip_handed_close(const struct rep_config *cfg);

#endif
