/* scope_ctl.h: the only symbols libscope.so exports.
 *
 * Loaded with LD_PRELOAD (what `scope run` does), the library attaches by
 * itself when it is loaded. Loaded any other way (dlopen, later by
 * `scope attach`), it does nothing until scope_ctl_attach() is called.
 */
#ifndef SCOPE_CTL_H
#define SCOPE_CTL_H

/* Read SCOPE_* configuration, patch every loaded object, start reporting.
 * 0 on success or when already attached; -1 when nothing could be done
 * (the reason is written to stderr). */
int scope_ctl_attach(void);

/* Put every GOT slot we patched back as it was, flush, stop reporting.
 * The library stays loaded. 0 on success, -1 when not attached. */
int scope_ctl_detach(void);

#endif
