/* inj_seccomp.c: reading a process's seccomp filters (see inj_seccomp.h). */
#include "inj_seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#define CAP_SYS_ADMIN_BIT 21

bool inj_seccomp_readable(void)
{
    char line[256];
    unsigned long long eff = 0;
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return false;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff:\t%llx", &eff) == 1)
            break;
    fclose(f);
    return (eff >> CAP_SYS_ADMIN_BIT) & 1;
}

/* What a filter's return does to the calling process, or NULL when it
 * does nothing worse than fail the call (ALLOW, ERRNO, LOG, and TRACE:
 * with no tracer asking for seccomp stops the call fails with ENOSYS). */
static const char *action_harm(unsigned ret)
{
    switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_TRACE:
        return NULL;
    case SECCOMP_RET_TRAP:
        return "raises SIGSYS";
    case SECCOMP_RET_USER_NOTIF:
        return "waits for a supervisor";
    default:
        return "kills";         /* KILL_PROCESS, KILL_THREAD, and any unknown */
    }
}

/* ---- what a filter returns for our calls ---------------------------------
 *
 * Every filter of a container runtime kills on a foreign architecture (a
 * 32-bit or x32 call), which scope never makes; what matters is what it
 * returns for an x86-64 system call. The program is run here for each
 * x86-64 call number, the architecture and number known, the arguments and
 * instruction pointer not: a jump that depends on them is followed both
 * ways. Programs only jump forward, so every path ends. */

#define NR_MAX 512                  /* above any x86-64 call number (462 in 6.x) */
#define STEPS_MAX 2000000           /* a program too tangled to follow */

struct val {
    bool known;
    uint32_t v;
};

struct state {
    struct val a, x, mem[BPF_MEMWORDS];
    uint32_t nr;
    long steps;
};

static struct val known(uint32_t v)
{
    return (struct val){true, v};
}

/* A 32-bit word of struct seccomp_data: the call number and the
 * architecture are known, the rest is not. */
static bool data_word(const struct state *s, uint32_t off, struct val *out)
{
    if (off == offsetof(struct seccomp_data, nr))
        *out = known(s->nr);
    else if (off == offsetof(struct seccomp_data, arch))
        *out = known(AUDIT_ARCH_X86_64);
    else if (off % 4 == 0 && off < sizeof(struct seccomp_data))
        *out = (struct val){false, 0};
    else
        return false;
    return true;
}

static bool alu(uint16_t op, struct val a, struct val b, struct val *out)
{
    if (!a.known || !b.known) {
        *out = (struct val){false, 0};
        return true;
    }
    uint32_t x = a.v, y = b.v;
    switch (op) {
    case BPF_ADD: *out = known(x + y); return true;
    case BPF_SUB: *out = known(x - y); return true;
    case BPF_MUL: *out = known(x * y); return true;
    case BPF_DIV: if (!y) return false; *out = known(x / y); return true;
    case BPF_MOD: if (!y) return false; *out = known(x % y); return true;
    case BPF_AND: *out = known(x & y); return true;
    case BPF_OR:  *out = known(x | y); return true;
    case BPF_XOR: *out = known(x ^ y); return true;
    case BPF_LSH: *out = known(y < 32 ? x << y : 0); return true;
    case BPF_RSH: *out = known(y < 32 ? x >> y : 0); return true;
    case BPF_NEG: *out = known(-x); return true;
    default: return false;
    }
}

/* -1 unknown, else whether the jump is taken. */
static int jump_taken(uint16_t op, struct val a, struct val b)
{
    if (!a.known || !b.known)
        return -1;
    switch (op) {
    case BPF_JEQ: return a.v == b.v;
    case BPF_JGT: return a.v > b.v;
    case BPF_JGE: return a.v >= b.v;
    case BPF_JSET: return (a.v & b.v) != 0;
    default: return -1;
    }
}

/* The harm a return can do from pc on, or NULL when no path does any. */
static const char *run(const struct sock_filter *code, long n, long pc, struct state s,
                       long *steps)
{
    for (; pc < n; pc++) {
        const struct sock_filter *i = &code[pc];
        struct val v, b = BPF_SRC(i->code) == BPF_X ? s.x : known(i->k);
        if (++*steps > STEPS_MAX)
            return "is too tangled to follow";
        switch (BPF_CLASS(i->code)) {
        case BPF_LD:
        case BPF_LDX:
            if (BPF_MODE(i->code) == BPF_IMM)
                v = known(i->k);
            else if (BPF_MODE(i->code) == BPF_MEM && i->k < BPF_MEMWORDS)
                v = s.mem[i->k];
            else if (BPF_MODE(i->code) == BPF_LEN)
                v = known(sizeof(struct seccomp_data));
            else if (BPF_CLASS(i->code) != BPF_LD || BPF_MODE(i->code) != BPF_ABS ||
                     BPF_SIZE(i->code) != BPF_W || !data_word(&s, i->k, &v))
                return "may kill (an instruction not understood)";
            if (BPF_CLASS(i->code) == BPF_LD)
                s.a = v;
            else
                s.x = v;
            break;
        case BPF_ST:
        case BPF_STX:
            if (i->k >= BPF_MEMWORDS)
                return "may kill (an instruction not understood)";
            s.mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? s.a : s.x;
            break;
        case BPF_ALU:
            if (!alu(BPF_OP(i->code), s.a, b, &s.a))
                return "may kill (a division by zero)";
            break;
        case BPF_JMP: {
            if (BPF_OP(i->code) == BPF_JA) {
                pc += (long)i->k;
                break;
            }
            int taken = jump_taken(BPF_OP(i->code), s.a, b);
            if (taken < 0) {
                const char *harm = run(code, n, pc + 1 + i->jt, s, steps);
                if (harm)
                    return harm;
                pc += i->jf;
            } else
                pc += taken ? i->jt : i->jf;
            break;
        }
        case BPF_RET:
            if (BPF_RVAL(i->code) == BPF_K)
                return action_harm(i->k);
            if (BPF_RVAL(i->code) == BPF_A && s.a.known)
                return action_harm(s.a.v);
            return "may kill (a computed return)";
        case BPF_MISC:
            if (BPF_MISCOP(i->code) == BPF_TAX)
                s.x = s.a;
            else
                s.a = s.x;
            break;
        default:
            return "may kill (an instruction not understood)";
        }
    }
    return "may kill (it runs off its end)";
}

/* The harm one filter can do to an x86-64 call, or NULL. */
static const char *program_harm(const struct sock_filter *code, long n)
{
    long steps = 0;

    for (uint32_t nr = 0; nr < NR_MAX; nr++) {
        struct state s;
        memset(&s, 0, sizeof s);
        s.nr = nr;
        const char *harm = run(code, n, 0, s, &steps);
        if (harm)
            return harm;
    }
    return NULL;
}

int inj_seccomp_harmless(pid_t tid, int nfilters, char *why, size_t len)
{
    for (int i = 0; i < nfilters; i++) {
        long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)i, NULL);
        struct sock_filter *code = n > 0 ? calloc((size_t)n, sizeof *code) : NULL;
        if (!code || ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)i, code) != n) {
            snprintf(why, len, "it runs under %d seccomp filter%s, which may kill it (SIGSYS) "
                     "for a system call scope would make in it, and filter %d cannot be read "
                     "(%s); scope leaves it alone", nfilters, nfilters == 1 ? "" : "s", i,
                     strerror(code || n < 0 ? errno : ENOMEM));
            free(code);
            return -1;
        }
        const char *harm = program_harm(code, n);
        free(code);
        if (harm) {
            snprintf(why, len, "it runs under %d seccomp filter%s, and filter %d %s on some "
                     "system call, which may be one scope would make in it (mmap, openat, "
                     "mprotect, clone, ...); scope leaves it alone", nfilters,
                     nfilters == 1 ? "" : "s", i, harm);
            return -1;
        }
    }
    return 0;
}
