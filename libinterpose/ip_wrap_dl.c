/* ip_wrap_dl.c: dlsym and dlvsym. A program that looks up a hooked function
 * by name (dlsym(RTLD_DEFAULT, "write"), or through a dlopen handle) gets
 * our wrapper, so that its calls through that pointer are observed too
 * (a pointer from dlsym never goes through a GOT slot we patched).
 *
 * glibc's dlsym finds "the caller" from its own return address: that is
 * what RTLD_NEXT means (the next definition after the object that asks). A
 * wrapper that called the real dlsym would become the caller, and an
 * interposer's RTLD_NEXT lookup of `write` would find its own `write` again
 * (under `scope run`, libscope sits before it), or nothing (under attach).
 * So:
 *   - RTLD_NEXT: the wrapper is a bare jump to the real function (the asm
 *     below): glibc sees the program's own return address and answers
 *     exactly as it would without us. That answer is not replaced; the
 *     program's calls to the interposer are observed anyway, through its
 *     patched GOT slots.
 *   - any other handle: the real function is called from here (a handle's
 *     lookup does not depend on who asks, and RTLD_DEFAULT is the global
 *     scope for every object of the main namespace), and a result that is
 *     the real function of a hooked name becomes its wrapper, while we are
 *     attached. After a detach the pointer the program kept still works:
 *     the library stays loaded and its wrappers pass calls through.
 */
#include "ip.h"
#include "ip_hooks.h"

#include <dlfcn.h>

void *ip_dlsym_handle(void *handle, const char *name);
void *ip_dlvsym_handle(void *handle, const char *name, const char *version);

/* The wrapper instead of `found` when the program looked up a hooked name
 * and got its real function. */
static void *wrapper_instead(const char *name, void *found)
{
    if (!found || !name || !ip_observing())
        return found;
    return ip_hooks_wrapper_of(name, found);
}

void *ip_dlsym_handle(void *handle, const char *name)
{
    return wrapper_instead(name, ip_real_dlsym(handle, name));
}

void *ip_dlvsym_handle(void *handle, const char *name, const char *version)
{
    return wrapper_instead(name, ip_real_dlvsym(handle, name, version));
}

/* handle is the first argument (rdi); RTLD_NEXT is (void *)-1. The return
 * address on the stack stays the program's for the real function. */
#define IP_DL_ENTRY(name)                                       \
    __asm__(".text\n"                                           \
            ".globl ip_wrap_" #name "\n"                        \
            ".hidden ip_wrap_" #name "\n"                       \
            ".type ip_wrap_" #name ",@function\n"               \
            "ip_wrap_" #name ":\n"                              \
            "    endbr64\n"                                     \
            "    cmpq $-1, %rdi\n"                              \
            "    je 1f\n"                                       \
            "    jmp ip_" #name "_handle\n"                     \
            "1:  jmp *ip_real_" #name "(%rip)\n"                \
            ".size ip_wrap_" #name ", .-ip_wrap_" #name "\n")

IP_DL_ENTRY(dlsym);
IP_DL_ENTRY(dlvsym);
