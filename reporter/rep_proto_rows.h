/* rep_proto_rows.h: the rows of the protocol registry (rep_proto.c), each
 * defined in its protocol's file. */
#ifndef REP_PROTO_ROWS_H
#define REP_PROTO_ROWS_H

#include "rep_proto.h"

extern const struct rep_proto rep_proto_http;   /* rep_http.c: HTTP/1.x */
extern const struct rep_proto rep_proto_tls;    /* rep_tls.c: recognized only */

#endif
