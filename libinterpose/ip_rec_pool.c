/* ip_rec_pool.c: the records' pool, its free stack and the closed list
 * (ip_rec_pool.h). */
#include "ip_rec_pool.h"

#include <sys/mman.h>

struct ip_rec *ip_rec_pool;
static uint32_t pool_high;                  /* records [0, pool_high) were ever used */
/* Freed records, most recently freed first (a Treiber stack of indexes
 * + 1, tagged with a count against ABA: any thread pops, the reporter
 * pushes). Reusing the warmest record first keeps the touched part of the
 * pool, and so the memory added to the process, as small as the number of
 * files open at once, not the number ever opened. */
static uint64_t free_head;
/* Each free record's successor on the stack (index + 1), apart from the
 * records: a claim reads one of these words, written by the reporter,
 * sixteen to a cache line, not a line of the record it pops. */
static uint32_t *free_next_of;
static struct ip_rec *closed_list;         /* atomic; pushed by wrappers */

void *ip_pages_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int ip_rec_pool_init(void)
{
    ip_rec_pool = ip_pages_map(IP_RECS_MAX * sizeof *ip_rec_pool);
    free_next_of = ip_pages_map(IP_RECS_MAX * sizeof *free_next_of);
    return ip_rec_pool && free_next_of ? 0 : -1;
}

uint32_t ip_rec_pool_used(void)
{
    uint32_t high = __atomic_load_n(&pool_high, __ATOMIC_ACQUIRE);
    return high < IP_RECS_MAX ? high : IP_RECS_MAX;
}

static uint32_t free_next(uint32_t index)
{
    return __atomic_load_n(&free_next_of[index], __ATOMIC_RELAXED);
}

/* The lines of a record that its claim and its file's open and close
 * write, asked for ahead with the intent to write: the reporter freed
 * the record, so they are in its core's cache, and fetching them while
 * the program goes on (its system calls take longer) takes them out of
 * the next open's way. A hint only: another thread may claim it first. */
static void record_prefetch(uint32_t slot)
{
    if (slot == 0)
        return;
    const struct ip_rec *f = &ip_rec_pool[slot - 1];
    const char *lines[] = { (const char *)f, (const char *)&f->live.opens,
                            (const char *)&f->live.duration_ns, (const char *)&f->long_path,
                            (const char *)&f->long_path + 64 };

    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        __asm__ volatile("prefetchw %0" ::"m"(*lines[i]));
}

/* The one under the record claimed is prefetched for the next claim. */
struct ip_rec *ip_rec_claim(void)
{
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);

    for (;;) {
        uint32_t top = (uint32_t)head;
        if (top == 0)
            break;
        uint64_t next = ((head >> 32) + 1) << 32 | free_next(top - 1);
        if (__atomic_compare_exchange_n(&free_head, &head, next, true,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&ip_rec_pool[top - 1].state, IP_REC_CLAIMED, __ATOMIC_RELAXED);
            record_prefetch((uint32_t)next);
            return &ip_rec_pool[top - 1];
        }
    }
    uint32_t fresh = __atomic_fetch_add(&pool_high, 1, __ATOMIC_ACQ_REL);
    if (fresh >= IP_RECS_MAX) {
        __atomic_store_n(&pool_high, IP_RECS_MAX, __ATOMIC_RELAXED);
        return NULL;
    }
    __atomic_store_n(&ip_rec_pool[fresh].state, IP_REC_CLAIMED, __ATOMIC_RELAXED);
    return &ip_rec_pool[fresh];
}

void ip_rec_free_chain_add(struct ip_rec_free_chain *c, struct ip_rec *f)
{
    uint32_t slot = ip_rec_slot(f);

    if (c->first)
        __atomic_store_n(&free_next_of[slot - 1], c->first, __ATOMIC_RELAXED);
    else
        c->last = slot;
    c->first = slot;
}

/* The chain's last record links to the stack's head; the head becomes
 * the chain's first. The tag changes as with any push, against ABA. */
void ip_rec_free_chain_push(struct ip_rec_free_chain *c)
{
    if (!c->first)
        return;
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);

    do {
        __atomic_store_n(&free_next_of[c->last - 1], (uint32_t)head, __ATOMIC_RELAXED);
    } while (!__atomic_compare_exchange_n(&free_head, &head,
                                          ((head >> 32) + 1) << 32 | c->first, true,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    c->first = c->last = 0;
}

/* A Treiber stack: the reporter only ever takes the whole list, so there
 * is no ABA. */
void ip_rec_closed_push(struct ip_rec *f)
{
    struct ip_rec *head = __atomic_load_n(&closed_list, __ATOMIC_RELAXED);
    do
        f->next_closed = head;
    while (!__atomic_compare_exchange_n(&closed_list, &head, f, true,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

struct ip_rec *ip_rec_closed_take(void)
{
    return __atomic_exchange_n(&closed_list, NULL, __ATOMIC_ACQUIRE);
}

void ip_rec_pool_forget(void)
{
    __atomic_store_n(&closed_list, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&free_head, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&pool_high, 0, __ATOMIC_RELEASE);
}
