/* seccomp_sleeper: a process under seccomp, for scope attach to refuse.
 *
 *   seccomp_sleeper filter   a filter that kills the process on mmap, then
 *                            sleeps until killed
 *   seccomp_sleeper strict   strict mode (read, write, exit only), then
 *                            reads one byte of stdin and exits 0
 *
 * Prints "ready" once the filter or mode is in place. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int kill_on_mmap(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

int main(int argc, char **argv)
{
    static const char ready[] = "ready\n";
    char c;

    if (argc > 1 && strcmp(argv[1], "strict") == 0) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) != 0)
            return perror("seccomp"), 2;
        /* Only read, write and exit from here on (exit_group is not one). */
        write(1, ready, sizeof ready - 1);
        read(0, &c, 1);
        syscall(SYS_exit, 0);
    }
    if (kill_on_mmap() != 0)
        return perror("seccomp"), 2;
    write(1, ready, sizeof ready - 1);
    for (;;) {
        struct timespec s = {60, 0};
        nanosleep(&s, NULL);
    }
}
