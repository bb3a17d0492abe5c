/* ip_unseen.h: what scope cannot see or count (ip_unseen.def), said in a
 * notice. Wrappers count (one atomic add); the reporter says it. */
#ifndef IP_UNSEEN_H
#define IP_UNSEEN_H

#include <stdint.h>

struct rep;

enum ip_unseen {
#define IP_UNSEEN(id, once, metric, unit, message) IP_UNSEEN_##id,
#include "ip_unseen.def"
#undef IP_UNSEEN
    IP_UNSEEN_N
};

/* n more of `what` (any thread, a signal handler too). */
void ip_unseen_add(enum ip_unseen what, uint64_t n);
/* Reporter: notices (and counters) for what is new since the last call. */
void ip_unseen_report(struct rep *r);
/* Fork child, attach: nothing said yet. */
void ip_unseen_reset(void);

#endif
