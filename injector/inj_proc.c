/* inj_proc.c: reading another process through /proc (see inj_proc.h). */
#include "inj_proc.h"
#include "elfpatch.h"
#include "ep_elf_mem.h"
#include "inj_slots.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int inj_proc_comm(pid_t pid, char *comm, size_t cap)
{
    char path[64];
    snprintf(comm, cap, "?");
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ok = fgets(comm, (int)cap, f) != NULL;
    fclose(f);
    if (!ok) {
        snprintf(comm, cap, "?");
        return -1;
    }
    comm[strcspn(comm, "\n")] = '\0';
    return 0;
}

/* Append ", PID" to a list of matches, as far as it fits. */
static void pid_list_add(char *list, size_t cap, pid_t pid)
{
    size_t used = strlen(list);
    if (used + 16 < cap)
        snprintf(list + used, cap - used, "%s%d", used ? ", " : "", (int)pid);
}

static int pid_by_name(const char *name, pid_t *pid, char *err, size_t errlen)
{
    char comm[64], list[256] = "";
    int matches = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (!d) {
        snprintf(err, errlen, "cannot read /proc: %s", strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!all_digits(e->d_name))
            continue;
        pid_t p = (pid_t)atoi(e->d_name);
        if (p == getpid() || inj_proc_comm(p, comm, sizeof comm) < 0 || strcmp(comm, name) != 0)
            continue;
        matches++;
        *pid = p;
        pid_list_add(list, sizeof list, p);
    }
    closedir(d);
    if (matches == 1)
        return 0;
    if (matches == 0)
        snprintf(err, errlen, "no process named '%s'", name);
    else
        snprintf(err, errlen, "%d processes are named '%s' (PIDs %s); give a PID",
                 matches, name, list);
    return -1;
}

int inj_pid_resolve(const char *arg, pid_t *pid, char *err, size_t errlen)
{
    if (!all_digits(arg))
        return pid_by_name(arg, pid, err, errlen);
    long v = strtol(arg, NULL, 10);
    if (v <= 0 || v > INT_MAX || !inj_proc_state((pid_t)v)) {
        snprintf(err, errlen, "no process with PID %s", arg);
        return -1;
    }
    *pid = (pid_t)v;
    return 0;
}

/* The fields of /proc/PID/<stat> after the command name (which may hold
 * spaces and parentheses: they follow the last ')'), or NULL. */
static const char *stat_fields(const char *stat, char *buf, size_t cap)
{
    FILE *f = fopen(stat, "re");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close + 2 : NULL;
}

char inj_proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    const char *fields = stat_fields(path, buf, sizeof buf);
    return fields ? fields[0] : 0;
}

pid_t inj_proc_parent(pid_t pid)
{
    char path[64], buf[512];
    int ppid;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    const char *fields = stat_fields(path, buf, sizeof buf);
    return fields && sscanf(fields, "%*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

int inj_proc_thread_cpu(pid_t pid, pid_t tid)
{
    char path[64], buf[1024];
    int cpu;

    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    const char *f = stat_fields(path, buf, sizeof buf);
    /* processor is the 39th field; fields start at the 3rd (state). */
    for (int i = 3; f && i < 39; i++)
        f = (f = strchr(f, ' ')) ? f + 1 : NULL;
    return f && sscanf(f, "%d", &cpu) == 1 && cpu >= 0 ? cpu : -1;
}

static int state_live(char s)
{
    return s && s != 'Z' && s != 'X';
}

pid_t inj_proc_live_thread(pid_t pid)
{
    char path[64 + NAME_MAX], buf[512];
    struct dirent *e;
    pid_t live = 0;

    if (state_live(inj_proc_state(pid)))
        return pid;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    while (!live && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
        const char *fields = stat_fields(path, buf, sizeof buf);
        if (fields && state_live(fields[0]))
            live = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return live;
}

static int mapping_parse(const char *line, struct inj_mapping *m)
{
    unsigned long start, end, offset;
    int path_at = 0;

    if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %n", &start, &end, m->perms,
               &offset, &path_at) < 4)
        return -1;
    m->start = start;
    m->end = end;
    m->offset = offset;
    m->path[0] = '\0';
    if (path_at > 0) {
        snprintf(m->path, sizeof m->path, "%s", line + path_at);
        m->path[strcspn(m->path, "\n")] = '\0';
    }
    return 0;
}

int inj_maps_read(pid_t pid, struct inj_maps *maps)
{
    char path[64], line[PATH_MAX + 128];
    size_t cap = 0;

    maps->v = NULL;
    maps->n = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    while (fgets(line, sizeof line, f)) {
        if (maps->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct inj_mapping *v = realloc(maps->v, cap * sizeof *v);
            if (!v) {
                fclose(f);
                inj_maps_free(maps);
                return -ENOMEM;
            }
            maps->v = v;
        }
        if (mapping_parse(line, &maps->v[maps->n]) == 0)
            maps->n++;
    }
    fclose(f);
    return 0;
}

void inj_maps_free(struct inj_maps *maps)
{
    free(maps->v);
    maps->v = NULL;
    maps->n = 0;
}

const struct inj_mapping *inj_maps_find(const struct inj_maps *maps, const char *prefix)
{
    for (size_t i = 0; i < maps->n; i++)
        if (strchr(maps->v[i].path, '/') &&
            strncmp(inj_object_name(maps->v[i].path), prefix, strlen(prefix)) == 0)
            return &maps->v[i];
    return NULL;
}

uintptr_t inj_maps_base(const struct inj_maps *maps, const struct inj_mapping *m)
{
    for (size_t i = 0; i < maps->n; i++)
        if (maps->v[i].offset == 0 && strcmp(maps->v[i].path, m->path) == 0)
            return maps->v[i].start;
    return 0;
}

void inj_proc_file_path(pid_t pid, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "/proc/%d/root%s", (int)pid, path);
}

static bool same_file(const char *a, const char *b)
{
    struct stat x, y;

    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

bool inj_proc_same_mount_ns(pid_t pid)
{
    char path[64];

    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    return same_file("/proc/self/ns/mnt", path);
}

bool inj_proc_same_root(pid_t pid)
{
    char path[64];

    snprintf(path, sizeof path, "/proc/%d/root/", (int)pid);
    return same_file("/", path);
}

/* map_files opens the very file mapped, whatever its name (deleted, a
 * memfd, swapped since by a symlink), and needs CAP_SYS_ADMIN. Without it,
 * the kernel printed the path relative to our root when the file is
 * reachable from it (our mount namespace: a chroot's files show their full
 * path), relative to the namespace's root otherwise; a memfd's or a
 * deleted file's name names no file (or another one, made to be found). */
int inj_proc_object_path(pid_t pid, const struct inj_mapping *m, char *out, size_t cap)
{
    static const char deleted[] = " (deleted)";
    size_t len = strlen(m->path);
    struct stat st;

    snprintf(out, cap, "/proc/%d/map_files/%lx-%lx", (int)pid, (unsigned long)m->start,
             (unsigned long)m->end);
    if (stat(out, &st) == 0)
        return 0;
    if (m->path[0] != '/' ||
        (len >= sizeof deleted - 1 && strcmp(m->path + len - (sizeof deleted - 1), deleted) == 0))
        return -ENOENT;
    if (inj_proc_same_mount_ns(pid))
        snprintf(out, cap, "%s", m->path);
    else
        inj_proc_file_path(pid, m->path, out, cap);
    return 0;
}

static int memory_read(uint64_t addr, void *buf, size_t len, void *arg)
{
    return inj_proc_read(*(const pid_t *)arg, (uintptr_t)addr, buf, len);
}

/* From its file when we can read it; else from the process's memory,
 * which whoever may trace it may read (process_vm_readv): the owner of a
 * user namespace, for one, to which map_files stays closed. */
int inj_proc_dynsym(pid_t pid, const struct inj_maps *maps, const struct inj_mapping *m,
                    const char *name, uintptr_t *addr)
{
    char file[PATH_MAX + 64];
    uintptr_t base = inj_maps_base(maps, m);
    uint64_t value;
    bool named = inj_proc_object_path(pid, m, file, sizeof file) == 0;
    int rc = named ? ep_elf_dynsym(file, name, &value) : -ENOENT;

    if (!named || rc == -EACCES || rc == -EPERM) {
        struct ep_mem_image img = { memory_read, &pid, base };
        rc = ep_mem_dynsym(&img, name, &value);
    }
    if (rc == 0)
        *addr = base + value;
    return rc;
}

int inj_proc_read(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
    struct iovec local = { buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

int inj_scope_status(pid_t pid, struct scope_ctl_status *st,
                     char *lib_path, size_t lib_path_cap)
{
    struct inj_maps maps;
    uintptr_t addr;
    pid_t live = inj_proc_live_thread(pid);

    pid = live ? live : pid;
    int rc = inj_maps_read(pid, &maps);
    if (rc < 0)
        return rc;
    const struct inj_mapping *lib = inj_maps_find(&maps, "libscope.so");
    if (!lib) {
        inj_maps_free(&maps);
        return 1;
    }
    if (lib_path)
        snprintf(lib_path, lib_path_cap, "%s", lib->path);
    rc = inj_proc_dynsym(pid, &maps, lib, "scope_ctl_status", &addr);
    if (rc == 0)
        rc = inj_proc_read(pid, addr, st, sizeof *st);
    if (rc == 0 && st->magic != SCOPE_CTL_MAGIC)
        rc = -EPROTO;
    if (rc == 0) {
        /* Another process's memory may hold anything: no string of it is
         * used past its buffer. */
        st->metric_dest[sizeof st->metric_dest - 1] = '\0';
        st->event_dest[sizeof st->event_dest - 1] = '\0';
        st->error[sizeof st->error - 1] = '\0';
    }
    inj_maps_free(&maps);
    return rc;
}

pid_t inj_proc_ns_pid(pid_t pid)
{
    char path[64], line[256];
    pid_t inner = pid;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return pid;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "NSpid:", 6) == 0) {
            const char *last = strrchr(line, '\t');
            inner = last ? (pid_t)atoi(last + 1) : pid;
            break;
        }
    fclose(f);
    return inner > 0 ? inner : pid;
}

/* The id in one element of a cgroup path: 64 hex digits (docker-<id>.scope,
 * libpod-<id>, crio-<id>.scope, kubepods/.../<id>), or an LXC container's
 * name (lxc.payload.<name>, or what follows lxc/). */
static bool cgroup_element_id(const char *e, size_t len, bool after_lxc, char *out, size_t cap)
{
    size_t run = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && isxdigit((unsigned char)e[i]) && !isupper((unsigned char)e[i])) {
            run++;
            continue;
        }
        if (run == 64) {
            snprintf(out, cap, "%.64s", e + i - 64);
            return true;
        }
        run = 0;
    }
    size_t skip = len > 12 && strncmp(e, "lxc.payload.", 12) == 0 ? 12 : 0;
    if (!skip && !after_lxc)
        return false;
    for (size_t i = skip; i < len; i++)
        if (!isalnum((unsigned char)e[i]) && !strchr("._-", e[i]))
            return false;
    if (len - skip == 0 || len - skip >= cap)
        return false;
    snprintf(out, cap, "%.*s", (int)(len - skip), e + skip);
    return true;
}

int inj_proc_container_id(pid_t pid, char *out, size_t cap)
{
    char path[64], line[1024];
    bool found = false;

    out[0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    while (!found && fgets(line, sizeof line, f)) {
        char *p = strchr(line, ':');
        p = p ? strchr(p + 1, ':') : NULL;
        if (!p)
            continue;
        p[strcspn(p, "\n")] = '\0';
        bool after_lxc = false;
        for (char *e = p + 1; !found && *e;) {
            e += strspn(e, "/");
            size_t len = strcspn(e, "/");
            found = len && cgroup_element_id(e, len, after_lxc, out, cap);
            after_lxc = len == 3 && strncmp(e, "lxc", 3) == 0;
            e += len;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

int inj_yama_ptrace_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int v = -1;

    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}
