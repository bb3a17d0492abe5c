/* epfix.c: a shared library with one slot of each kind elfpatch handles.
 * Built once per binding flavour (lazy, full RELRO, -fno-plt), next to a
 * test program built the same way. */
#include "epfix.h"

#include <unistd.h>

/* const and initialised with a function address: lands in .data.rel.ro,
 * which is read-only after relocation (RELRO) in every flavour. */
static pid_t (*const getpid_pointer)(void) = getpid;

int epfix_target(int x)
{
    return 2 * x + 1;
}

pid_t epfix_getpid(void)
{
    return getpid();
}

pid_t epfix_getpid_via_pointer(void)
{
    /* The volatile read keeps the compiler from folding the constant into
     * a direct call: the call must go through the relocated word. */
    pid_t (*fn)(void) = *(pid_t (*const volatile *)(void)) & getpid_pointer;
    return fn();
}
