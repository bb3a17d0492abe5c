/* ip_lib.c: libscope's life: load, attach, fork, exec, exit, detach. */
#include "ip.h"
#include "ip_dns.h"
#include "ip_fdroom.h"
#include "ip_hooks.h"
#include "ip_handed.h"
#include "ip_hostpid.h"
#include "ip_macros.h"
#include "ip_sock.h"
#include "ip_unseen.h"
#include "ip_tap.h"
#include "ip_term.h"
#include "scope_ctl.h"
#include "rep_log.h"

#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define IP_EXEC_FLUSH_MS 1000

struct ip_proc ip_proc;
static struct ep_log patch_log;
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
/* Threads inside a flush (exec, _exit) that use ip_proc.rep: detach waits
 * for them before it frees the reporter. */
static uint32_t flushers;
struct scope_ctl_status scope_ctl_status IP_EXPORT;

static void status_text_set(char *dst, size_t cap, const char *src);

/* Our own trouble: in the log, and under `scope attach` in the status,
 * which the CLI reads back. Never on the program's stderr: it is the
 * program's, and what went wrong is ours. */
static void ip_trouble(const char *what)
{
    rep_log(REP_LOG_WARNING, "%s", what);
    if (scope_ctl_status.how == SCOPE_CTL_HOW_ATTACH)
        status_text_set(scope_ctl_status.error, sizeof scope_ctl_status.error, what);
}

/* A configuration error the operator must see: as ip_trouble, and under
 * `scope run` also on the program's stderr, where the operator who
 * started it looks (a live program's stderr is not ours to write). */
static void ip_complain(const char *what)
{
    char line[1200];

    ip_trouble(what);
    if (scope_ctl_status.how == SCOPE_CTL_HOW_ATTACH)
        return;
    int n = snprintf(line, sizeof line, "scope: %s\n", what);
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- identity ----------------------------------------------------------- */

/* A forked child may be near its fd limit: then the name alone. */
static void cmdline_read(char *out, size_t cap)
{
    int fd = ip_fd_room(1) ? open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC) : -1;
    ssize_t n = fd >= 0 ? read(fd, out, cap - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0) {
        snprintf(out, cap, "%s", program_invocation_name);
        return;
    }
    while (n > 0 && out[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (out[i] == '\0')
            out[i] = ' ';
    out[n] = '\0';
}

static void ident_fill(struct rep_ident *id)
{
    uint64_t channel;

    memset(id, 0, sizeof *id);
    id->pid = (int)getpid();
    id->host_pid = ip_proc.cfg.host_pid;       /* what scope attach said */
    snprintf(id->container_id, sizeof id->container_id, "%s", ip_proc.cfg.container_id);
    snprintf(id->proc, sizeof id->proc, "%s", program_invocation_short_name);
    cmdline_read(id->cmd, sizeof id->cmd);
    if (gethostname(id->host, sizeof id->host - 1) != 0)
        snprintf(id->host, sizeof id->host, "unknown");
    if (getrandom(&channel, sizeof channel, GRND_NONBLOCK) != sizeof channel)
        channel = (uint64_t)id->pid * 2654435761u ^ (uint64_t)ip_wall_ns();
    snprintf(id->channel, sizeof id->channel, "%llu",
             (unsigned long long)(channel % 100000000000000ULL));
}

/* ---- what the reporter pulls ------------------------------------------- */

static void source_thread_enter(void *ctx)
{
    ip_tls.ours = true;
    ip_threads_barrier_prepare();
}

static void objects_check(void);

static void source_drain(void *ctx, struct rep *r)
{
    static int64_t cuts_reported_ns;    /* events cut by the limit: once a second */
    int64_t now = ip_now_ns();

    if (now - cuts_reported_ns >= 1000000000) {
        ip_events_cut_report(r);
        cuts_reported_ns = now;
    }
    ip_ticks_recalibrate();
    ip_threads_drain(r);
    ip_tap_drain(r);
    ip_files_reap(r);
    objects_check();
}

static void source_collect(void *ctx, struct rep *r)
{
    ip_files_collect(r);
    ip_sock_orphan_collect(r);
    ip_dns_collect(r);
    ip_tap_collect(r);
    rep_drops_add(r, ip_threads_take_dropped() + ip_events_take_nested_drops());
    ip_events_cut_report(r);
    ip_unseen_report(r);
}

static const struct rep_source ip_source = {
    .ctx = NULL,
    .thread_enter = source_thread_enter,
    .drain = source_drain,
    .collect = source_collect,
};

/* ---- attach and detach --------------------------------------------------- */

/* Status strings are read by the CLI; longer ones are cut, on purpose. */
static void status_text_set(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void status_error(const char *why)
{
    status_text_set(scope_ctl_status.error, sizeof scope_ctl_status.error, why);
}

/* The hooks whose real function exists, resolved once per attach: a
 * later patch (after a dlopen, in the program's thread) must not call
 * dlsym, whose failures would leave a message for the program's dlerror. */
static struct ep_hook *hooks_usable;
static size_t hooks_nusable;
static int hooks_missing;           /* names no loaded object had */

static int hooks_resolve(void)
{
    if (!hooks_usable)
        hooks_usable = calloc(ip_hook_count, sizeof *hooks_usable);
    if (!hooks_usable)
        return -ENOMEM;
    hooks_missing = ip_hooks_resolve(hooks_usable, &hooks_nusable);
    ip_tls_resolve();
    return 0;
}

static int hooks_install(void)
{
    struct ep_scope self = { .self = (const void *)hooks_install };

    int rc = hooks_usable ? ep_patch_loaded(hooks_usable, hooks_nusable, &self, &patch_log)
                          : -ENOMEM;
    for (size_t i = 0; i < patch_log.count && !ip_macros_used; i++)
        ip_macros_note_patched(hooks_usable[patch_log.patches[i].hook].name);
    if (rc < 0) {
        char msg[sizeof scope_ctl_status.error];
        snprintf(msg, sizeof msg, "patching the GOT failed: %s; I/O of some "
                 "objects is not observed", strerror(-rc));
        ip_trouble(msg);
    }
    return rc;
}

/* ---- objects loaded later ------------------------------------------------- */

/* dlpi_adds: how many objects the loader has loaded so far. */
static int loads_read(struct dl_phdr_info *info, size_t size, void *arg)
{
    *(unsigned long long *)arg = info->dlpi_adds;
    return 1;
}

static unsigned long long loads_now(void)
{
    unsigned long long adds = 0;
    dl_iterate_phdr(loads_read, &adds);
    return adds;
}

/* dlpi_adds counts an object once it is mapped, before the loader has
 * relocated it: the reporter's walk may come in between, find its slots
 * not yet filled and leave them. So two marks: loads_patched, dlpi_adds
 * at the reporter's last walk, and loads_settled, at the last walk made
 * from a program thread after its dlopen returned (or at attach), when
 * what it loaded is relocated. */
static unsigned long long loads_patched, loads_settled;
static unsigned long long loads_resolved;  /* reporter: dlpi_adds at its last lookup */

/* How long a program thread waits for a patch under way (the reporter's
 * takes a millisecond or two, far more on a loaded machine) before
 * leaving the new objects to it. */
#define IP_PATCH_WAIT_MS 500

/* The control lock within wait_ms, or false. Never waited for without a
 * bound: a dlopen from a constructor runs under the loader's lock, which
 * a patch holding ours (the reporter's) may be waiting for. */
static bool ctl_lock_within(unsigned wait_ms)
{
    struct timespec step = { 0, 100000 };

    for (unsigned waited = 0; pthread_mutex_trylock(&ctl_lock) != 0; waited++) {
        if (waited >= wait_ms * 10)
            return false;
        nanosleep(&step, NULL);
    }
    return true;
}

/* Walk every object again (adds: dlpi_adds now; settled: every object it
 * counts is relocated), waiting at most wait_ms for attach, detach or
 * another walk to finish. */
static void objects_patch(unsigned long long adds, bool settled, unsigned wait_ms)
{
    if (!ctl_lock_within(wait_ms)) {
        if (wait_ms)
            rep_log(REP_LOG_DEBUG, "objects loaded now are left to the reporter: "
                    "a patch under way took over %u ms", wait_ms);
        return;
    }
    /* A library loaded since may have what was missing (libssl, loaded
     * by python's `import ssl`): the reporter, whose dlsym errors nobody
     * reads, looks again, and walks the objects with what it found. */
    bool resolve = !wait_ms && hooks_missing && adds != loads_resolved;
    if (resolve) {
        hooks_resolve();
        loads_resolved = adds;
    }
    if (ip_proc.active && (resolve || adds != __atomic_load_n(settled ? &loads_settled
                                                                      : &loads_patched,
                                                              __ATOMIC_RELAXED))) {
        int patched = hooks_install();
        if (patched > 0)
            scope_ctl_status.patched_slots += (uint32_t)patched;
        __atomic_store_n(&loads_patched, adds, __ATOMIC_RELAXED);
        if (settled)
            __atomic_store_n(&loads_settled, adds, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&ctl_lock);
}

/* On the reporter thread, every drain: what the wrappers of dlopen and
 * dlsym did not patch (ip_wrap_dl.c says when) is patched here, at most
 * ~10 ms late. */
static void objects_check(void)
{
    unsigned long long adds = loads_now();

    if (adds != __atomic_load_n(&loads_patched, __ATOMIC_RELAXED) ||
        (hooks_missing && adds != loads_resolved))
        objects_patch(adds, false, 0);
}

void ip_objects_patch_now(void)
{
    int saved = errno;

    if (ip_tls.ours)
        return;
    unsigned long long adds = loads_now();
    /* After the program's dlopen returned, what it loaded is relocated.
     * ep_patch_loaded reads /proc/self/maps with an fd of the program's
     * table: only with room to spare, else the reporter does it. */
    if (adds != __atomic_load_n(&loads_settled, __ATOMIC_RELAXED) && ip_fd_room(1))
        objects_patch(adds, true, IP_PATCH_WAIT_MS);
    errno = saved;
}

/* What attach may hold at once in the program's fd table: the metric and
 * event files, the log, and one more for a moment (/proc/self/fd,
 * /proc/self/maps, /proc/self/cmdline). */
#define IP_ATTACH_FDS 4

/* Does the program keep IP_FD_MARGIN fds free with ours taken? Else we
 * back off, take nothing, and say why: in the status under attach, and in
 * the log when that takes no fd the program lacks. */
static bool fds_to_spare(void)
{
    char msg[sizeof scope_ctl_status.error];

    if (ip_fd_room(IP_ATTACH_FDS))
        return true;
    struct ip_fd_count c = ip_fd_count_now();
    snprintf(msg, sizeof msg, "not observing: %lu of the process's %lu descriptors are "
             "open, and scope takes one only while %d stay free for it",
             c.open, c.limit, IP_FD_MARGIN);
    status_error(msg);
    if (strcmp(ip_proc.cfg.log_dest, "file://stderr") == 0 || ip_fd_room(1))
        rep_log(REP_LOG_WARNING, "%s", msg);
    rep_log_close();
    return false;
}

/* Under `scope run`, a bad setting is said on stderr by the first process
 * image only: the ones it execs inherit CONFIG_TOLD (kept across exec
 * like every SCOPE_* setting) and only log it. */
#define CONFIG_TOLD "SCOPE_CONFIG_TOLD"

static void config_complain(const char *err, enum scope_ctl_how how)
{
    if (how == SCOPE_CTL_HOW_PRELOAD && getenv(CONFIG_TOLD)) {
        ip_trouble(err);
        return;
    }
    ip_complain(err);
    if (how == SCOPE_CTL_HOW_PRELOAD && setenv(CONFIG_TOLD, "1", 0) == 0)
        ip_env_keep(CONFIG_TOLD "=1");
}

static int attach_locked(const char *config, enum scope_ctl_how how)
{
    char err[1024];

    if (ip_proc.active)
        return 1;
    scope_ctl_status.error[0] = '\0';
    scope_ctl_status.how = how;
    int bad = rep_config_load(&ip_proc.cfg, config, err, sizeof err);
    rep_log_configure(&ip_proc.cfg);
    rep_lits_of(ip_proc.cfg.ev_file_name, &ip_proc.log_names);
    /* Before anything may open the log. The CLI has checked the
     * configuration already; a bad one is still said below. */
    if (!fds_to_spare())
        return -1;
    if (bad > 0) {
        size_t used = strlen(err);
        snprintf(err + used, sizeof err - used, "; the defaults are used instead");
        config_complain(err, how);
    }
    if (ip_threads_init() < 0 || ip_files_init() < 0) {
        status_error("cannot map memory for per-thread and per-file state");
        ip_trouble(scope_ctl_status.error);
        return -1;
    }
    ip_proc.pid = getpid();
    ident_fill(&ip_proc.ident);
    ip_ticks_calibrate_start();
    /* Before the reporter opens its destinations: those fds are not the
     * program's. */
    ip_cwd_note();
    ip_files_learn_open();
    ip_macros_reset();
    ip_unseen_reset();
    ip_env_shell_notice();
    ip_hostpid_take(&ip_proc.cfg, &ip_proc.our_fds[3]);
    ip_proc.rep = rep_create(&ip_proc.cfg, &ip_proc.ident, &ip_source, err, sizeof err);
    ip_handed_close(&ip_proc.cfg);  /* our copies are taken, or will not be */
    if (!ip_proc.rep) {
        status_error(err);
        ip_complain(err);
        rep_log_close();            /* no fd of ours left behind */
        return -1;
    }
    ip_proc.events = rep_events_wanted(ip_proc.rep);
    ip_tap_configure();
    rep_fds_publish(ip_proc.rep, ip_proc.our_fds);
    /* Counting starts before the first slot points at a wrapper. */
    __atomic_store_n(&ip_proc.active, true, __ATOMIC_RELEASE);
    __atomic_store_n(&loads_patched, loads_now(), __ATOMIC_RELAXED);
    __atomic_store_n(&loads_settled, loads_patched, __ATOMIC_RELAXED);
    int patched = hooks_resolve() == 0 ? hooks_install() : -ENOMEM;
    ip_term_enable();
    const char *note = ip_crash_enable(&ip_proc.cfg);
    if (note)
        ip_complain(note);
    ip_thread_self();               /* this thread's alternate stack, too */
    ip_single_thread_note();
    if (rep_start(ip_proc.rep) != 0)
        ip_trouble("cannot start the reporter thread; data is written at exit only");
    status_text_set(scope_ctl_status.metric_dest, sizeof scope_ctl_status.metric_dest,
                    ip_proc.cfg.metric_enable ? ip_proc.cfg.metric_dest : "");
    status_text_set(scope_ctl_status.event_dest, sizeof scope_ctl_status.event_dest,
                    ip_proc.cfg.event_enable ? ip_proc.cfg.event_dest : "");
    scope_ctl_status.patched_slots = patched > 0 ? (uint32_t)patched : 0;
    scope_ctl_status.attaches++;
    rep_log(REP_LOG_INFO, "%s: %d slots patched; metrics to %s, events to %s",
            how == SCOPE_CTL_HOW_ATTACH ? "attached" : "loaded", patched,
            scope_ctl_status.metric_dest[0] ? scope_ctl_status.metric_dest : "nowhere",
            scope_ctl_status.event_dest[0] ? scope_ctl_status.event_dest : "nowhere");
    __atomic_store_n(&scope_ctl_status.state, SCOPE_CTL_ATTACHED, __ATOMIC_RELEASE);
    return 0;
}

int scope_ctl_attach(const char *config) IP_EXPORT;
int scope_ctl_attach(const char *config)
{
    pthread_mutex_lock(&ctl_lock);
    int rc = attach_locked(config, SCOPE_CTL_HOW_ATTACH);
    pthread_mutex_unlock(&ctl_lock);
    return rc;
}

/* Wait (bounded) until no thread is inside a flush. */
static bool flushers_gone(unsigned timeout_ms)
{
    struct timespec ms = { 0, 1000000 };

    for (unsigned waited = 0; __atomic_load_n(&flushers, __ATOMIC_ACQUIRE); waited++) {
        if (waited >= timeout_ms)
            return false;
        nanosleep(&ms, NULL);
    }
    return true;
}

int scope_ctl_detach(void) IP_EXPORT;
int scope_ctl_detach(void)
{
    pthread_mutex_lock(&ctl_lock);
    if (!ip_proc.active) {
        pthread_mutex_unlock(&ctl_lock);
        return -1;
    }
    /* Slots first, so no new call enters a wrapper; then the wrappers
     * still running become pass-through; then the last flush. */
    ip_crash_disable();
    ip_term_disable();
    int restored = (int)ep_restore(&patch_log);
    __atomic_store_n(&ip_proc.active, false, __ATOMIC_RELEASE);
    bool stopped = rep_stop(ip_proc.rep, IP_EXIT_FLUSH_MS) == 0;
    if (flushers_gone(IP_EXIT_FLUSH_MS)) {
        rep_destroy(ip_proc.rep);       /* else leave it: a flusher holds it */
        if (stopped)                    /* and nothing drains the queues */
            ip_threads_release_drained();
    }
    ip_proc.rep = NULL;
    bool single = ip_single_thread_restore();
    scope_ctl_status.patched_slots = 0;
    scope_ctl_status.detaches++;
    rep_log(REP_LOG_INFO, "detached: %d slots restored%s", restored,
            single ? "; glibc's single-threaded mode restored" : "");
    rep_log_close();
    ip_hostpid_drop();
    __atomic_store_n(&scope_ctl_status.state, SCOPE_CTL_LOADED, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ctl_lock);
    return restored;
}

/* ---- fork, exec, exit ---------------------------------------------------- */

/* Run flush_fn on the reporter, unless we are not attached (any more): the
 * count taken first keeps detach from freeing it under us. */
static void flush_guarded(int (*flush_fn)(struct rep *, unsigned), unsigned timeout_ms)
{
    if (ip_tls.ours || ip_in_vfork_child())
        return;
    int saved = errno;
    __atomic_add_fetch(&flushers, 1, __ATOMIC_ACQ_REL);
    struct rep *r = __atomic_load_n(&ip_proc.active, __ATOMIC_ACQUIRE) ? ip_proc.rep : NULL;
    if (r)
        flush_fn(r, timeout_ms);
    __atomic_sub_fetch(&flushers, 1, __ATOMIC_ACQ_REL);
    errno = saved;
}

/* For a call the kernel refuses to a multi-threaded process: the reporter
 * thread is stopped (everything flushed) around it and started again.
 * Returns whether it was stopped. */
bool ip_reporter_pause(void)
{
    if (ip_tls.ours || pthread_mutex_lock(&ctl_lock) != 0)
        return false;
    if (!ip_proc.active || !ip_proc.rep) {
        pthread_mutex_unlock(&ctl_lock);
        return false;
    }
    rep_stop(ip_proc.rep, IP_EXIT_FLUSH_MS);
    return true;                    /* ctl_lock stays held until resume */
}

void ip_reporter_resume(void)
{
    rep_restart(ip_proc.rep);
    pthread_mutex_unlock(&ctl_lock);
}

void ip_flush_before_exec(void)
{
    flush_guarded(rep_flush, IP_EXEC_FLUSH_MS);
}

void ip_flush_at_exit(void)
{
    flush_guarded(rep_stop, IP_EXIT_FLUSH_MS);
}

void ip_flush_at_signal(void)
{
    flush_guarded(rep_flush_from_signal, IP_EXIT_FLUSH_MS);
}

static void fork_child(void)
{
    pthread_mutex_init(&ctl_lock, NULL);    /* may have been held at fork */
    rep_log_after_fork_child();
    if (!ip_proc.active)
        return;
    ip_proc.pid = getpid();
    ident_fill(&ip_proc.ident);         /* its own pid and _channel */
    /* its own notices and counts: the parent's pending ones are the
     * parent's to report */
    ip_unseen_reset();
    if (ip_proc.ident.host_pid) {       /* scope named its parent's */
        ip_proc.ident.host_pid = ip_hostpid_self();
        if (!ip_proc.ident.host_pid)
            ip_unseen_add(IP_UNSEEN_HOST_PID, 1);
    }
    ip_threads_after_fork_child();
    ip_files_after_fork_child();
    ip_sock_after_fork_child();
    ip_dns_after_fork_child();
    ip_proc.rep = rep_recreate_in_child(ip_proc.rep, &ip_proc.ident);
    if (ip_proc.rep)
        rep_fds_publish(ip_proc.rep, ip_proc.our_fds);
    else
        __atomic_store_n(&ip_proc.active, false, __ATOMIC_RELEASE);
}

/* Loaded by LD_PRELOAD means "observe from the start". */
static bool preloaded(void)
{
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "libscope");
}

__attribute__((constructor)) static void ip_load(void)
{
    for (int i = 0; i < IP_OUR_FDS; i++)
        ip_proc.our_fds[i] = -1;
    rep_log_publish(&ip_proc.our_fds[2]);
    scope_ctl_status.magic = SCOPE_CTL_MAGIC;
    scope_ctl_status.version = SCOPE_CTL_VERSION;
    pthread_atfork(NULL, NULL, fork_child);
    if (preloaded()) {
        ip_env_capture();
        pthread_mutex_lock(&ctl_lock);
        attach_locked(NULL, SCOPE_CTL_HOW_PRELOAD);
        pthread_mutex_unlock(&ctl_lock);
    }
}

__attribute__((destructor)) static void ip_unload(void)
{
    ip_flush_at_exit();
}
