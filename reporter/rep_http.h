/* rep_http.h: what HTTP/1.x parsing (rep_http.c) hands to the events
 * (rep_http_event.c) and the metrics (rep_http_metrics.c) of one
 * request and its response. Reporter thread only. */
#ifndef REP_HTTP_H
#define REP_HTTP_H

#include <stdbool.h>
#include <regex.h>
#include <stdint.h>
#include "rep_sock.h"

struct rep;
struct rep_http_agg;                /* rep_http_metrics.c: the period's table */

#define REP_HTTP_HEADERS_MAX 8      /* SCOPE_EVENT_HTTP_HEADER's, per head */

struct rep_http_header {
    char name[64], value[256];
};

/* The fields of a head that events carry. The headers come last: only
 * the first nheaders are ever read, so a head is cleared up to them. */
struct rep_http_head {
    char flavor[4];                 /* "1.0", "1.1" */
    int64_t content_length;         /* body length: declared, else counted; -1: none */
    unsigned nheaders;
    struct rep_http_header headers[REP_HTTP_HEADERS_MAX];
};

/* The heads come last, each cleared up to its headers (rep_http.c): the
 * message is ~6 KiB, nearly all of it header room few heads use. */
struct rep_http_msg {
    bool server;                    /* we serve it: http_server_duration */
    bool tls;                       /* http_scheme https */
    const struct rep_sock *sock;
    /* the request */
    char method[24], target[512], host[256], user_agent[256], client_ip[64];
    int64_t start_ns;               /* its first byte */
    /* the response */
    int status;
    char status_text[64];
    int64_t end_ns;                 /* its last byte */
    struct rep_http_head req, resp;
};

/* SCOPE_EVENT_HTTP_HEADER: is header `name` (as on the wire) one the
 * operator wants in events? Authorization, Cookie, Set-Cookie and
 * Proxy-Authorization only when the pattern names them. */
bool rep_http_header_wanted(struct rep *r, const char *name, size_t len);

/* A request's head is parsed: its http.req event. */
void rep_http_req_event(struct rep *r, const struct rep_http_msg *m, double time);
/* Its response is complete: the http.resp event and the metrics. */
void rep_http_resp_done(struct rep *r, const struct rep_http_msg *m, double time);
/* Why a message was seen but not parsed: a head (cut by the tap's bound,
 * a full queue, a head too long), or a chunked body's framing the tap
 * did not hand over (rep_http_event.c: a notice each). */
enum rep_http_loss { REP_HTTP_LOST_HEAD, REP_HTTP_LOST_CHUNKS, REP_HTTP_LOSSES };
/* Counted, said in a notice. */
void rep_http_unparsed(struct rep *r, enum rep_http_loss why);
/* Said in a notice, once a period. */
void rep_http_unparsed_tell(struct rep *r);

/* rep_http_metrics.c: the period's http.* metrics. */
void rep_http_metrics_add(struct rep *r, const struct rep_http_msg *m);
void rep_http_metrics_emit(struct rep *r, double time);
void rep_http_agg_free(struct rep_http_agg *a);
/* The reporter's HTTP state (the header pattern, the period's table):
 * made on first use, freed with the reporter. */
struct rep_http_state {
    regex_t header_re;              /* SCOPE_EVENT_HTTP_HEADER, compiled */
    bool header_re_ok;
    bool named[4];                  /* which sensitive headers it names */
    uint64_t unparsed[REP_HTTP_LOSSES];     /* messages not parsed, not told yet */
    int64_t second;                 /* SCOPE_EVENT_MAXEPS: this second's */
    unsigned sent;                  /* events so far */
    struct rep_http_agg *agg;       /* the period's metrics */
};
struct rep_http_state *rep_http_state(struct rep *r);
void rep_http_state_free(struct rep *r);

#endif
