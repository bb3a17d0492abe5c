/* inj_ps.c: `scope ps` (see inj_ps.h). It only looks: /proc/PID/maps,
 * the library's file through /proc/PID/root, and libscope's status read
 * with process_vm_readv; no process is stopped. */
#include "inj_ps.h"

#include "inj_cli.h"
#include "inj_help.h"
#include "inj_look.h"
#include "inj_proc.h"
#include "inj_table.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
                          inj_look_json_text(r->comm), "state",
                          r->status_rc ? "unknown" : inj_look_state_name(&r->st));

    if (!o)
        return -1;
    if (r->status_rc) {
        json_object_set_new(o, "error", json_string(inj_look_status_error(r->status_rc)));
    } else {
        json_object_set_new(o, "patched_slots", json_integer(r->st.patched_slots));
        json_object_set_new(o, "metric_dest", inj_look_json_text(r->st.metric_dest));
        json_object_set_new(o, "event_dest", inj_look_json_text(r->st.event_dest));
    }
    json_object_set_new(o, "library", inj_look_json_text(r->lib));
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
        pid, r->comm, known ? inj_look_state_name(&r->st) : "unknown",
        known ? slots : "-", known && r->st.metric_dest[0] ? r->st.metric_dest : "-",
        known && r->st.event_dest[0] ? r->st.event_dest : "-",
    };
    return inj_table_add(out->table, cells);
}

/* 1: a row, 0: no libscope.so there (or the process is gone), -errno: it
 * could not be read. */
static int ps_probe(pid_t pid, struct ps_row *r)
{
    int rc = inj_scope_status(pid, &r->st, r->lib, sizeof r->lib);

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

    switch (inj_cli_look("ps", argc, argv, &json, NULL)) {
    case INJ_CLI_HELP:
        inj_help_print("ps", stdout);
        return 0;
    case INJ_CLI_USAGE:
        return 2;
    case INJ_CLI_OK:
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
            return inj_look_json_print(json_pack("{s:o}", "processes", out.list));
        json_decref(out.list);
        return rc;
    }
    if (rc == 0)
        inj_table_print(out.table, stdout, 0);
    inj_table_free(out.table);
    return rc;
}
