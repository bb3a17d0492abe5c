/* ip_single_thread.c: give glibc back its single-threaded fast path at
 * detach.
 *
 * glibc (2.32 and later) keeps __libc_single_threaded: while it is true,
 * each cancellable call (write, read, send...) skips two atomic updates of
 * the thread's cancellation state, and malloc and libstdc++ skip their
 * atomics too. Creating our reporter thread clears it, and glibc never sets
 * it again. A program we detached from would run the slower path for the
 * rest of its life (a write(2) to /dev/null: about 5% here), which is not
 * "back exactly as it was".
 *
 * So attach notes whether the flag was true before our thread started, and
 * detach, once our thread is joined, sets it back only when that is true
 * again of the process:
 *   - it has one thread: the one running detach. With other threads it
 *     stays false, as glibc left it;
 *   - the program created no thread meanwhile (pthread_create and
 *     thrd_create are hooked): glibc would have left the flag false even
 *     after those threads ended;
 *   - nor called pthread_cancel (hooked). glibc clears the flag there too:
 *     a single-threaded program that cancels itself needs the slow path to
 *     act on the request at its next cancellation point;
 *   - glibc is a version whose every use of the flag was checked for this
 *     (VERIFIED_GLIBC). glibc's manual says applications must never write
 *     the flag: we set it back only to what it was, with one thread left,
 *     on versions where that was read in the code, and nowhere else.
 */
#include "ip.h"

#ifdef __GLIBC__
#include "rep_proc.h"

#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <gnu/libc-version.h>
#include <string.h>
#include <sys/single_threaded.h>

/* 2.36 tests the flag in 85 places: the cancellable calls, malloc,
 * pthread_mutex_lock, the set*id calls (which must reach every thread);
 * each one asks whether other threads exist, nothing more. pthread_create
 * and pthread_cancel clear it; only start-up sets it. */
static const char *const VERIFIED_GLIBC[] = { "2.36" };

static bool was_single;
static bool spoiled;                /* the program made or cancelled a thread */
static char *libc_flag;

/* The flag glibc's own functions test. A program that reads the flag
 * itself (libstdc++'s inline atomics do) holds a copy of it made by an
 * R_X86_64_COPY relocation, and that copy is what `__libc_single_threaded`
 * names here. pthread_create clears both; pthread_cancel only glibc's.
 * Looked up at attach: detach may run in a thread stopped inside the
 * loader, which must not be entered again. */
static char *libc_flag_find(void)
{
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    char *flag = libc ? dlsym(libc, "__libc_single_threaded") : NULL;

    if (libc)
        dlclose(libc);
    return flag ? flag : &__libc_single_threaded;
}

static bool glibc_verified(void)
{
    const char *version = gnu_get_libc_version();

    for (size_t i = 0; i < sizeof VERIFIED_GLIBC / sizeof VERIFIED_GLIBC[0]; i++)
        if (strcmp(version, VERIFIED_GLIBC[i]) == 0)
            return true;
    return false;
}

void ip_single_thread_note(void)
{
    was_single = glibc_verified() && __libc_single_threaded;
    if (was_single) {
        libc_flag = libc_flag_find();
        was_single = *libc_flag != 0;
    }
    __atomic_store_n(&spoiled, false, __ATOMIC_RELAXED);
}

void ip_single_thread_spoil(void)
{
    __atomic_store_n(&spoiled, true, __ATOMIC_RELAXED);
}

bool ip_single_thread_restore(void)
{
    /* our thread is gone from the process already (rep_stop) */
    if (!was_single || __atomic_load_n(&spoiled, __ATOMIC_RELAXED) ||
        rep_proc_status_field("Threads") != 1)
        return false;
    __libc_single_threaded = 1;
    *libc_flag = 1;
    return true;
}
#else
/* musl keeps no such flag: it takes its locks again from the first
 * pthread_create, and drops them by itself once the threads are back to
 * one (libc.need_locks), which our reporter's exit is. */
void ip_single_thread_note(void)
{
}

void ip_single_thread_spoil(void)
{
}

bool ip_single_thread_restore(void)
{
    return false;
}
#endif
