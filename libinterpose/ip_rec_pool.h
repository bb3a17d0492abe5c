/* ip_rec_pool.h: the pool of file and socket records (struct ip_rec,
 * ip.h): claimed and freed lock-free, and the list of closed records
 * the reporter takes every drain (ip_files.c says what a record goes
 * through).
 */
#ifndef IP_REC_POOL_H
#define IP_REC_POOL_H

#include "ip.h"

/* Anonymous pages of len bytes, touched (and so made resident) as used;
 * NULL if none could be mapped. */
void *ip_pages_map(size_t len);

/* The pool and its free stack's links, mapped once. 0, or -1. */
int ip_rec_pool_init(void);

/* f's slot: its index + 1 (0 names no record). */
static inline uint32_t ip_rec_slot(const struct ip_rec *f)
{
    return (uint32_t)(f - ip_rec_pool) + 1;
}

/* Records [0, ip_rec_pool_used()) may hold something. */
uint32_t ip_rec_pool_used(void);

/* A record off the free stack, or a never used one, CLAIMED; NULL: all
 * in use. Any thread. */
struct ip_rec *ip_rec_claim(void);
/* Freed records, chained by ip_rec_free_chain_add, go back on the free
 * stack together with one ip_rec_free_chain_push (reporter): one atomic
 * update of the stack's head for a drain's records, not one each, which
 * the program's claims would contend with. */
struct ip_rec_free_chain {
    uint32_t first, last;           /* slots (index + 1); 0: empty */
};
void ip_rec_free_chain_add(struct ip_rec_free_chain *c, struct ip_rec *f);
void ip_rec_free_chain_push(struct ip_rec_free_chain *c);

/* f, closed, onto the list the reporter takes (any thread). */
void ip_rec_closed_push(struct ip_rec *f);
/* The whole closed list, most recently closed first (reporter). */
struct ip_rec *ip_rec_closed_take(void);

/* Attach, no reporter running and every record reset: no record was
 * ever used, none is free or closed. */
void ip_rec_pool_forget(void);

#endif
