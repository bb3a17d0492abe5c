/* rep_http_event.c: http.req and http.resp events in AppScope's shape,
 * the header rules, and what HTTP could not parse (a notice). */
#include "rep_internal.h"
#include "rep_http.h"
#include "rep_proto.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* Header values that carry credentials: never in an event unless the
 * operator's pattern names the header itself (".*" does not). */
static const char *const sensitive[4] = {
    "authorization", "cookie", "set-cookie", "proxy-authorization",
};

static bool header_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Does the pattern name `word` (not as part of a longer name)? */
static bool pattern_names(const char *pattern, const char *word)
{
    size_t n = strlen(word);

    for (const char *s = pattern; (s = strcasestr(s, word)) != NULL; s++)
        if ((s == pattern || !header_char(s[-1])) && !header_char(s[n]))
            return true;
    return false;
}

struct rep_http_state *rep_http_state(struct rep *r)
{
    if (r->http)
        return r->http;
    struct rep_http_state *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    const char *pattern = r->cfg.ev_http_header;
    h->header_re_ok = pattern[0] &&
                      regcomp(&h->header_re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
    for (size_t i = 0; i < 4; i++)
        h->named[i] = h->header_re_ok && pattern_names(pattern, sensitive[i]);
    r->http = h;
    return h;
}

bool rep_http_header_wanted(struct rep *r, const char *name, size_t len)
{
    struct rep_http_state *h = rep_http_state(r);
    char lower[64];

    if (!h || !h->header_re_ok || len >= sizeof lower)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!header_char(name[i]))
            return false;           /* not a token: not a name we print */
        lower[i] = (char)tolower((unsigned char)name[i]);
    }
    lower[len] = '\0';
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(lower, sensitive[i]) && !h->named[i])
            return false;
    return regexec(&h->header_re, lower, 0, NULL, 0) == 0;
}

void rep_http_unparsed(struct rep *r, enum rep_http_loss why)
{
    struct rep_http_state *h = rep_http_state(r);

    if (h)
        h->unparsed[why]++;
}

/* The standard reason phrase (AppScope's schema names these), else the
 * one on the wire. */
static const char *status_text(const struct rep_http_msg *m)
{
    static const struct { int code; const char *text; } texts[] = {
        {100, "Continue"}, {101, "Switching Protocols"}, {102, "Processing"}, {200, "OK"},
        {201, "Created"}, {202, "Accepted"}, {203, "Non-authoritative Information"},
        {204, "No Content"}, {205, "Reset Content"}, {206, "Partial Content"},
        {207, "Multi-Status"}, {208, "Already Reported"}, {226, "IM Used"},
        {300, "Multiple Choices"}, {301, "Moved Permanently"}, {302, "Found"},
        {303, "See Other"}, {304, "Not Modified"}, {305, "Use Proxy"},
        {307, "Temporary Redirect"}, {308, "Permanent Redirect"}, {400, "Bad Request"},
        {401, "Unauthorized"}, {402, "Payment Required"}, {403, "Forbidden"},
        {404, "Not Found"}, {405, "Method Not Allowed"}, {406, "Not Acceptable"},
        {407, "Proxy Authentication Required"}, {408, "Request Timeout"}, {409, "Conflict"},
        {410, "Gone"}, {411, "Length Required"}, {412, "Precondition Failed"},
        {413, "Payload Too Large"}, {414, "Request-URI Too Long"},
        {415, "Unsupported Media Type"}, {416, "Requested Range Not Satisfiable"},
        {417, "Expectation Failed"}, {418, "I'm a teapot"}, {421, "Misdirected Request"},
        {422, "Unprocessable Entity"}, {423, "Locked"}, {424, "Failed Dependency"},
        {426, "Upgrade Required"}, {428, "Precondition Required"},
        {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"},
        {444, "Connection Closed Without Response"}, {451, "Unavailable For Legal Reasons"},
        {499, "Client Closed Request"}, {500, "Internal Server Error"},
        {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
        {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
        {506, "Variant Also Negotiates"}, {507, "Insufficient Storage"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].code == m->status)
            return texts[i].text;
    return m->status_text;
}

#define FIELDS_MAX (24 + REP_HTTP_HEADERS_MAX)

struct fields {
    struct rep_field f[FIELDS_MAX];
    size_t n;
};

static void add(struct fields *fs, struct rep_field f)
{
    if (fs->n < FIELDS_MAX)
        fs->f[fs->n++] = f;
}

static void add_str(struct fields *fs, const char *key, const char *value)
{
    if (value[0])
        add(fs, (struct rep_field)REP_FIELD_STR(key, value));
}

/* What both events say about the request and the connection. */
static void request_fields(struct fields *fs, const struct rep_http_msg *m)
{
    const struct rep_sock *s = m->sock;
    const char *transport = rep_sock_transport(s);

    add_str(fs, "http_method", m->method);
    add_str(fs, "http_target", m->target);
    add_str(fs, "http_flavor", m->req.flavor);
    add_str(fs, "http_scheme", m->tls ? "https" : "http");
    add_str(fs, "http_host", m->host);
    add_str(fs, "http_user_agent", m->user_agent);
    if (transport)
        add_str(fs, "net_transport", transport);
    if (s->rip[0]) {
        add_str(fs, "net_peer_ip", s->rip);
        add(fs, (struct rep_field)REP_FIELD_INT("net_peer_port", s->rport));
    }
    if (s->lip[0]) {
        add_str(fs, "net_host_ip", s->lip);
        add(fs, (struct rep_field)REP_FIELD_INT("net_host_port", s->lport));
    }
}

static void header_fields(struct fields *fs, const struct rep_http_head *h)
{
    for (unsigned i = 0; i < h->nheaders; i++)
        add(fs, (struct rep_field)REP_FIELD_STR(h->headers[i].name, h->headers[i].value));
}

/* http.req and http.resp are sent when their kind is on and their name
 * passes the operator's filter, SCOPE_EVENT_MAXEPS of them a second at
 * most (the rest are cut, and counted for the notice the wrappers' cuts
 * go to). The second is the event's own (time: unix seconds), not a
 * clock read per event; the second before the newest seen (another
 * thread's event, drained late) counts in the newest, an earlier one
 * (the clock set back) starts its own. */
static bool wanted(struct rep *r, enum rep_event_kind kind, double time)
{
    struct rep_http_state *h = rep_http_state(r);

    if (!h || !rep_events_wanted(r) || !rep_event_kind_wanted(r, kind))
        return false;
    int64_t now = (int64_t)time;
    if (now > h->second || now < h->second - 1) {
        h->second = now;
        h->sent = 0;
    }
    if (h->sent >= r->cfg.maxeps) {
        rep_events_cut_add(r, 1);
        return false;
    }
    h->sent++;
    return true;
}

/* The fields are not zeroed as the struct is declared: 1.5 KiB for each
 * request, whose event is cut more often than not. */
void rep_http_req_event(struct rep *r, const struct rep_http_msg *m, double time)
{
    struct fields fs;

    if (!wanted(r, REP_EV_HTTP_REQ, time))
        return;
    fs.n = 0;
    request_fields(&fs, m);
    /* who asked: the first X-Forwarded-For address, else the peer */
    if (m->server)
        add_str(&fs, "http_client_ip", m->client_ip[0] ? m->client_ip : m->sock->rip);
    if (m->req.content_length >= 0)
        add(&fs, (struct rep_field)REP_FIELD_INT("http_request_content_length",
                                                 m->req.content_length));
    header_fields(&fs, &m->req);
    rep_event_line_add(r, "http", "http.req", time, fs.f, fs.n);
}

void rep_http_resp_done(struct rep *r, const struct rep_http_msg *m, double time)
{
    struct fields fs;
    long long ms = m->end_ns > m->start_ns ? (m->end_ns - m->start_ns) / 1000000 : 0;

    if (r->cfg.metric_http)
        rep_http_metrics_add(r, m);
    if (!time)
        time = rep_now_unix();
    if (!wanted(r, REP_EV_HTTP_RESP, time))
        return;
    fs.n = 0;
    request_fields(&fs, m);
    add(&fs, (struct rep_field)REP_FIELD_INT("http_status_code", m->status));
    add_str(&fs, "http_status_text", status_text(m));
    add(&fs, (struct rep_field)REP_FIELD_INT(m->server ? "http_server_duration"
                                                       : "http_client_duration", ms));
    if (m->req.content_length >= 0)
        add(&fs, (struct rep_field)REP_FIELD_INT("http_request_content_length",
                                                 m->req.content_length));
    if (m->resp.content_length >= 0)
        add(&fs, (struct rep_field)REP_FIELD_INT("http_response_content_length",
                                                 m->resp.content_length));
    header_fields(&fs, &m->resp);
    rep_event_line_add(r, "http", "http.resp", time, fs.f, fs.n);
}

/* Each loss's notice: the count, then the bound it names (KiB). */
static const struct {
    const char *text;
    int kib;
} losses[REP_HTTP_LOSSES] = {
    [REP_HTTP_LOST_HEAD] = {
        "scope saw %llu HTTP requests whose heads it could not parse (a head longer than "
        "%d KiB, or bytes its protocol tap could not hand over: a full queue); they are "
        "missing from http events and metrics", REP_PROTO_HEAD_MAX / 1024 },
    [REP_HTTP_LOST_CHUNKS] = {
        "scope could not follow the framing of %llu chunked HTTP bodies (more than %d KiB "
        "of one in a read or write, or more than 4 KiB before scope knew the connection's "
        "bodies were chunked: its first one read or written with its head; or bytes its "
        "protocol tap could not hand over: a full queue); their messages are missing from "
        "http events and metrics", REP_PROTO_FOLLOW_MAX / 1024 },
};

/* Messages not parsed since the last period, said once a period. */
void rep_http_unparsed_tell(struct rep *r)
{
    struct rep_http_state *h = r->http;

    for (unsigned i = 0; h && i < REP_HTTP_LOSSES; i++) {
        if (h->unparsed[i])
            rep_notice(r, losses[i].text, (unsigned long long)h->unparsed[i], losses[i].kib);
        h->unparsed[i] = 0;
    }
}

void rep_http_state_free(struct rep *r)
{
    struct rep_http_state *h = r->http;

    if (!h)
        return;
    if (h->header_re_ok)
        regfree(&h->header_re);
    rep_http_agg_free(h->agg);
    free(h);
    r->http = NULL;
}
