/* ip_wrap_dl.c: dlopen, dlsym and dlvsym.
 *
 * dlopen: an object loaded later is patched before the program can call
 * it, when that can be done without changing what the loader does. glibc
 * takes "the caller" from dlopen's return address: its namespace, its
 * RUNPATH/RPATH for a name without a slash, its directory for $ORIGIN. So
 * the wrapper (asm below) first asks ip_dlopen_direct whether the caller
 * matters:
 *   - a name with a slash and no '$', from an object of the base
 *     namespace: it does not. The real dlopen is called from here and the
 *     new objects are patched before it returns (ip_dlopen_patching):
 *     python's imports of extension modules, most plugin loaders;
 *   - anything else (a bare soname, $ORIGIN, a caller of another
 *     namespace, NULL): the wrapper is a bare jump to the real dlopen,
 *     which sees the program's return address and behaves exactly as
 *     without us. The new objects are patched at the program's next
 *     dlsym or dlvsym (through a handle: below), or by the reporter within
 *     ~10 ms, whichever is first.
 * Either way the calls the new objects' constructors make inside dlopen
 * are not observed.
 *
 * dlsym and dlvsym. A program that looks up a hooked function
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
#include <errno.h>
#include <link.h>
#include <string.h>

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

/* Objects loaded since the last patch (a dlopen that went straight to
 * the loader) are patched before a lookup through a handle returns what
 * the program will call. */
void *ip_dlsym_handle(void *handle, const char *name)
{
    if (ip_observing())
        ip_objects_patch_now();
    return wrapper_instead(name, ip_real_dlsym(handle, name));
}

void *ip_dlvsym_handle(void *handle, const char *name, const char *version)
{
    if (ip_observing())
        ip_objects_patch_now();
    return wrapper_instead(name, ip_real_dlvsym(handle, name, version));
}

bool ip_dlopen_direct(const char *file, const void *caller);
void *ip_dlopen_patching(const char *file, int mode);

/* Does dlopen(file) from caller load the same objects when called from
 * here? Only a path (a slash, no $ORIGIN or other token) from an object
 * of the base namespace. */
bool ip_dlopen_direct(const char *file, const void *caller)
{
    if (!file || !strchr(file, '/') || strchr(file, '$') || !ip_observing())
        return false;
#ifdef __GLIBC__
    Dl_info info;
    struct link_map *lm = NULL;
    Lmid_t lmid = LM_ID_NEWLM;
    int saved = errno;
    bool base = dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) != 0 && lm &&
                dlinfo(lm, RTLD_DI_LMID, &lmid) == 0 && lmid == LM_ID_BASE;
    errno = saved;
    return base;
#else
    /* musl has one namespace, and its dlopen never looks at the caller. */
    (void)caller;
    return true;
#endif
}

void *ip_dlopen_patching(const char *file, int mode)
{
    void *handle = ip_real_dlopen(file, mode);

    if (handle && !(mode & RTLD_NOLOAD))
        ip_objects_patch_now();
    return handle;
}

/* file (rdi) and mode (rsi) kept across the question; the caller's return
 * address is the question's second argument. The stack is aligned for the
 * call (8 on entry, 24 pushed). */
__asm__(".text\n"
        ".globl ip_wrap_dlopen\n"
        ".hidden ip_wrap_dlopen\n"
        ".type ip_wrap_dlopen,@function\n"
        "ip_wrap_dlopen:\n"
        "    endbr64\n"
        "    pushq %rdi\n"
        "    pushq %rsi\n"
        "    subq $8, %rsp\n"
        "    movq 24(%rsp), %rsi\n"
        "    call ip_dlopen_direct\n"
        "    addq $8, %rsp\n"
        "    popq %rsi\n"
        "    popq %rdi\n"
        "    testb %al, %al\n"
        "    jz 1f\n"
        "    jmp ip_dlopen_patching\n"
        "1:  jmp *ip_real_dlopen(%rip)\n"
        ".size ip_wrap_dlopen, .-ip_wrap_dlopen\n");

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
