/* ip_vfork.c: the vfork wrapper, and telling its child from its parent
 * (ip_vfork.h). */
#include "ip.h"
#include "ip_hooks.h"

#include <sys/syscall.h>
#include <unistd.h>

IP_TLS bool ip_vforking;

/* vfork returns twice on one stack: a C wrapper's frame would be popped by
 * the child and returned through by the parent. So the wrapper only marks
 * this thread and jumps to the real vfork, which returns straight to the
 * program in both processes. The mark is set with one store where the
 * variable is initial-exec (glibc), else by a call (vfork has no
 * arguments to keep; the call's frame is gone before the jump). */
#ifdef __GLIBC__
#define VFORK_MARK                                      \
    "    movq ip_vforking@gottpoff(%rip), %rax\n"       \
    "    movb $1, %fs:(%rax)\n"
#else
#define VFORK_MARK                                      \
    "    subq $8, %rsp\n"                               \
    "    call ip_vfork_mark\n"                          \
    "    addq $8, %rsp\n"
void ip_vfork_mark(void);

void ip_vfork_mark(void)
{
    ip_vforking = true;
}
#endif

__asm__(
    "    .text\n"
    "    .globl ip_wrap_vfork\n"
    "    .hidden ip_wrap_vfork\n"
    "    .type ip_wrap_vfork, @function\n"
    "ip_wrap_vfork:\n"
    VFORK_MARK
    "    jmp *ip_real_vfork(%rip)\n"
    "    .size ip_wrap_vfork, .-ip_wrap_vfork\n");

bool ip_in_vfork_child(void)
{
    return (pid_t)syscall(SYS_getpid) != ip_proc.pid;
}

bool ip_vfork_settle(void)
{
    if (ip_in_vfork_child())
        return false;
    ip_vforking = false;
    return true;
}
