/* inj_inspect.c: `scope ps` and `scope inspect` (see inj_inspect.h).
 *
 * Both only look: /proc/PID/maps, the objects' files through
 * /proc/PID/root, and memory through process_vm_readv. Neither stops the
 * process (no ptrace), so they are safe on anything at any time; on a busy
 * process the picture is only as old as the read.
 *
 * inspect answers "did detach put everything back?": for every GOT slot of
 * a hooked name it shows where the slot points now and whether that is
 * libscope (hooked), what the loader would have put there (original: the
 * real definition, or the slot's own PLT stub when a lazy slot was never
 * called, note 5), or anything else (other).
 */
#include "inj_inspect.h"
#include "elfpatch.h"
#include "inj_cli.h"
#include "inj_proc.h"
#include "inj_table.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every hooked name, from the one list libscope.so is built from. */
static const char *const hook_names[] = {
#define IP_HOOK(ret, name, params) #name,
#include "ip_hooks.def"
#undef IP_HOOK
};
#define NHOOKS (sizeof hook_names / sizeof hook_names[0])

const char inj_ps_help[] =
"Usage: scope ps [--json]\n"
"\n"
"List the processes that have libscope.so loaded (found in /proc/PID/maps),\n"
"with the state of the library, read from its memory (process_vm_readv; the\n"
"process is not stopped). Columns:\n"
"  PID       the process\n"
"  COMMAND   its name (/proc/PID/comm)\n"
"  STATE     run       attached by `scope run` (LD_PRELOAD)\n"
"            attached  attached by `scope attach`\n"
"            detached  loaded, nothing hooked: detached, or never attached\n"
"            unknown   loaded, but its status could not be read\n"
"  SLOTS     GOT slots libscope.so holds patched now (-: unknown)\n"
"  METRICS   where metrics go (-: nowhere, or unknown)\n"
"  EVENTS    where events go (-: nowhere, or unknown)\n"
"With no such process only the header is printed. Processes whose memory\n"
"scope may not read (see `scope inspect --help`) are left out silently.\n"
"\n"
"Options:\n"
"  --json       one JSON document: {\"processes\": [{\"pid\", \"command\",\n"
"               \"state\", \"patched_slots\", \"metric_dest\", \"event_dest\",\n"
"               \"library\"}]} (\"error\" instead of the status when unknown)\n"
"  -h, --help   show this help\n"
"\n"
"Exit status: 0 listed (even if none); 1 /proc cannot be read, or no process\n"
"could be read at all; 2 usage error.\n";

const char inj_inspect_help[] =
"Usage: scope inspect [--json] PID\n"
"\n"
"Show where each GOT slot of a hooked function points in process PID,\n"
"without stopping it: the slots are found in the files of the objects it\n"
"has mapped (read through /proc/PID/root), their values are read from its\n"
"memory (process_vm_readv). Every ELF object mapped is shown, the dynamic\n"
"linker included; not the vDSO, and not libscope.so itself. Use it to check\n"
"that `scope detach` put everything back.\n"
"\n"
"First lines: the process, and libscope.so's state in it (run, attached,\n"
"detached or unknown, as in `scope ps`; with why its last attach failed, if\n"
"it did) or \"libscope not loaded\". Then, per object, its path and load\n"
"base and a table:\n"
"  SLOT      address of the slot\n"
"  SYMBOL    the hooked function it is for\n"
"  TYPE      JUMP_SLOT (PLT call), GLOB_DAT (-fno-plt call or address\n"
"            taken) or 64 (function pointer in data)\n"
"  NOW       where it points: libscope:<wrapper> (or libscope), OBJECT:SYMBOL,\n"
"            OBJECT+OFFSET, plt-stub (its object's own PLT: a lazily bound\n"
"            slot not called yet), null, unmapped, or anonymous memory\n"
"            (mapped, but not from an ELF object: generated code)\n"
"  STATE     hooked     points into libscope.so\n"
"            original   points to what the dynamic linker would have put\n"
"                       there: the definition in the first object, in\n"
"                       /proc/PID/maps order, that exports the name with its\n"
"                       default version; or its plt-stub\n"
"            other      anywhere else: something else rewrote it\n"
"  VALUE     the 8 bytes in the slot now\n"
"  ORIGINAL  the address of that definition (0x0: none; ifunc: known only at\n"
"            run time, and a slot into the defining object counts as original)\n"
"Last line: \"N slots: H hooked, O original, X other\".\n"
"\n"
"Options:\n"
"  --json       one JSON document instead: {\"pid\", \"command\", \"libscope\":\n"
"               {\"loaded\", \"state\", \"path\", \"patched_slots\", \"metric_dest\",\n"
"               \"event_dest\", \"attaches\", \"detaches\", \"error\"}, \"objects\":\n"
"               [{\"path\", \"base\", \"slots\": [{\"symbol\", \"type\", \"slot\",\n"
"               \"value\", \"points_to\", \"original\", \"state\"}]}], \"summary\":\n"
"               {\"slots\", \"hooked\", \"original\", \"other\"}}; addresses are\n"
"               \"0x...\" strings, \"original\" is null for an ifunc; an object\n"
"               whose file cannot be read has \"error\" and no slots\n"
"  -h, --help   show this help\n"
"\n"
"Reading another process needs ptrace access to it: the same uid (and, with\n"
"Yama's kernel.yama.ptrace_scope=1, being its ancestor) or CAP_SYS_PTRACE.\n"
"\n"
"Exit status: 0 shown; 1 no such process, a zombie, or it cannot be read\n"
"(the reason is printed); 2 usage error.\n";

/* ---- command line ------------------------------------------------------- */

enum parse { PARSE_OK, PARSE_HELP, PARSE_USAGE };

/* [--json] [-h|--help], and one operand when `operand` is not NULL. */
static enum parse args_parse(const char *cmd, int argc, char **argv, bool *json,
                             const char **operand)
{
    bool options_done = false;

    *json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
                return PARSE_HELP;
            if (strcmp(a, "--json") != 0) {
                inj_usage(cmd, "unknown option '%s'", a);
                return PARSE_USAGE;
            }
            *json = true;
        } else if (operand && !*operand) {
            *operand = a;
        } else {
            inj_usage(cmd, "unexpected argument '%s'", a);
            return PARSE_USAGE;
        }
    }
    if (operand && !*operand) {
        inj_usage(cmd, "missing the PID");
        return PARSE_USAGE;
    }
    return PARSE_OK;
}

/* ---- what both commands say --------------------------------------------- */

/* inj_scope_status(), with the strings terminated: they come from another
 * process's memory, which may hold anything. */
static int scope_status_read(pid_t pid, struct scope_ctl_status *st, char *lib, size_t cap)
{
    int rc = inj_scope_status(pid, st, lib, cap);

    if (rc == 0) {
        st->metric_dest[sizeof st->metric_dest - 1] = '\0';
        st->event_dest[sizeof st->event_dest - 1] = '\0';
        st->error[sizeof st->error - 1] = '\0';
    }
    return rc;
}

/* Why inj_scope_status() could not read a status that is there. */
static const char *status_error_text(int rc)
{
    if (rc == -EPROTO)
        return "no valid status: not initialized yet, or another version";
    if (rc == -ENOENT)
        return "the library has no scope_ctl_status";
    return strerror(-rc);
}

static const char *scope_state_name(const struct scope_ctl_status *st)
{
    if (st->state == SCOPE_CTL_LOADED)
        return "detached";
    if (st->state != SCOPE_CTL_ATTACHED)
        return "unknown";
    return st->how == SCOPE_CTL_HOW_PRELOAD ? "run" : "attached";
}

/* kernel.yama.ptrace_scope, or -1 without Yama. */
static int yama_ptrace_scope(void)
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

/* Why the process could not be read, in terms the operator can act on
 * (note 26). err is -errno. */
static void read_failure_print(pid_t pid, int err)
{
    int yama = yama_ptrace_scope();

    if (err == -ESRCH || (err == -ENOENT && !inj_proc_state(pid))) {
        fprintf(stderr, "scope: process %d exited\n", (int)pid);
    } else if (err == -EPERM || err == -EACCES) {
        fprintf(stderr, "scope: cannot read process %d: permission denied; reading "
                "another process needs ptrace access: the same uid or CAP_SYS_PTRACE",
                (int)pid);
        if (yama >= 1)
            fprintf(stderr, " (kernel.yama.ptrace_scope is %d: %s)", yama,
                    yama == 1 ? "the same uid must also be its ancestor"
                              : "only CAP_SYS_PTRACE");
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "scope: cannot read process %d: %s\n", (int)pid, strerror(-err));
    }
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool is_libscope(const char *path)
{
    return strncmp(basename_of(path), "libscope.so", strlen("libscope.so")) == 0;
}

static void hex(char *out, size_t cap, uint64_t v)
{
    snprintf(out, cap, "0x%llx", (unsigned long long)v);
}

/* json_string() refuses invalid UTF-8; a path or destination may hold any
 * bytes, and losing the whole document over one is worse than a null. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_null();
}

static int json_print(json_t *doc)
{
    int rc = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;

    json_decref(doc);
    if (rc < 0) {
        fputs("scope: out of memory\n", stderr);
        return 1;
    }
    fputc('\n', stdout);
    return 0;
}

/* ---- scope ps ------------------------------------------------------------ */

struct ps_row {
    pid_t pid;
    char comm[64];
    char lib[PATH_MAX];
    struct scope_ctl_status st;
    int status_rc;              /* inj_scope_status(): 0 read, -errno not */
};

struct ps_out {
    struct inj_table *table;
    json_t *list;
};

static int ps_row_json(json_t *list, const struct ps_row *r)
{
    json_t *o = json_pack("{s:i, s:o, s:s}", "pid", (int)r->pid, "command",
                          json_text(r->comm), "state",
                          r->status_rc ? "unknown" : scope_state_name(&r->st));

    if (!o)
        return -1;
    if (r->status_rc) {
        json_object_set_new(o, "error", json_string(status_error_text(r->status_rc)));
    } else {
        json_object_set_new(o, "patched_slots", json_integer(r->st.patched_slots));
        json_object_set_new(o, "metric_dest", json_text(r->st.metric_dest));
        json_object_set_new(o, "event_dest", json_text(r->st.event_dest));
    }
    json_object_set_new(o, "library", json_text(r->lib));
    return json_array_append_new(list, o);
}

static int ps_row_add(struct ps_out *out, const struct ps_row *r)
{
    char pid[16], slots[16];
    bool known = r->status_rc == 0;

    if (out->list)
        return ps_row_json(out->list, r);
    snprintf(pid, sizeof pid, "%d", (int)r->pid);
    snprintf(slots, sizeof slots, "%u", known ? r->st.patched_slots : 0);
    const char *cells[] = {
        pid, r->comm, known ? scope_state_name(&r->st) : "unknown",
        known ? slots : "-", known && r->st.metric_dest[0] ? r->st.metric_dest : "-",
        known && r->st.event_dest[0] ? r->st.event_dest : "-",
    };
    return inj_table_add(out->table, cells);
}

/* 1: a row, 0: no libscope.so there (or the process is gone), -errno: it
 * could not be read. */
static int ps_probe(pid_t pid, struct ps_row *r)
{
    int rc = scope_status_read(pid, &r->st, r->lib, sizeof r->lib);

    if (rc == 1)
        return 0;
    if (rc == -EPERM || rc == -EACCES)
        return rc;
    if (rc < 0 && !inj_proc_state(pid))
        return 0;
    r->pid = pid;
    r->status_rc = rc;
    inj_proc_comm(pid, r->comm, sizeof r->comm);
    return 1;
}

/* Every other process in /proc. Returns 0, or 1 when none could be read. */
static int ps_scan(DIR *proc, struct ps_out *out)
{
    struct dirent *e;
    struct ps_row row;
    int readable = 0, unreadable = 0, rc;

    while ((e = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == getpid())
            continue;
        memset(&row, 0, sizeof row);
        rc = ps_probe((pid_t)pid, &row);
        if (rc < 0) {
            unreadable++;
            continue;
        }
        readable++;
        if (rc == 1 && ps_row_add(out, &row) < 0) {
            fputs("scope: out of memory\n", stderr);
            return 1;
        }
    }
    if (readable == 0 && unreadable > 0) {
        fprintf(stderr, "scope: no process could be read (%d tried): reading another "
                "process needs ptrace access: the same uid or CAP_SYS_PTRACE\n", unreadable);
        return 1;
    }
    return 0;
}

int inj_ps_main(int argc, char **argv)
{
    static const char *const headers[] = { "PID", "COMMAND", "STATE", "SLOTS", "METRICS", "EVENTS" };
    struct ps_out out = { NULL, NULL };
    bool json;
    DIR *proc;
    int rc;

    switch (args_parse("ps", argc, argv, &json, NULL)) {
    case PARSE_HELP:
        fputs(inj_ps_help, stdout);
        return 0;
    case PARSE_USAGE:
        return 2;
    case PARSE_OK:
        break;
    }
    if (!(proc = opendir("/proc"))) {
        fprintf(stderr, "scope: cannot read /proc: %s\n", strerror(errno));
        return 1;
    }
    if (json)
        out.list = json_array();
    else
        out.table = inj_table_new(sizeof headers / sizeof headers[0], headers);
    if (out.list || out.table) {
        rc = ps_scan(proc, &out);
    } else {
        fputs("scope: out of memory\n", stderr);
        rc = 1;
    }
    closedir(proc);
    if (json) {
        if (rc == 0)
            return json_print(json_pack("{s:o}", "processes", out.list));
        json_decref(out.list);
        return rc;
    }
    if (rc == 0)
        inj_table_print(out.table, stdout, 0);
    inj_table_free(out.table);
    return rc;
}

/* ---- the objects of a process ------------------------------------------- */

struct func {
    char *name;
    uint64_t value;
    bool dynamic, hidden_version, ifunc;
};

struct object {
    const char *path;           /* as the process sees it (points into maps) */
    uintptr_t base;             /* start of its mapping at file offset 0 */
    uintptr_t bias;             /* what file addresses are moved by */
    struct ep_elf_layout layout;
    struct func *funcs;
    size_t nfuncs, capfuncs;
    int error;                  /* -errno: its file could not be read */
};

/* Where the loader bound a hooked name: the definition, in the first object
 * that exports it (note 10: default version only). No definer: an
 * undefined weak reference, bound to 0. */
struct original {
    const struct object *definer;
    uintptr_t addr;
    bool ifunc;                 /* addr unknown: the resolver picks it */
    bool resolved;              /* computed (lazily, once per name) */
};

struct process {
    pid_t pid;
    struct inj_maps maps;
    struct object *objects;     /* maps order of first appearance */
    size_t nobjects;
    const struct object *scope; /* libscope.so, or NULL */
    struct original originals[NHOOKS];
};

static int func_add(const struct ep_elf_func *f, void *arg)
{
    struct object *o = arg;

    if (o->nfuncs == o->capfuncs) {
        size_t cap = o->capfuncs ? 2 * o->capfuncs : 256;
        struct func *v = realloc(o->funcs, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        o->funcs = v;
        o->capfuncs = cap;
    }
    char *name = strdup(f->name);
    if (!name)
        return -ENOMEM;
    o->funcs[o->nfuncs++] = (struct func){ name, f->value, f->dynamic,
                                           f->hidden_version, f->ifunc };
    return 0;
}

static void object_free(struct object *o)
{
    for (size_t i = 0; i < o->nfuncs; i++)
        free(o->funcs[i].name);
    free(o->funcs);
}

/* 1: an ELF object, 0: some other mapped file (fonts, locale data), or
 * -errno when the process could not be read at all (the caller stops). A
 * file that cannot be read for another reason (deleted, for one) is kept
 * with its error, to be shown. */
static int object_load(pid_t pid, const struct inj_mapping *m, struct object *o)
{
    char file[PATH_MAX + 64];

    memset(o, 0, sizeof *o);
    o->path = m->path;
    o->base = m->start;
    inj_proc_file_path(pid, m->path, file, sizeof file);
    int rc = ep_elf_layout(file, &o->layout);
    if (rc == 0)
        rc = ep_elf_funcs(file, func_add, o);
    if (rc == -ENOEXEC) {
        object_free(o);
        return 0;
    }
    if (rc == -EACCES || rc == -EPERM || rc == -ENOMEM) {
        object_free(o);
        return rc;
    }
    o->error = rc;
    o->bias = o->base - o->layout.first_vaddr;
    return 1;
}

static bool object_known(const struct process *p, const char *path)
{
    for (size_t i = 0; i < p->nobjects; i++)
        if (strcmp(p->objects[i].path, path) == 0)
            return true;
    return false;
}

static void process_free(struct process *p)
{
    for (size_t i = 0; i < p->nobjects; i++)
        object_free(&p->objects[i]);
    free(p->objects);
    inj_maps_free(&p->maps);
}

/* Reading maps needs less than reading memory (Yama restricts only the
 * latter): find out before printing anything. 0 or -errno. */
static int memory_readable(const struct process *p)
{
    unsigned char magic[SELFMAG];

    if (p->nobjects == 0)
        return 0;
    return inj_proc_read(p->pid, p->objects[0].base, magic, sizeof magic);
}

/* Every distinct file mapped at offset 0 that is an ELF object. 0 or
 * -errno. */
static int process_load(pid_t pid, struct process *p)
{
    memset(p, 0, sizeof *p);
    p->pid = pid;
    int rc = inj_maps_read(pid, &p->maps);
    if (rc < 0)
        return rc;
    p->objects = calloc(p->maps.n ? p->maps.n : 1, sizeof *p->objects);
    if (!p->objects)
        return -ENOMEM;
    for (size_t i = 0; i < p->maps.n; i++) {
        const struct inj_mapping *m = &p->maps.v[i];
        if (m->offset != 0 || m->path[0] != '/' || object_known(p, m->path))
            continue;
        rc = object_load(pid, m, &p->objects[p->nobjects]);
        if (rc < 0)
            return rc;
        p->nobjects += (size_t)rc;
    }
    for (size_t i = 0; i < p->nobjects; i++)
        if (is_libscope(p->objects[i].path))
            p->scope = &p->objects[i];
    return memory_readable(p);
}

/* ---- where an address points ------------------------------------------- */

static const struct object *object_at(const struct process *p, uint64_t addr)
{
    for (size_t i = 0; i < p->maps.n; i++) {
        const struct inj_mapping *m = &p->maps.v[i];
        if (addr < m->start || addr >= m->end)
            continue;
        for (size_t k = 0; k < p->nobjects; k++)
            if (strcmp(p->objects[k].path, m->path) == 0)
                return &p->objects[k];
        return NULL;
    }
    return NULL;
}

static bool mapped(const struct process *p, uint64_t addr)
{
    for (size_t i = 0; i < p->maps.n; i++)
        if (addr >= p->maps.v[i].start && addr < p->maps.v[i].end)
            return true;
    return false;
}

static bool in_plt(const struct object *o, uint64_t addr)
{
    for (size_t i = 0; i < o->layout.nplt; i++)
        if (addr >= o->bias + o->layout.plt[i].start && addr < o->bias + o->layout.plt[i].end)
            return true;
    return false;
}

/* The name of the function at exactly addr: `preferred` if it is one of
 * them (aliases such as write and __write share an address), else the
 * first, exported ones first. NULL if none starts there. */
static const char *func_at(const struct object *o, uint64_t addr, const char *preferred)
{
    const char *first = NULL;

    for (size_t i = 0; i < o->nfuncs; i++) {
        if (o->funcs[i].ifunc || o->bias + o->funcs[i].value != addr)
            continue;
        if (strcmp(o->funcs[i].name, preferred) == 0)
            return o->funcs[i].name;
        if (!first)
            first = o->funcs[i].name;
    }
    return first;
}

/* The function `name` as an unversioned lookup finds it in o, or NULL. */
static const struct func *func_exported(const struct object *o, const char *name)
{
    for (size_t k = 0; k < o->nfuncs; k++) {
        const struct func *f = &o->funcs[k];
        if (f->dynamic && !f->hidden_version && strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

/* libscope.so exports no hooked name, and would not count if it did: the
 * original is what the process would call without scope. */
static const struct original *original_of(struct process *p, size_t hook)
{
    struct original *orig = &p->originals[hook];

    for (size_t i = 0; !orig->resolved && i < p->nobjects; i++) {
        const struct object *o = &p->objects[i];
        const struct func *f = o == p->scope ? NULL : func_exported(o, hook_names[hook]);
        if (!f)
            continue;
        orig->definer = o;
        orig->addr = f->ifunc ? 0 : o->bias + f->value;
        orig->ifunc = f->ifunc;
        orig->resolved = true;
    }
    orig->resolved = true;
    return orig;
}

/* ---- slots ---------------------------------------------------------------- */

enum slot_state { SLOT_HOOKED, SLOT_ORIGINAL, SLOT_OTHER, SLOT_STATES };

static const char *const slot_state_names[SLOT_STATES] = { "hooked", "original", "other" };

struct slot {
    size_t hook;                /* index into hook_names */
    unsigned type;
    uintptr_t addr;
    uint64_t value;
    char points_to[320];        /* object basename and symbol */
    enum slot_state state;
    const struct original *original;
};

struct slot_list {
    struct slot *v;
    size_t n, cap;
};

static int slot_found(const char *name, uint64_t offset, unsigned type, void *arg)
{
    struct slot_list *l = arg;
    size_t hook = 0;

    while (hook < NHOOKS && hook_names[hook] != name)
        hook++;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct slot *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct slot){ .hook = hook, .type = type, .addr = offset };
    return 0;
}

static const char *reloc_type_name(unsigned type)
{
    switch (type) {
    case R_X86_64_JUMP_SLOT:
        return "JUMP_SLOT";
    case R_X86_64_GLOB_DAT:
        return "GLOB_DAT";
    default:
        return "64";
    }
}

/* What s->value is, for a person: see NOW in the help. */
static void slot_describe(const struct process *p, const struct object *own, struct slot *s)
{
    const char *name = hook_names[s->hook];
    const struct object *to = object_at(p, s->value);
    char wrapper[64];
    const char *fn;

    if (s->value == 0) {
        snprintf(s->points_to, sizeof s->points_to, "null");
    } else if (to && to == p->scope) {
        snprintf(wrapper, sizeof wrapper, "ip_wrap_%s", name);
        fn = func_at(to, s->value, wrapper);
        snprintf(s->points_to, sizeof s->points_to, "libscope%s%s", fn ? ":" : "", fn ? fn : "");
    } else if (to && to == own && in_plt(own, s->value)) {
        snprintf(s->points_to, sizeof s->points_to, "plt-stub");
    } else if (to && (fn = func_at(to, s->value, name))) {
        snprintf(s->points_to, sizeof s->points_to, "%s:%s", basename_of(to->path), fn);
    } else if (to) {
        snprintf(s->points_to, sizeof s->points_to, "%s+0x%llx", basename_of(to->path),
                 (unsigned long long)(s->value - to->bias));
    } else {
        snprintf(s->points_to, sizeof s->points_to, "%s", mapped(p, s->value) ? "anonymous memory" : "unmapped");
    }
}

static enum slot_state slot_judge(const struct process *p, const struct object *own,
                                  const struct slot *s)
{
    const struct object *to = object_at(p, s->value);
    const struct original *orig = s->original;

    if (to && to == p->scope)
        return SLOT_HOOKED;
    if (to && to == own && in_plt(own, s->value))
        return SLOT_ORIGINAL;
    if (orig->ifunc ? to == orig->definer : s->value == orig->addr)
        return SLOT_ORIGINAL;
    return SLOT_OTHER;
}

/* The object's slots with their values and verdicts. 0 or -errno. */
static int slots_read(struct process *p, const struct object *o, struct slot_list *l)
{
    char file[PATH_MAX + 64];
    int rc;

    inj_proc_file_path(p->pid, o->path, file, sizeof file);
    rc = ep_elf_slots(file, hook_names, NHOOKS, slot_found, l);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        struct slot *s = &l->v[i];
        s->addr += o->bias;
        if ((rc = inj_proc_read(p->pid, s->addr, &s->value, sizeof s->value)) < 0)
            return rc;
        s->original = original_of(p, s->hook);
        slot_describe(p, o, s);
        s->state = slot_judge(p, o, s);
    }
    return 0;
}

/* ---- inspect's output ------------------------------------------------------ */

struct tally {
    size_t slots, by_state[SLOT_STATES];
};

static void original_text(const struct original *orig, char *out, size_t cap)
{
    if (orig->ifunc)
        snprintf(out, cap, "ifunc");
    else
        hex(out, cap, orig->addr);
}

static int slots_table_print(const struct slot_list *l)
{
    static const char *const headers[] = { "SLOT", "SYMBOL", "TYPE", "NOW", "STATE", "VALUE", "ORIGINAL" };
    struct inj_table *t = inj_table_new(sizeof headers / sizeof headers[0], headers);
    char addr[32], value[32], orig[32];

    for (size_t i = 0; t && i < l->n; i++) {
        const struct slot *s = &l->v[i];
        hex(addr, sizeof addr, s->addr);
        hex(value, sizeof value, s->value);
        original_text(s->original, orig, sizeof orig);
        const char *cells[] = { addr, hook_names[s->hook], reloc_type_name(s->type),
                                s->points_to, slot_state_names[s->state], value, orig };
        if (inj_table_add(t, cells) < 0) {
            inj_table_free(t);
            t = NULL;
        }
    }
    if (!t)
        return -ENOMEM;
    inj_table_print(t, stdout, 0);
    inj_table_free(t);
    return 0;
}

static void object_heading_print(const struct object *o, const struct slot_list *l)
{
    printf("\n%s  base 0x%llx", o->path, (unsigned long long)o->base);
    if (o->error)
        printf(": cannot read its file: %s\n", strerror(-o->error));
    else if (l->n == 0)
        printf(": no slots of hooked functions\n");
    else
        printf("  %zu slot%s\n", l->n, l->n == 1 ? "" : "s");
}

static json_t *slot_json(const struct slot *s)
{
    char addr[32], value[32];

    hex(addr, sizeof addr, s->addr);
    hex(value, sizeof value, s->value);
    json_t *orig = json_null();
    if (!s->original->ifunc) {
        char o[32];
        hex(o, sizeof o, s->original->addr);
        orig = json_string(o);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "symbol", hook_names[s->hook],
                     "type", reloc_type_name(s->type), "slot", addr, "value", value,
                     "points_to", json_text(s->points_to), "original", orig,
                     "state", slot_state_names[s->state]);
}

static json_t *object_json(const struct object *o, const struct slot_list *l)
{
    char base[32];
    json_t *slots = json_array();

    hex(base, sizeof base, o->base);
    for (size_t i = 0; slots && i < l->n; i++)
        json_array_append_new(slots, slot_json(&l->v[i]));
    json_t *j = json_pack("{s:o, s:s, s:o}", "path", json_text(o->path), "base", base,
                          "slots", slots);
    if (j && o->error)
        json_object_set_new(j, "error", json_string(strerror(-o->error)));
    return j;
}

/* One object: its slots read, judged, counted and shown (or added to
 * `objects` for --json). 0 or -errno. */
static int object_report(struct process *p, const struct object *o, json_t *objects,
                         struct tally *tally)
{
    struct slot_list l = { NULL, 0, 0 };
    int rc = o->error ? 0 : slots_read(p, o, &l);

    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        tally->slots++;
        tally->by_state[l.v[i].state]++;
    }
    if (rc == 0 && objects) {
        rc = json_array_append_new(objects, object_json(o, &l)) ? -ENOMEM : 0;
    } else if (rc == 0) {
        object_heading_print(o, &l);
        if (l.n)
            rc = slots_table_print(&l);
    }
    free(l.v);
    return rc;
}

static json_t *scope_json(int rc, const struct scope_ctl_status *st, const char *lib)
{
    if (rc == 1)
        return json_pack("{s:b}", "loaded", 0);
    if (rc < 0)
        return json_pack("{s:b, s:s, s:o, s:s}", "loaded", 1, "state", "unknown", "path",
                         json_text(lib), "error", status_error_text(rc));
    return json_pack("{s:b, s:s, s:o, s:i, s:o, s:o, s:i, s:i, s:o}", "loaded", 1,
                     "state", scope_state_name(st), "path", json_text(lib),
                     "patched_slots", (int)st->patched_slots,
                     "metric_dest", json_text(st->metric_dest),
                     "event_dest", json_text(st->event_dest),
                     "attaches", (int)st->attaches, "detaches", (int)st->detaches,
                     "error", json_text(st->error));
}

static void scope_line_print(int rc, const struct scope_ctl_status *st, const char *lib)
{
    if (rc == 1) {
        puts("libscope not loaded");
        return;
    }
    if (rc < 0) {
        printf("libscope unknown: %s (%s)\n", lib, status_error_text(rc));
        return;
    }
    printf("libscope %s: %s, %u slot%s patched by it\n", scope_state_name(st), lib,
           st->patched_slots, st->patched_slots == 1 ? "" : "s");
    if (st->error[0])
        printf("last attach failed: %s\n", st->error);
}

static void summary_print(const struct tally *t)
{
    printf("\n%zu slots: %zu hooked, %zu original, %zu other\n", t->slots,
           t->by_state[SLOT_HOOKED], t->by_state[SLOT_ORIGINAL], t->by_state[SLOT_OTHER]);
}

static json_t *summary_json(const struct tally *t)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "slots", (json_int_t)t->slots,
                     "hooked", (json_int_t)t->by_state[SLOT_HOOKED],
                     "original", (json_int_t)t->by_state[SLOT_ORIGINAL],
                     "other", (json_int_t)t->by_state[SLOT_OTHER]);
}

/* Everything but the libscope.so the process has loaded. */
static int objects_report(struct process *p, json_t *objects, struct tally *tally)
{
    for (size_t i = 0; i < p->nobjects; i++) {
        if (&p->objects[i] == p->scope)
            continue;
        int rc = object_report(p, &p->objects[i], objects, tally);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int inspect(pid_t pid, bool json)
{
    struct process p;
    struct scope_ctl_status st;
    struct tally tally = { 0, { 0 } };
    char lib[PATH_MAX] = "", comm[64];
    json_t *objects = json ? json_array() : NULL;

    inj_proc_comm(pid, comm, sizeof comm);
    int scope_rc = scope_status_read(pid, &st, lib, sizeof lib);
    int rc = process_load(pid, &p);
    if (rc == 0 && json && !objects)
        rc = -ENOMEM;
    if (rc == 0 && !json) {
        printf("PID %d (%s)\n", (int)pid, comm);
        scope_line_print(scope_rc, &st, lib);
    }
    if (rc == 0)
        rc = objects_report(&p, objects, &tally);
    process_free(&p);
    if (rc < 0) {
        json_decref(objects);
        read_failure_print(pid, rc);
        return 1;
    }
    if (!json) {
        summary_print(&tally);
        return 0;
    }
    return json_print(json_pack("{s:i, s:o, s:o, s:o, s:o}", "pid", (int)pid,
                                "command", json_text(comm),
                                "libscope", scope_json(scope_rc, &st, lib),
                                "objects", objects, "summary", summary_json(&tally)));
}

int inj_inspect_main(int argc, char **argv)
{
    const char *arg = NULL;
    char err[256];
    bool json;
    pid_t pid;

    switch (args_parse("inspect", argc, argv, &json, &arg)) {
    case PARSE_HELP:
        fputs(inj_inspect_help, stdout);
        return 0;
    case PARSE_USAGE:
        return 2;
    case PARSE_OK:
        break;
    }
    if (arg[strspn(arg, "0123456789")] != '\0') {
        inj_usage("inspect", "PID '%s' is not a number", arg);
        return 2;
    }
    if (inj_pid_resolve(arg, &pid, err, sizeof err) < 0) {
        fprintf(stderr, "scope: %s\n", err);
        return 1;
    }
    if (inj_proc_state(pid) == 'Z') {
        fprintf(stderr, "scope: process %d is a zombie: it has no memory left to inspect\n",
                (int)pid);
        return 1;
    }
    return inspect(pid, json);
}
