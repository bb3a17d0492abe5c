/* ip_dns.h: name lookups, counted process-wide (dns.req: how many and
 * their mean duration). The lookup wrappers (ip_wrap_dns.c) add; the
 * reporter folds what is new into the period. */
#ifndef IP_DNS_H
#define IP_DNS_H

#include <stdint.h>
#include "rep.h"

struct ip_dns_counts {
    uint64_t requests;
    uint64_t duration_ticks;
};
extern struct ip_dns_counts ip_dns;

/* Reporter: the lookups since the last period. */
void ip_dns_collect(struct rep *r);
/* Fork child: what was counted so far is the parent's to report. */
void ip_dns_after_fork_child(void);

#endif
