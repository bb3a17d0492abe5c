/* test_conformance.c: every row of ip_hooks.def, its wrapper called with
 * a stand-in for the real function.
 *
 * The preprocessor makes, from ip_hooks.def, a stub per hook that records
 * the arguments it got (as the eight integer registers of the x86-64 call:
 * every parameter of every hook is an integer or a pointer), sets errno
 * and returns what the test asks; every ip_real_<name> points to its stub.
 * The arguments are picked from each row's parameter list (its text), by
 * type and name: fds and streams that have records, paths, buffers. Each
 * hook is then called in four ways, each test in a child of its own:
 *   unobserved  not attached: the call passes straight through, nothing
 *               is counted;
 *   ok, fail    the stub succeeds, or fails with EIO: the wrapper returns
 *               exactly the stub's value and errno, and the right record
 *               (or the process-wide counts) changes as the hook's class
 *               says, and nothing else;
 *   untracked   the fds and streams have no record (stdout: the console):
 *               nothing is counted but what the class says.
 * In every case the stub (or the one real function the wrapper is
 * documented to use instead: printf calls vfprintf) is called exactly once,
 * with every argument as given; variadic arguments are checked by what
 * they mean: open's mode, fcntl's word, printf's formatted text, execl's
 * list as an argv.
 *
 * A row of ip_hooks.def with no class in conform_classes.c fails the suite;
 * one without a wrapper fails the link; one whose parameters disagree with
 * libc's declaration fails the build (sigcheck.c).
 */
#include <sys/eventfd.h>

#include "ip_call.h"
#include "ip_dns.h"
#include "ip_hooks.h"
#include "ip_sock.h"
#include "check_suite.h"
#include "conform.h"

#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long call_fn(long, long, long, long, long, long, long, long);

enum {
#define IP_HOOK(ret, name, params) HOOK_##name,
#include "ip_hooks.def"
#undef IP_HOOK
    HOOKS
};

/* ---- the stubs ------------------------------------------------------------- */

static struct {
    int hook;                   /* which stub was called */
    long arg[ARGS];
    char text[128];             /* a va_list formatted with its fmt */
    char *argv[4];              /* an argv, which may live on the wrapper's stack */
} called;
static int ncalls;
static long stub_ret;
static int stub_errno;
static sigjmp_buf exit_jump;

static long stub_called(int hook, const long *a);

#define IP_HOOK(ret, name, params)                                              \
    static long stub_##name(long a0, long a1, long a2, long a3, long a4, long a5, \
                            long a6, long a7)                                  \
    {                                                                           \
        const long a[ARGS] = { a0, a1, a2, a3, a4, a5, a6, a7 };                \
        return stub_called(HOOK_##name, a);                                     \
    }
#include "ip_hooks.def"
#undef IP_HOOK

struct hook {
    const char *name, *ret, *params;
    void **real;
    void *wrapper, *stub;
};

static const struct hook hooks[HOOKS] = {
#define IP_HOOK(ret, fn, params) \
    { #fn, #ret, #params, (void **)&ip_real_##fn, (void *)ip_wrap_##fn, (void *)stub_##fn },
#include "ip_hooks.def"
#undef IP_HOOK
};

/* ---- what each hook reaches ------------------------------------------------------ */

/* Wrappers documented to reach another real function than their own. */
static const struct { const char *name, *real; } delegates[] = {
    { "printf", "vfprintf" }, { "fprintf", "vfprintf" }, { "vprintf", "vfprintf" },
    { "__printf_chk", "__vfprintf_chk" }, { "__fprintf_chk", "__vfprintf_chk" },
    { "__vprintf_chk", "__vfprintf_chk" }, { "execv", "execve" }, { "execl", "execve" },
    { "execle", "execve" }, { "execvp", "execvpe" }, { "execlp", "execvpe" },
    { "dprintf", "vdprintf" }, { "__dprintf_chk", "__vdprintf_chk" },
    { "fscanf", "vfscanf" }, { "scanf", "vfscanf" }, { "vscanf", "vfscanf" },
    { "__isoc99_fscanf", "__isoc99_vfscanf" }, { "__isoc99_scanf", "__isoc99_vfscanf" },
    { "__isoc99_vscanf", "__isoc99_vfscanf" },
};

static int hook_index(const char *name)
{
    for (int i = 0; i < HOOKS; i++)
        if (strcmp(hooks[i].name, name) == 0)
            return i;
    return -1;
}

static int class_of(int h)
{
    for (size_t i = 0; i < conform_nclasses; i++)
        if (strcmp(conform_classes[i].name, hooks[h].name) == 0)
            return (int)conform_classes[i].cls;
    return -1;
}

static int real_of(int h)
{
    for (size_t i = 0; i < sizeof delegates / sizeof delegates[0]; i++)
        if (strcmp(delegates[i].name, hooks[h].name) == 0)
            return hook_index(delegates[i].real);
    return h;
}

/* The stub of a va_list taking function formats it while it lives. */
static long stub_called(int hook, const long *a)
{
    struct params ps;

    ncalls++;
    called.hook = hook;
    memcpy(called.arg, a, sizeof called.arg);
    called.text[0] = '\0';
    params_parse(hooks[hook].params, &ps);
    int fmt = param_find(&ps, "fmt"), ap = param_find(&ps, "ap"), argv = param_find(&ps, "argv");
    for (int i = 0; argv >= 0 && i < 4; i++)
        if (!(called.argv[i] = ((char **)a[argv])[i]))
            break;
    if (fmt >= 0 && ap >= 0) {
        va_list copy;
        va_copy(copy, *(va_list *)(void *)a[ap]);
        vsnprintf(called.text, sizeof called.text, (const char *)a[fmt], copy);
        va_end(copy);
    }
    if (hook == HOOK__exit || hook == HOOK__Exit)
        siglongjmp(exit_jump, 1);
    errno = stub_errno;
    return stub_ret;
}

/* ---- the world a call sees -------------------------------------------------------- */

static const char *const scenario_names[] = { "unobserved", "ok", "fail", "untracked" };

static FILE *stream_a, *stream_a_err, *stream_u, *stream_new;
static struct ip_rec_ref ref_a, ref_b, ref_one;
static char scratch[ARGS][4096];
static char text_line[64] = "hello\n";
static struct mmsghdr mmsg[2];
static int sv[2] = { FD_C, FD_D };
static struct addrinfo *no_ai;
static struct hostent *no_he, zero_he;
static char *argv_given[] = { "prog", "one", NULL };
static char *envp_given[] = { "A=1", NULL };
static const char PRINTF_FMT[] = "n=%d s=%s", PRINTF_TEXT[] = "n=42 s=x";
static void dummy_fn(int sig) { (void)sig; }

/* A and B get /dev/null (a file of their records); U and U2 an eventfd,
 * which the library, learning an unknown fd at its first use, finds to be
 * nothing to count (as a pipe or the console). */
static void fd_at(int fd)
{
    int real = fd == FD_U || fd == FD_U2 ? eventfd(0, 0) : open("/dev/null", O_RDWR);
    ck_assert_int_ge(real, 0);
    ck_assert_int_eq(dup2(real, fd), fd);
    close(real);
}

static struct ip_rec_ref record_for(int fd, const char *path)
{
    ck_assert_ptr_nonnull(ip_rec_file_opened(fd, AT_FDCWD, path, 0));
    return ip_rec_of_fd(fd, false);
}

static void world_setup(enum scenario s)
{
    extern void ip_ticks_calibrate_start(void);

    ck_assert_int_eq(ip_threads_init(), 0);
    ck_assert_int_eq(ip_files_init(), 0);
    ip_proc.pid = getpid();
    ip_ticks_calibrate_start();
    for (size_t i = 0; i < WATCHED; i++)
        if (watched[i] != 1)
            fd_at(watched[i]);
    stream_a = fdopen(FD_A, "r+");
    stream_a_err = fdopen(FD_A, "w");
    stream_u = fdopen(FD_U, "r+");
    stream_new = fdopen(FD_NEW, "r+");
    ck_assert(stream_a && stream_a_err && stream_u && stream_new);
    /* a real read on a write-only stream: its error flag is set */
    ck_assert_int_eq(fgetc(stream_a_err), EOF);
    ck_assert(ferror(stream_a_err));
    ip_proc.active = true;          /* records are made as by a wrapper */
    ref_a = record_for(FD_A, "/conformance/a");
    ref_b = record_for(FD_B, "/conformance/b");
    if (s != S_UNTRACKED)
        ref_one = record_for(1, "/conformance/stdout");
    ip_proc.active = s != S_UNOBSERVED;
    mmsg[0].msg_len = 10;
    mmsg[1].msg_len = 20;
    for (int i = 0; i < HOOKS; i++)
        *hooks[i].real = hooks[i].stub;
}

/* ---- the arguments of a call ------------------------------------------------------ */

static bool is_fd_name(const char *n)
{
    return !strcmp(n, "fd") || !strcmp(n, "in_fd") || !strcmp(n, "first") || !strcmp(n, "last");
}

/* The value of parameter i of hook h in scenario s; false: no rule for it. */
static bool arg_value(const struct param *p, int i, enum scenario s, long *v)
{
    bool tracked = s != S_UNTRACKED;

    if (p->kind == P_FUNC) {
        *v = (long)(void *)dummy_fn;
    } else if (p->kind == P_INT) {
        if (!p->width)
            return false;
        *v = is_fd_name(p->name) ? (tracked ? FD_A : FD_U)
             : !strcmp(p->name, "out_fd") ? (tracked ? FD_B : FD_U2)
             : !strcmp(p->name, "fd2") ? FD_NEW
             : strstr(p->name, "dirfd") ? FD_DIR
             : !strcmp(p->name, "flags") ? O_CREAT      /* open reads its mode */
             : !strcmp(p->name, "cmd") ? F_DUPFD_CLOEXEC
             : !strcmp(p->name, "mode") ? 0640
             : !strcmp(p->name, "whence") ? SEEK_END
             : !strcmp(p->name, "number") ? SYS_write       /* syscall(): counted */
             : !strcmp(p->name, "size") ? 3
             : !strcmp(p->name, "n") || !strcmp(p->name, "iovcnt") ? 2
             : 0x1100 + i;                               /* told apart by position */
    } else if (!strcmp(p->type, "FILE *")) {
        *v = (long)(!tracked ? stream_u : s == S_FAIL ? stream_a_err : stream_a);
    } else if (!strcmp(p->type, "const char *")) {
        static char names[ARGS][48];
        if (!strcmp(p->name, "fmt"))
            return false;                               /* the printf rule's */
        if (!strcmp(p->name, "mode"))
            snprintf(names[i], sizeof names[i], "r+");
        else if (!strcmp(p->name, "s"))
            snprintf(names[i], sizeof names[i], "hello");
        else
            snprintf(names[i], sizeof names[i], "/conformance/%s", p->name);
        *v = (long)names[i];
    } else if (!strcmp(p->name, "argv")) {
        *v = (long)argv_given;
    } else if (!strcmp(p->name, "envp")) {
        *v = (long)envp_given;
    } else if (!strcmp(p->name, "template")) {
        static char template[] = "/conformance/path";   /* mkstemp's, as filled in */
        *v = (long)template;
    } else if (!strcmp(p->type, "char *") && !strcmp(p->name, "s")) {
        *v = (long)text_line;
    } else if (!strcmp(p->type, "struct mmsghdr *")) {
        *v = (long)mmsg;
    } else if (!strcmp(p->name, "sv")) {
        *v = (long)sv;
    } else if (!strcmp(p->type, "struct addrinfo **")) {
        *v = (long)&no_ai;
    } else if (!strcmp(p->type, "struct hostent **")) {
        *v = (long)&no_he;
    } else if (p->kind == P_PTR) {
        *v = (long)scratch[i];                          /* zeroed, its own */
    } else {
        return false;                                   /* va_list: the caller's */
    }
    return true;
}

/* What a variadic hook is given after its fixed parameters, by the last
 * of those: open's mode, fcntl's word, printf's values, execl's list. */
struct extras {
    long v[6];
    int n;
    enum { X_MODE, X_WORD, X_PRINTF, X_LIST, X_SYSCALL } what;
};

static bool variadic_extras(const struct params *ps, struct extras *x)
{
    const char *last = ps->p[ps->n - 1].name;

    if (!strcmp(last, "flags"))
        *x = (struct extras){ { 0640 }, 1, X_MODE };
    else if (!strcmp(last, "cmd"))
        *x = (struct extras){ { 0x2222 }, 1, X_WORD };
    else if (!strcmp(last, "fmt"))
        *x = (struct extras){ { 42, (long)"x" }, 2, X_PRINTF };
    else if (!strcmp(last, "number"))       /* write(A, buf, n) and three more words */
        *x = (struct extras){ { FD_A, (long)scratch[6], 7, 0x2224, 0x2225, 0x2226 }, 6, X_SYSCALL };
    else if (!strcmp(last, "arg0"))
        *x = (struct extras){ { (long)"one", 0, (long)envp_given }, 3, X_LIST };
    else
        return false;
    return true;
}

/* A va_list-taking hook is called from here, with this function's list. */
static long call_with_list(void *fn, long *a, int at, ...)
{
    va_list ap;

    va_start(ap, at);
    a[at] = (long)(void *)ap;
    long rc = ((call_fn *)fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    va_end(ap);
    return rc;
}

/* ---- counts before and after (conform_counts.c says what they should be) ---- */

/* The sampled durations are not compared. */
static void sampled_clear(struct rep_io_counts *c)
{
    c->duration_ops = c->duration_ns = 0;
    c->read_timed_ops = c->read_timed_ns = 0;
    c->write_timed_ops = c->write_timed_ns = 0;
}

static void counts_of(struct ip_rec_ref ref, struct rep_io_counts *out)
{
    memset(out, 0, sizeof *out);
    if (ref.file)
        ip_tally_totals(ref, out);
    sampled_clear(out);
}

static void snap_take(struct snap *s)
{
    counts_of(ref_a, &s->a);
    counts_of(ref_b, &s->b);
    counts_of(ref_one, &s->one);
    s->orphan = ip_files_orphan;
    s->net_orphan = ip_net_orphan;
    sampled_clear(&s->orphan);
    s->dns = ip_dns.requests;
    for (size_t i = 0; i < WATCHED; i++)
        s->key[i] = ip_fd_map[watched[i]];
}

/* What the stub returns for a success. */
static long class_ok(enum cls c, const char *ret)
{
    switch (c) {
    case C_OPEN: case C_DUP: case C_SOCKET: case C_ACCEPT: return FD_NEW;
    case C_FOPEN: case C_FREOPEN: case C_TMPFILE: return (long)stream_new;
    case C_FGETS: return (long)text_line;
    case C_FPUTS: return 1;
    case C_FPUTC: case C_PUTCHAR: case C_FGETC: case C_PEEK: return 'x';
    case C_SCANF: return 1;                             /* items */
    case C_FREAD: case C_FWRITE: return 4;
    case C_MMSG_SEND: case C_MMSG_RECV: return 2;
    case C_GETLINE: return 9;
    case C_PRINTF: case C_PRINTF_OUT: return 8;
    case C_READ: case C_WRITE: case C_SENDFILE: case C_TEE: return 7;
    case C_NONE: case C_EXIT: case C_DNS:
        if (!strcmp(ret, "pid_t"))
            return 4321;
        if (!strcmp(ret, "sighandler_t"))
            return (long)(void *)dummy_fn;
        if (strchr(ret, '*'))
            return !strcmp(ret, "struct hostent *") ? (long)&zero_he : (long)scratch[7];
        return c == C_DNS ? 0 : 0x33;
    default: return 0;
    }
}

static long class_fail(const char *ret)
{
    return strchr(ret, '*') || !strcmp(ret, "size_t") ? 0 : -1;
}

/* ---- the call, and what reached the stub -------------------------------------------- */

/* An argv the execl family built: arg0, then the list up to its NULL. */
static void list_check(const char *ctx, long arg0, const struct extras *x)
{
    char *const *argv = called.argv;

    ck_assert_msg(argv[0] == (char *)arg0 && argv[1] == (char *)x->v[0] && !argv[2],
                  "%s: the list did not become argv", ctx);
}

/* Parameter i of the real function reached (r) got what the call (h) gave:
 * by position for the hook's own stub, by name for a delegate. */
static void arg_check(const char *ctx, int h, const struct params *hp, const long *given,
                      const struct extras *x, int r, const struct params *rp, int i)
{
    const struct param *p = &rp->p[i];
    long got = called.arg[i];
    int at = h == r ? i : param_find(hp, p->name);

    if (p->kind == P_VALIST) {
        ck_assert_msg(!strcmp(called.text, PRINTF_TEXT), "%s: formatted \"%s\", want \"%s\"",
                      ctx, called.text, PRINTF_TEXT);
    } else if (at >= 0) {
        ck_assert_msg(masked(got, p->width) == masked(given[at], p->width),
                      "%s: argument %s is %#lx, given %#lx", ctx, p->name, got, given[at]);
    } else if (!strcmp(p->name, "f")) {
        FILE *std = strstr(hooks[h].name, "scanf") ? stdin : stdout;
        ck_assert_msg(got == (long)std, "%s: the stream is not the standard one", ctx);
    } else if (!strcmp(p->name, "argv")) {
        list_check(ctx, given[param_find(hp, "arg0")], x);
    } else if (!strcmp(p->name, "envp")) {
        extern char **environ;
        bool le = !strcmp(hooks[h].name, "execle");
        ck_assert_msg(got == (le ? x->v[2] : (long)environ), "%s: wrong envp", ctx);
    } else {
        ck_abort_msg("%s: no rule for %s's parameter %s", ctx, hooks[r].name, p->name);
    }
}

static void extras_check(const char *ctx, const struct params *hp, const struct extras *x)
{
    int n = x->what == X_SYSCALL ? x->n : x->what == X_MODE || x->what == X_WORD ? 1 : 0;

    for (int i = 0; i < n; i++)
        ck_assert_msg(called.arg[hp->n + i] == x->v[i], "%s: variadic argument %d is %#lx, "
                      "given %#lx", ctx, i, called.arg[hp->n + i], x->v[i]);
}

/* The call; true if it ended in the stub of _exit (which jumps back). */
__attribute__((noinline)) static bool wrapper_call(int h, long *given, int valist, long *rc)
{
    errno = 0;
    if (sigsetjmp(exit_jump, 1) != 0)
        return true;
    if (valist >= 0)
        *rc = call_with_list(hooks[h].wrapper, given, valist, 42, "x");
    else
        *rc = ((call_fn *)hooks[h].wrapper)(given[0], given[1], given[2], given[3], given[4],
                                           given[5], given[6], given[7]);
    return false;
}

static long ret_masked(const char *ret, long v)
{
    return !strcmp(ret, "int") || !strcmp(ret, "pid_t") ? (long)(int)v : v;
}

static void hook_run(int h, enum scenario s)
{
    char ctx[96];
    struct params hp, rp;
    struct extras x = { .n = 0 };
    long given[ARGS] = { 0 };
    int cls = class_of(h), r = real_of(h), nfixed, valist = -1;
    struct snap before, after, want;

    snprintf(ctx, sizeof ctx, "%s (%s)", hooks[h].name, scenario_names[s]);
    ck_assert_msg(cls >= 0, "%s: no class in the conformance table", ctx);
    params_parse(hooks[h].params, &hp);
    params_parse(hooks[r].params, &rp);
    world_setup(s);
    for (int i = 0; i < hp.n; i++) {
        if (hp.p[i].kind == P_VALIST)
            valist = i;
        else if (!strcmp(hp.p[i].name, "fmt"))
            given[i] = (long)PRINTF_FMT;
        else
            ck_assert_msg(arg_value(&hp.p[i], i, s, &given[i]), "%s: no value for %s %s",
                          ctx, hp.p[i].type, hp.p[i].name);
    }
    nfixed = hp.n;
    if (hp.variadic) {
        ck_assert_msg(variadic_extras(&hp, &x), "%s: no rule for its variadic arguments", ctx);
        for (int i = 0; i < x.n; i++)
            given[nfixed + i] = x.v[i];
    }
    stub_ret = s == S_FAIL ? class_fail(hooks[h].ret) : class_ok(cls, hooks[h].ret);
    stub_errno = s == S_FAIL ? EIO : 4242;
    snap_take(&before);
    want = before;
    want_of(cls, s, &want);

    long rc = 0;
    bool exited = wrapper_call(h, given, valist, &rc);
    int err = errno;

    ck_assert_msg(ncalls == 1, "%s: the real function was called %d times", ctx, ncalls);
    ck_assert_msg(called.hook == r, "%s: reached %s, not %s", ctx, hooks[called.hook].name,
                  hooks[r].name);
    for (int i = 0; i < rp.n; i++)
        arg_check(ctx, h, &hp, given, &x, r, &rp, i);
    if (h == r && hp.variadic)
        extras_check(ctx, &hp, &x);
    ck_assert_msg(exited == (cls == C_EXIT), "%s: returned from the real _exit", ctx);
    if (!exited && strcmp(hooks[h].ret, "void") != 0)
        ck_assert_msg(ret_masked(hooks[h].ret, rc) == ret_masked(hooks[h].ret, stub_ret),
                      "%s: returned %#lx, the real function %#lx", ctx, rc, stub_ret);
    if (!exited)
        ck_assert_msg(err == stub_errno, "%s: errno %d, the real function left %d", ctx,
                      err, stub_errno);
    snap_take(&after);
    snap_check(&after, &want, ctx);
}

/* Which scenarios a hook has: a void function cannot fail, and one that
 * names no fd or stream (stdout: the console) has no untracked case. */
static bool scenario_applies(int h, enum scenario s)
{
    struct params hp;
    int cls = class_of(h);

    params_parse(hooks[h].params, &hp);
    if (s == S_FAIL)
        return strcmp(hooks[h].ret, "void") != 0;
    if (s != S_UNTRACKED)
        return true;
    if (cls == C_PUTS || cls == C_PUTCHAR || cls == C_PRINTF_OUT)
        return true;
    for (int i = 0; i < hp.n; i++)
        if (is_fd_name(hp.p[i].name) || !strcmp(hp.p[i].type, "FILE *"))
            return true;
    return false;
}

START_TEST(test_hook)
{
    int h = _i / SCENARIOS;
    enum scenario s = (enum scenario)(_i % SCENARIOS);

    if (scenario_applies(h, s))
        hook_run(h, s);
}
END_TEST

START_TEST(test_every_hook_has_a_class)
{
    for (int h = 0; h < HOOKS; h++)
        ck_assert_msg(class_of(h) >= 0, "%s has no row in the conformance table", hooks[h].name);
    for (size_t i = 0; i < conform_nclasses; i++)
        ck_assert_msg(hook_index(conform_classes[i].name) >= 0, "%s is hooked no more",
                      conform_classes[i].name);
}
END_TEST

/* Every hooked name is a function of this libc: by its default version,
 * or, for what only binaries built against an older glibc call, by the
 * version they were linked against; or of a TLS library whose plaintext
 * the tap takes (Debian's curl, wget and python3 bring them). */
static const char *const compat_only[] = { "__xstat", "__xstat64", "__lxstat", "__lxstat64",
                                           "__fxstat", "__fxstat64", "__fxstatat",
                                           "__fxstatat64" };

static const char *const tls_libraries[] = { "libssl.so.3", "libgnutls.so.30" };

START_TEST(test_every_hook_is_in_libc)
{
    for (size_t i = 0; i < sizeof tls_libraries / sizeof tls_libraries[0]; i++)
        ck_assert_msg(dlopen(tls_libraries[i], RTLD_NOW | RTLD_GLOBAL) != NULL, "%s: %s",
                      tls_libraries[i], dlerror());
    for (int h = 0; h < HOOKS; h++) {
        void *fn = dlsym(RTLD_DEFAULT, hooks[h].name);
        for (size_t i = 0; !fn && i < sizeof compat_only / sizeof compat_only[0]; i++)
            if (!strcmp(compat_only[i], hooks[h].name))
                fn = dlvsym(RTLD_DEFAULT, hooks[h].name, "GLIBC_2.2.5");
        ck_assert_msg(fn != NULL, "%s: no such function in libc", hooks[h].name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("hooks");

    tcase_add_test(tc, test_every_hook_has_a_class);
    tcase_add_test(tc, test_every_hook_is_in_libc);
    tcase_add_loop_test(tc, test_hook, 0, HOOKS * SCENARIOS);
    suite_add_tcase(s, tc);
    return check_suite_run(s);
}
