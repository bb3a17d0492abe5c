/* rep_start_msg.h: the process-start message that opens every event stream. */
#ifndef REP_START_MSG_H
#define REP_START_MSG_H

#include <stddef.h>
#include "rep_config.h"
#include "rep_fmt.h"
#include "rep_transport.h"

/* AppScope's start message (event_start_msg: "format" and "info" with the
 * process, the configuration in effect and the environment) as one line;
 * 0 when it does not fit. Reads /proc, /etc/machine-id and the user
 * database: the reporter thread's work, not a wrapper's. */
size_t rep_start_msg_json(char *buf, size_t cap, const struct rep_ident *id,
                          const struct rep_config *cfg,
                          const struct rep_transport *metrics,
                          const struct rep_transport *events);

#endif
