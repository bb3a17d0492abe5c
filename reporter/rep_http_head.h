/* rep_http_head.h: the lines of an HTTP/1.x head, for rep_http.c: the
 * framing they give (Content-Length, chunked) and the fields events carry
 * (host, user agent, client ip, the operator's picked headers). */
#ifndef REP_HTTP_HEAD_H
#define REP_HTTP_HEAD_H

#include "rep_http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What framing and fields a head's header lines give. */
struct rep_http_head_info {
    int64_t content_length;         /* -1: none */
    bool chunked, bad;
};

/* s[0..n) with blanks (and a CR) trimmed off both ends, cut to cap. */
void rep_http_copy_trimmed(char *dst, size_t cap, const char *s, size_t n);

/* The lines after the first into m (a request's fields), h (picked
 * headers) and hi; false when they say no sane framing. */
bool rep_http_header_lines(struct rep *r, const char *s, size_t n, struct rep_http_msg *m,
                           bool request, struct rep_http_head *h, struct rep_http_head_info *hi);

/* "1.1" from "HTTP/1.1"; false when it is not HTTP/1.x. */
bool rep_http_flavor_of(const char *s, size_t n, char out[4]);

#endif
