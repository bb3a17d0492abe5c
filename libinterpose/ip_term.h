/* ip_term.h: a process killed by SIGTERM, SIGINT, SIGHUP or SIGQUIT with
 * their default action still reports its last period and events.
 *
 * While the program leaves such a signal at SIG_DFL, our handler stands
 * in for the default action: it flushes (bounded by the exit budget),
 * puts SIG_DFL back and raises the signal again, so the process dies of
 * it with the status and core dump it would have had. The moment the
 * program installs anything else (a handler, SIG_IGN), we step aside and
 * its action is installed for real; sigaction and signal report what the
 * program set, as without us. A signal the program sets back to SIG_DFL
 * is taken again (ip_term_after_set).
 */
#ifndef IP_TERM_H
#define IP_TERM_H

#include <signal.h>
#include <stdbool.h>

/* At attach: stand in for the default action of each signal left at it. */
void ip_term_enable(void);
/* At detach: the program's dispositions back, exactly. */
void ip_term_disable(void);

/* Is sig one we stand in for now? The sigaction and signal wrappers then
 * ask the functions below instead of the kernel. */
bool ip_term_owns(int sig);
/* sigaction on an owned signal: what the program would see and get. */
int ip_term_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
/* Before signal() and its old names install something for an owned
 * signal: step aside, so the real call installs it and reports what the
 * program had. */
void ip_term_release(int sig);
/* After the program's sigaction or signal call on a signal we do not own
 * (it went to the kernel): if it set the default action of a termination
 * signal, stand in for it again. errno is kept. */
void ip_term_after_set(int sig);

#endif
