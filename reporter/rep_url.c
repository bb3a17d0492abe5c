/* rep_url.c: what a destination URL names. */
#include "rep_url.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* host:port, or [v6]:port, with a port from 1 to 65535. */
static int inet_parse(struct rep_url *u, const char *url, const char *rest,
                      char *err, size_t errlen)
{
    const char *colon = strrchr(rest, ':');
    const char *host = rest, *host_end = colon;
    char *end;

    if (rest[0] == '[') {
        host = rest + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end + 1 != colon)
            colon = NULL;
    }
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || host_end == host || colon[1] < '0' || colon[1] > '9' ||
        *end != '\0' || port < 1 || port > 65535) {
        snprintf(err, errlen, "destination \"%s\" must be host:port with a port "
                 "from 1 to 65535", url);
        return -1;
    }
    if ((size_t)(host_end - host) >= sizeof u->host) {
        snprintf(err, errlen, "destination \"%s\": the host name is too long", url);
        return -1;
    }
    memcpy(u->host, host, (size_t)(host_end - host));
    u->host[host_end - host] = '\0';
    snprintf(u->port, sizeof u->port, "%ld", port);
    return 0;
}

/* /abs/path or @abstract, short enough for sun_path. */
static int unix_parse(struct rep_url *u, const char *url, const char *rest,
                      char *err, size_t errlen)
{
    struct sockaddr_un sun;

    if ((rest[0] != '/' && rest[0] != '@') || rest[1] == '\0') {
        snprintf(err, errlen, "destination \"%s\" must be unix:///abs/path or "
                 "unix://@name", url);
        return -1;
    }
    if (strlen(rest) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "destination \"%s\": the socket name is longer "
                 "than %zu bytes", url, sizeof sun.sun_path - 1);
        return -1;
    }
    snprintf(u->host, sizeof u->host, "%s", rest);
    return 0;
}

/* scheme://fd/N: N, a descriptor number written by scope, or -1. */
static int handed_fd_parse(const char *rest)
{
    char *end;

    if (strncmp(rest, "fd/", 3) != 0 || rest[3] < '0' || rest[3] > '9')
        return -1;
    long n = strtol(rest + 3, &end, 10);
    return *end == '\0' && n <= INT_MAX ? (int)n : -1;
}

/* file://stdout, file://stderr or file:///abs/path (opened by the
 * transport). */
static int file_parse(struct rep_url *u, const char *url, const char *rest,
                      char *err, size_t errlen)
{
    if (!strcmp(rest, "stdout"))
        u->std_fd = STDOUT_FILENO;
    else if (!strcmp(rest, "stderr"))
        u->std_fd = STDERR_FILENO;
    else if (rest[0] != '/') {
        snprintf(err, errlen, "destination \"%s\" must name an absolute path "
                 "(file:///abs/path)", url);
        return -1;
    }
    return 0;
}

/* The scheme's kind, and *rest what follows "scheme://". */
static enum rep_transport_kind scheme_kind(const char *url, const char **rest)
{
    static const struct { const char *prefix; enum rep_transport_kind kind; } schemes[] = {
        { "file://", REP_TRANSPORT_FILE },
        { "udp://", REP_TRANSPORT_UDP },
        { "tcp://", REP_TRANSPORT_TCP },
        { "unix://", REP_TRANSPORT_UNIX },
    };

    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (!strncmp(url, schemes[i].prefix, n)) {
            *rest = url + n;
            return schemes[i].kind;
        }
    }
    return REP_TRANSPORT_OFF;
}

int rep_url_parse(const char *url, struct rep_url *u, char *err, size_t errlen)
{
    const char *rest = NULL;
    int rc;

    memset(u, 0, sizeof *u);
    u->std_fd = -1;
    u->handed_fd = -1;
    if (strlen(url) >= REP_URL_MAX) {
        snprintf(err, errlen, "destination is longer than %d bytes", REP_URL_MAX - 1);
        return -1;
    }
    if (url[0] == '\0')
        return 0;
    enum rep_transport_kind kind = scheme_kind(url, &rest);
    if (kind != REP_TRANSPORT_OFF && (u->handed_fd = handed_fd_parse(rest)) >= 0) {
        u->kind = kind;
        return 0;
    }
    switch (kind) {
    case REP_TRANSPORT_FILE: rc = file_parse(u, url, rest, err, errlen); break;
    case REP_TRANSPORT_UDP:
    case REP_TRANSPORT_TCP: rc = inet_parse(u, url, rest, err, errlen); break;
    case REP_TRANSPORT_UNIX: rc = unix_parse(u, url, rest, err, errlen); break;
    default:
        snprintf(err, errlen, "unsupported destination \"%s\" (expected "
                 "file:///path, file://stdout, file://stderr, udp://host:port, "
                 "tcp://host:port, unix:///path or unix://@name)", url);
        return -1;
    }
    if (rc == 0)
        u->kind = kind;
    return rc;
}

int rep_transport_url_check(const char *url, char *err, size_t errlen)
{
    struct rep_url scratch;

    return rep_url_parse(url, &scratch, err, errlen);
}
