/* inj_proc.h: what /proc says about another process.
 *
 * Naming a target (PID or command name), its state, its memory map, where
 * an object is loaded in it, reading its memory without stopping it, and
 * libscope's status in it. Nothing here stops or changes the target.
 */
#ifndef INJ_PROC_H
#define INJ_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scope_ctl.h"

struct inj_mapping {
    uintptr_t start, end;
    unsigned long offset;
    char perms[5];              /* "r-xp" */
    char path[PATH_MAX];        /* as the target sees it; "" for anonymous */
};

struct inj_maps {
    struct inj_mapping *v;
    size_t n;
};

/* A PID, or the command name (/proc/PID/comm) of exactly one process other
 * than ourselves. 0, or -1 with a message for the operator in err (no such
 * process; several match: their PIDs listed). */
int inj_pid_resolve(const char *arg, pid_t *pid, char *err, size_t errlen);

/* Its command name (/proc/PID/comm): 0, or -1 with comm set to "?". */
int inj_proc_comm(pid_t pid, char *comm, size_t cap);

/* The state letter of /proc/PID/stat ('R', 'S', 'Z', 'X', 't', ...), or 0
 * when the process does not exist. */
char inj_proc_state(pid_t pid);

/* Its parent (PPid), or -1 when it does not exist. */
pid_t inj_proc_parent(pid_t pid);

/* The CPU thread tid of pid last ran on, or -1. */
int inj_proc_thread_cpu(pid_t pid, pid_t tid);

/* A live thread of the process: pid itself, or when the main thread has
 * exited (pthread_exit: it shows as a zombie while others run) another
 * one, whose /proc/TID entries (maps, exe, root) and process_vm_readv
 * still show the process's memory and files; 0 when none lives. */
pid_t inj_proc_live_thread(pid_t pid);

/* 0, or -errno. */
int inj_maps_read(pid_t pid, struct inj_maps *maps);
void inj_maps_free(struct inj_maps *maps);

/* The first mapping of a file whose name (inj_object_name, inj_slots.h)
 * starts with
 * `prefix` (e.g. "libc.so", "libscope.so", "ld-linux"), or NULL. */
const struct inj_mapping *inj_maps_find(const struct inj_maps *maps, const char *prefix);

/* The load base of the object mapped from m's file: the start of its
 * mapping at file offset 0. */
uintptr_t inj_maps_base(const struct inj_maps *maps, const struct inj_mapping *m);

/* Does pid share our mount namespace? Our root directory? (false also
 * when it cannot be told) */
bool inj_proc_same_mount_ns(pid_t pid);
bool inj_proc_same_root(pid_t pid);

/* A path to the target's file that we can open: /proc/PID/root/<path>. */
void inj_proc_file_path(pid_t pid, const char *path, char *out, size_t cap);

/* A path to the file mapped as m that we can open, however the target's
 * root and namespace make its name look: /proc/PID/map_files/START-END
 * when we may, else its name in maps resolved the way the kernel printed
 * it. 0, or -ENOENT when map_files is closed to us and the name is no
 * file's (a memfd, a deleted file). */
int inj_proc_object_path(pid_t pid, const struct inj_mapping *m, char *out, size_t cap);

/* The address in pid of the dynamic symbol `name` defined by the object
 * mapped as m (one of maps): read from its file, or from the process's
 * memory when the file cannot be opened. 0, or -errno (-ENOENT: not
 * defined there; -EBADMSG: its tables in memory lie). */
int inj_proc_dynsym(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *m,
                    const char *name, uintptr_t *addr);

/* Read len bytes at addr in the target (process_vm_readv): 0 or -errno. */
int inj_proc_read(pid_t pid, uintptr_t addr, void *buf, size_t len);

/* libscope's status in the target, read through a live thread. 0 with
 * *st filled (its strings NUL-terminated within their buffers, whatever
 * the target's memory held), 1 when libscope.so is not loaded there, -errno when it could not be
 * read. lib_path (may be NULL) receives the library's path as the target
 * sees it. */
int inj_scope_status(pid_t pid, struct scope_ctl_status *st,
                     char *lib_path, size_t lib_path_cap);

/* Its pid in its own pid namespace (the last of NSpid): a container's
 * view; pid itself when it shares ours or it cannot be read. */
pid_t inj_proc_ns_pid(pid_t pid);

/* The id of the container it runs in, read from its cgroup path (docker,
 * podman, containerd/CRI-O: 64 hex digits; LXC: the container's name): 0,
 * or -1 with out "" when none is found. Only letters, digits, '.', '_' and
 * '-' are ever copied. */
int inj_proc_container_id(pid_t pid, char *out, size_t cap);

/* kernel.yama.ptrace_scope (0 classic ptrace permissions, 1 only
 * descendants, 2 only CAP_SYS_PTRACE, 3 none), or -1 when the kernel has no
 * Yama (or it cannot be read): then only the classic permissions apply. */
int inj_yama_ptrace_scope(void);

#endif
