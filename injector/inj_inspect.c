/* inj_inspect.c: `scope inspect` (see inj_inspect.h).
 *
 * It only looks: /proc/PID/maps, the objects' files through
 * /proc/PID/root, and memory through process_vm_readv. It never stops the
 * process (no ptrace), so it is safe on anything at any time; on a busy
 * process the picture is only as old as the read. What it reads goes into
 * the model of inj_slots, which judges every slot.
 */
#include "inj_inspect.h"
#include "inj_term.h"

#include "elfpatch.h"
#include "inj_cli.h"
#include "inj_help.h"
#include "inj_look.h"
#include "inj_proc.h"
#include "inj_slots.h"
#include "inj_table.h"

#include <elf.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why the process could not be read, in terms the operator can act on:
 * which rule of ptrace access (uid, Yama, capability) stands in the way.
 * err is -errno. */
static void read_failure_print(pid_t pid, int err)
{
    int yama = inj_yama_ptrace_scope();

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

static void hex(char *out, size_t cap, uint64_t v)
{
    snprintf(out, cap, "0x%llx", (unsigned long long)v);
}

/* ---- the objects of a process ------------------------------------------- */

struct process {
    pid_t pid;
    struct inj_maps maps;
    struct inj_object *objects;
    size_t nobjects;
    struct inj_model model;
};

static int func_add(const struct ep_elf_func *f, void *arg)
{
    return inj_object_add_func(arg, f);
}

static int slot_found(const char *name, uint64_t offset, unsigned type, void *arg)
{
    return inj_slot_list_add(arg, name, offset, type);
}

/* 1: an ELF object, 0: some other mapped file (fonts, locale data), or
 * -errno when the process could not be read at all (the caller stops). A
 * file that cannot be read for another reason (deleted, for one) is kept
 * with its error, to be shown. */
static int object_load(pid_t pid, const struct inj_mapping *m, struct inj_object *o)
{
    char file[PATH_MAX + 64];

    memset(o, 0, sizeof *o);
    o->path = m->path;
    o->map = m;
    o->base = m->start;
    int rc = inj_proc_object_path(pid, m, file, sizeof file);
    if (rc == 0)
        rc = ep_elf_layout(file, &o->layout);
    if (rc == 0)
        rc = ep_elf_funcs(file, func_add, o);
    if (rc == -ENOEXEC) {
        inj_object_free(o);
        return 0;
    }
    if (rc == -EACCES || rc == -EPERM || rc == -ENOMEM) {
        inj_object_free(o);
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
        inj_object_free(&p->objects[i]);
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
    inj_model_init(&p->model, p->maps.v, p->maps.n, p->objects, p->nobjects);
    return memory_readable(p);
}

/* The object's slots with their values and verdicts. 0 or -errno. */
static int slots_read(struct process *p, const struct inj_object *o, struct inj_slot_list *l)
{
    char file[PATH_MAX + 64];
    int rc;

    if ((rc = inj_proc_object_path(p->pid, o->map, file, sizeof file)) != 0)
        return rc;
    rc = ep_elf_slots(file, inj_hook_names, INJ_NHOOKS, slot_found, l);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        struct inj_slot *s = &l->v[i];
        s->addr += o->bias;
        if ((rc = inj_proc_read(p->pid, s->addr, &s->value, sizeof s->value)) < 0)
            return rc;
        inj_slot_judge(&p->model, o, s);
    }
    return 0;
}

/* ---- inspect's output ------------------------------------------------------ */

struct tally {
    size_t slots, by_state[INJ_SLOT_STATES];
};

static void original_text(const struct inj_original *orig, char *out, size_t cap)
{
    if (orig->ifunc)
        snprintf(out, cap, "ifunc");
    else
        hex(out, cap, orig->addr);
}

static int slots_table_print(const struct inj_slot_list *l)
{
    static const char *const headers[] = { "SLOT", "SYMBOL", "TYPE", "NOW", "STATE", "VALUE", "ORIGINAL" };
    struct inj_table *t = inj_table_new(sizeof headers / sizeof headers[0], headers);
    char addr[32], value[32], orig[32];

    for (size_t i = 0; t && i < l->n; i++) {
        const struct inj_slot *s = &l->v[i];
        hex(addr, sizeof addr, s->addr);
        hex(value, sizeof value, s->value);
        original_text(s->original, orig, sizeof orig);
        const char *cells[] = { addr, inj_hook_names[s->hook], inj_reloc_type_name(s->type),
                                s->points_to, inj_slot_state_names[s->state], value, orig };
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

static void object_heading_print(const struct inj_object *o, const struct inj_slot_list *l)
{
    char path[INJ_TERM_CAP(PATH_MAX)];

    printf("\n%s  base 0x%llx", inj_term(o->path, path, sizeof path),
           (unsigned long long)o->base);
    if (o->error)
        printf(": cannot read its file: %s\n", strerror(-o->error));
    else if (l->n == 0)
        printf(": no slots of hooked functions\n");
    else
        printf("  %zu slot%s\n", l->n, l->n == 1 ? "" : "s");
}

static json_t *slot_json(const struct inj_slot *s)
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
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "symbol", inj_hook_names[s->hook],
                     "type", inj_reloc_type_name(s->type), "slot", addr, "value", value,
                     "points_to", inj_look_json_text(s->points_to), "original", orig,
                     "state", inj_slot_state_names[s->state]);
}

static json_t *object_json(const struct inj_object *o, const struct inj_slot_list *l)
{
    char base[32];
    json_t *slots = json_array();

    hex(base, sizeof base, o->base);
    for (size_t i = 0; slots && i < l->n; i++)
        json_array_append_new(slots, slot_json(&l->v[i]));
    json_t *j = json_pack("{s:o, s:s, s:o}", "path", inj_look_json_text(o->path), "base", base,
                          "slots", slots);
    if (j && o->error)
        json_object_set_new(j, "error", json_string(strerror(-o->error)));
    return j;
}

/* One object: its slots read, judged, counted and shown (or added to
 * `objects` for --json). 0 or -errno. */
static int object_report(struct process *p, const struct inj_object *o, json_t *objects,
                         struct tally *tally)
{
    struct inj_slot_list l = { NULL, 0, 0 };
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
                         inj_look_json_text(lib), "error", inj_look_status_error(rc));
    return json_pack("{s:b, s:s, s:o, s:i, s:o, s:o, s:i, s:i, s:o}", "loaded", 1,
                     "state", inj_look_state_name(st), "path", inj_look_json_text(lib),
                     "patched_slots", (int)st->patched_slots,
                     "metric_dest", inj_look_json_text(st->metric_dest),
                     "event_dest", inj_look_json_text(st->event_dest),
                     "attaches", (int)st->attaches, "detaches", (int)st->detaches,
                     "error", inj_look_json_text(st->error));
}

static void scope_line_print(int rc, const struct scope_ctl_status *st, const char *path)
{
    char lib[INJ_TERM_CAP(PATH_MAX)], error[INJ_TERM_CAP(sizeof st->error)];

    inj_term(path, lib, sizeof lib);
    if (rc == 1) {
        puts("libscope not loaded");
        return;
    }
    if (rc < 0) {
        printf("libscope unknown: %s (%s)\n", lib, inj_look_status_error(rc));
        return;
    }
    printf("libscope %s: %s, %u slot%s patched by it\n", inj_look_state_name(st), lib,
           st->patched_slots, st->patched_slots == 1 ? "" : "s");
    if (st->error[0])
        printf("last attach failed: %s\n", inj_term(st->error, error, sizeof error));
}

static void summary_print(const struct tally *t)
{
    printf("\n%zu slots: %zu hooked, %zu original, %zu other\n", t->slots,
           t->by_state[INJ_SLOT_HOOKED], t->by_state[INJ_SLOT_ORIGINAL], t->by_state[INJ_SLOT_OTHER]);
}

static json_t *summary_json(const struct tally *t)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "slots", (json_int_t)t->slots,
                     "hooked", (json_int_t)t->by_state[INJ_SLOT_HOOKED],
                     "original", (json_int_t)t->by_state[INJ_SLOT_ORIGINAL],
                     "other", (json_int_t)t->by_state[INJ_SLOT_OTHER]);
}

/* Everything but the libscope.so the process has loaded. */
static int objects_report(struct process *p, json_t *objects, struct tally *tally)
{
    for (size_t i = 0; i < p->nobjects; i++) {
        if (&p->objects[i] == p->model.scope)
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
    int scope_rc = inj_scope_status(pid, &st, lib, sizeof lib);
    /* A leader that called pthread_exit has no memory of its own any more:
     * the process is read through one of its live threads. */
    pid_t live = inj_proc_live_thread(pid);
    int rc = process_load(live ? live : pid, &p);
    if (rc == 0 && json && !objects)
        rc = -ENOMEM;
    if (rc == 0 && !json) {
        char shown[INJ_TERM_CAP(sizeof comm)];
        printf("PID %d (%s)\n", (int)pid, inj_term(comm, shown, sizeof shown));
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
    return inj_look_json_print(json_pack("{s:i, s:o, s:o, s:o, s:o}", "pid", (int)pid,
                                "command", inj_look_json_text(comm),
                                "libscope", scope_json(scope_rc, &st, lib),
                                "objects", objects, "summary", summary_json(&tally)));
}

int inj_inspect_main(int argc, char **argv)
{
    const char *arg = NULL;
    char err[256];
    bool json;
    pid_t pid;

    switch (inj_cli_look("inspect", argc, argv, &json, &arg)) {
    case INJ_CLI_HELP:
        inj_help_print("inspect", stdout);
        return 0;
    case INJ_CLI_USAGE:
        return 2;
    case INJ_CLI_OK:
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
    if (!inj_proc_live_thread(pid) && inj_proc_state(pid) == 'Z') {
        fprintf(stderr, "scope: process %d is a zombie: it has no memory left to inspect\n",
                (int)pid);
        return 1;
    }
    return inspect(pid, json);
}
