/* ip_wrap_dns.c: wrappers of the name lookups: dns.req (count and mean
 * duration, exact) and the dns.req / dns.resp events (name, addresses). */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_dns.h"

#include <arpa/inet.h>
#include <string.h>

/* Addresses as NUL-terminated numeric strings, one after the other. */
struct addr_list {
    char text[REP_EVENT_TEXT_MAX];
    size_t len;
};

static void addr_list_add(struct addr_list *l, int family, const void *addr)
{
    char ip[INET6_ADDRSTRLEN];

    if (!inet_ntop(family, addr, ip, sizeof ip))
        return;
    size_t n = strlen(ip) + 1;
    if (l->len + n > sizeof l->text)
        return;
    memcpy(l->text + l->len, ip, n);
    l->len += n;
}

static void addrinfo_collect(const struct addrinfo *ai, struct addr_list *l)
{
    for (; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET)
            addr_list_add(l, AF_INET, &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr);
        else if (ai->ai_family == AF_INET6)
            addr_list_add(l, AF_INET6, &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr);
    }
}

static void hostent_collect(const struct hostent *h, struct addr_list *l)
{
    for (char **a = h ? h->h_addr_list : NULL; a && *a; a++)
        addr_list_add(l, h->h_addrtype, *a);
}

/* Before the lookup: the request event. Returns its start (0: unobserved). */
static uint64_t lookup_start(const char *name)
{
    if (!name || !ip_observing())
        return 0;
    int saved = errno;
    ip_event_dns(REP_EV_DNS_REQ, name, NULL, 0, 0);
    errno = saved;
    return ip_ticks();
}

static void lookup_end(uint64_t t0, const char *name, const struct addr_list *l)
{
    if (!t0)
        return;
    int saved = errno;
    uint64_t ticks = ip_ticks() - t0;
    ip_add(&ip_dns.requests, 1);
    ip_add(&ip_dns.duration_ticks, ticks);
    ip_event_dns(REP_EV_DNS_RESP, name, l->text, l->len, ip_ticks_to_ns(ticks));
    errno = saved;
}

int ip_wrap_getaddrinfo(const char *node, const char *service,
                        const struct addrinfo *hints, struct addrinfo **res)
{
    struct addr_list l = { .len = 0 };
    uint64_t t0 = lookup_start(node);
    int rc = ip_real_getaddrinfo(node, service, hints, res);
    if (t0 && rc == 0)
        addrinfo_collect(*res, &l);
    lookup_end(t0, node, &l);
    return rc;
}

struct hostent *ip_wrap_gethostbyname(const char *name)
{
    struct addr_list l = { .len = 0 };
    uint64_t t0 = lookup_start(name);
    struct hostent *h = ip_real_gethostbyname(name);
    if (t0)
        hostent_collect(h, &l);
    lookup_end(t0, name, &l);
    return h;
}

struct hostent *ip_wrap_gethostbyname2(const char *name, int af)
{
    struct addr_list l = { .len = 0 };
    uint64_t t0 = lookup_start(name);
    struct hostent *h = ip_real_gethostbyname2(name, af);
    if (t0)
        hostent_collect(h, &l);
    lookup_end(t0, name, &l);
    return h;
}

int ip_wrap_gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                            struct hostent **result, int *h_errnop)
{
    struct addr_list l = { .len = 0 };
    uint64_t t0 = lookup_start(name);
    int rc = ip_real_gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    if (t0 && rc == 0 && result)
        hostent_collect(*result, &l);
    lookup_end(t0, name, &l);
    return rc;
}

int ip_wrap_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                             size_t buflen, struct hostent **result, int *h_errnop)
{
    struct addr_list l = { .len = 0 };
    uint64_t t0 = lookup_start(name);
    int rc = ip_real_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    if (t0 && rc == 0 && result)
        hostent_collect(*result, &l);
    lookup_end(t0, name, &l);
    return rc;
}
