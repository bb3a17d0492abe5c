/* ip_pushback.c: bytes pushed back with ungetc, counted once (see
 * ip_pushback.h). */
#include "ip_pushback.h"
#include "ip_unseen.h"

#include <stdatomic.h>
#include <stddef.h>

#define PUSHBACK_SLOTS 64

struct pushback {
    _Atomic(FILE *) f;
    atomic_uint bytes;
};

static struct pushback pushbacks[PUSHBACK_SLOTS];
static atomic_uint pushbacks_used;

static struct pushback *pushback_find(FILE *f)
{
    for (size_t i = 0; i < PUSHBACK_SLOTS; i++)
        if (atomic_load_explicit(&pushbacks[i].f, memory_order_acquire) == f)
            return &pushbacks[i];
    return NULL;
}

void ip_pushback_note(FILE *f)
{
    struct pushback *p = pushback_find(f);

    for (size_t i = 0; !p && i < PUSHBACK_SLOTS; i++) {
        FILE *none = NULL;
        if (atomic_compare_exchange_strong(&pushbacks[i].f, &none, f)) {
            p = &pushbacks[i];
            atomic_fetch_add(&pushbacks_used, 1);
        }
    }
    if (p)
        atomic_fetch_add(&p->bytes, 1);
    else
        ip_unseen_add(IP_UNSEEN_PUSHBACKS, 1);     /* its byte will count twice */
}

static void pushback_release(struct pushback *p)
{
    atomic_store(&p->bytes, 0);
    atomic_store_explicit(&p->f, NULL, memory_order_release);
    atomic_fetch_sub(&pushbacks_used, 1);
}

void ip_pushback_forget(FILE *f)
{
    if (atomic_load_explicit(&pushbacks_used, memory_order_relaxed) == 0)
        return;
    struct pushback *p = pushback_find(f);
    if (p)
        pushback_release(p);
}

ssize_t ip_pushback_less(FILE *f, ssize_t n)
{
    if (n <= 0 || atomic_load_explicit(&pushbacks_used, memory_order_relaxed) == 0)
        return n;
    struct pushback *p = pushback_find(f);
    if (!p)
        return n;
    unsigned pending = atomic_load(&p->bytes);
    if (pending == 0)               /* claimed, its byte not yet added */
        return n;
    unsigned again = (size_t)n < pending ? (unsigned)n : pending;
    if (again == pending)
        pushback_release(p);
    else
        atomic_fetch_sub(&p->bytes, again);
    return n - (ssize_t)again;
}

