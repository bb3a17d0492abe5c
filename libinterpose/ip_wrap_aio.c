/* ip_wrap_aio.c: POSIX AIO. An aio_read or aio_write only queues the
 * transfer; its bytes are known when aio_return reports them, once per
 * request. So each queued request is remembered (its aiocb, and which
 * way it moves bytes) in a fixed table, no allocation, no lock, and
 * aio_return counts it on its file and forgets it. With the table full,
 * a request goes uncounted, and that is said (ip_unseen). */
#include "ip_call.h"
#include "ip_hooks.h"
#include "ip_unseen.h"

#include <aio.h>
#include <stdint.h>

#define AIO_PENDING 256

enum aio_dir { AIO_NONE, AIO_READ, AIO_WRITE };

struct pending {
    const struct aiocb *cb;         /* atomic; NULL: free */
    uint32_t dir;                   /* enum aio_dir, set before cb */
};

static struct pending pendings[AIO_PENDING];

static unsigned home_of(const struct aiocb *cb)
{
    uintptr_t h = (uintptr_t)cb;
    return (unsigned)((h >> 4) ^ (h >> 13)) % AIO_PENDING;
}

static void pending_note(const struct aiocb *cb, enum aio_dir dir)
{
    for (unsigned i = 0, at = home_of(cb); i < AIO_PENDING; i++, at = (at + 1) % AIO_PENDING) {
        const struct aiocb *none = NULL;
        if (__atomic_load_n(&pendings[at].cb, __ATOMIC_RELAXED) == NULL &&
            __atomic_compare_exchange_n(&pendings[at].cb, &none, cb, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            __atomic_store_n(&pendings[at].dir, dir, __ATOMIC_RELEASE);
            return;
        }
    }
    ip_unseen_add(IP_UNSEEN_AIO, 1);
}

/* Which way cb's request went, and it is forgotten; AIO_NONE: not ours. */
static enum aio_dir pending_take(const struct aiocb *cb)
{
    for (unsigned i = 0, at = home_of(cb); i < AIO_PENDING; i++, at = (at + 1) % AIO_PENDING) {
        if (__atomic_load_n(&pendings[at].cb, __ATOMIC_ACQUIRE) != cb)
            continue;
        enum aio_dir dir = __atomic_load_n(&pendings[at].dir, __ATOMIC_ACQUIRE);
        __atomic_store_n(&pendings[at].dir, AIO_NONE, __ATOMIC_RELAXED);
        __atomic_store_n(&pendings[at].cb, NULL, __ATOMIC_RELEASE);
        return dir;
    }
    return AIO_NONE;
}

/* A request not queued is a failed read or write of its file. */
static int queued(int rc, struct aiocb *cb, enum aio_dir dir)
{
    if (!ip_observing())
        return rc;
    if (rc == 0) {
        pending_note(cb, dir);
        return rc;
    }
    struct ip_call c;
    ip_call_begin_untimed(&c, cb->aio_fildes);
    if (dir == AIO_READ)
        ip_call_read_end(&c, -1);
    else
        ip_call_write_end(&c, cb->aio_fildes, NULL, -1);
    return rc;
}

/* The 64 forms' aiocb64 is aiocb on x86-64 (asserted below). */
_Static_assert(sizeof(struct aiocb64) == sizeof(struct aiocb), "aiocb64 is aiocb");

#define WRAP_AIO(name, cbtype, dir)                                      \
    int ip_wrap_##name(cbtype *cb)                                       \
    {                                                                    \
        return queued(ip_real_##name(cb), (struct aiocb *)cb, dir);      \
    }

WRAP_AIO(aio_read, struct aiocb, AIO_READ)
WRAP_AIO(aio_read64, struct aiocb64, AIO_READ)
WRAP_AIO(aio_write, struct aiocb, AIO_WRITE)
WRAP_AIO(aio_write64, struct aiocb64, AIO_WRITE)

/* lio_listio queues a list: each read and write in it is remembered when
 * the list was tried (EIO: some failed, which aio_return tells). */
#define WRAP_LIO(name, cbtype)                                           \
    int ip_wrap_##name(int mode, cbtype *const *list, int n, struct sigevent *sig) \
    {                                                                    \
        int rc = ip_real_##name(mode, list, n, sig);                     \
        if ((rc == 0 || errno == EIO || errno == EINTR) && ip_observing() && list) \
            for (int i = 0; i < n; i++)                                  \
                if (list[i] && (list[i]->aio_lio_opcode == LIO_READ ||   \
                                list[i]->aio_lio_opcode == LIO_WRITE))   \
                    pending_note((struct aiocb *)list[i],                \
                                 list[i]->aio_lio_opcode == LIO_READ ? AIO_READ \
                                                                         : AIO_WRITE); \
        return rc;                                                       \
    }

WRAP_LIO(lio_listio, struct aiocb)
WRAP_LIO(lio_listio64, struct aiocb64)

/* The request's result: its bytes, or its failure, on its file. */
#define WRAP_AIO_RETURN(name, cbtype)                                    \
    ssize_t ip_wrap_##name(cbtype *cb)                                   \
    {                                                                    \
        ssize_t rc = ip_real_##name(cb);                                 \
        enum aio_dir dir = cb ? pending_take((struct aiocb *)cb) : AIO_NONE; \
        if (dir == AIO_NONE || !ip_observing())                          \
            return rc;                                                   \
        struct ip_call c;                                                \
        ip_call_begin_untimed(&c, cb->aio_fildes);                       \
        if (dir == AIO_READ)                                             \
            ip_call_read_end(&c, rc);                                    \
        else                                                             \
            ip_call_write_end(&c, cb->aio_fildes, NULL, rc);             \
        return rc;                                                       \
    }

WRAP_AIO_RETURN(aio_return, struct aiocb)
WRAP_AIO_RETURN(aio_return64, struct aiocb64)
