/* ip_dns.c: the process-wide name lookup counters (ip_dns.h). */
#include "ip.h"
#include "ip_dns.h"

struct ip_dns_counts ip_dns;
static struct ip_dns_counts dns_reported;   /* reporter only */

void ip_dns_collect(struct rep *r)
{
    uint64_t requests = __atomic_load_n(&ip_dns.requests, __ATOMIC_RELAXED);
    uint64_t ticks = __atomic_load_n(&ip_dns.duration_ticks, __ATOMIC_RELAXED);

    if (requests != dns_reported.requests)
        rep_dns_add(r, requests - dns_reported.requests,
                    ip_ticks_to_ns(ticks - dns_reported.duration_ticks));
    dns_reported.requests = requests;
    dns_reported.duration_ticks = ticks;
}

void ip_dns_after_fork_child(void)
{
    dns_reported = ip_dns;
}
