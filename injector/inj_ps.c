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

struct ps_out {
    struct inj_table *table;
    json_t *list;
};

static int ps_row_json(json_t *list, const struct inj_ps_row *r)
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

static int ps_row_add(struct ps_out *out, const struct inj_ps_row *r)
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
static int ps_probe(pid_t pid, struct inj_ps_row *r)
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

int inj_ps_scan(int (*each)(const struct inj_ps_row *, void *), void *ctx,
                char *why, size_t whylen)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;
    struct inj_ps_row row;
    int readable = 0, unreadable = 0, rc = 0;

    if (!proc) {
        snprintf(why, whylen, "cannot read /proc: %s", strerror(errno));
        return 1;
    }
    while (rc == 0 && (e = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == getpid())
            continue;
        memset(&row, 0, sizeof row);
        int found = ps_probe((pid_t)pid, &row);
        if (found < 0) {
            unreadable++;
            continue;
        }
        readable++;
        if (found == 1 && each(&row, ctx) < 0)
            rc = -1;
    }
    closedir(proc);
    if (rc == 0 && readable == 0 && unreadable > 0) {
        snprintf(why, whylen, "no process could be read (%d tried): reading another "
                 "process needs ptrace access: the same uid or CAP_SYS_PTRACE", unreadable);
        return 1;
    }
    return rc;
}

static int ps_row_each(const struct inj_ps_row *r, void *ctx)
{
    return ps_row_add(ctx, r);
}

int inj_ps_main(int argc, char **argv)
{
    static const char *const headers[] = { "PID", "COMMAND", "STATE", "SLOTS", "METRICS", "EVENTS" };
    struct ps_out out = { NULL, NULL };
    char why[256];
    bool json;
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
    if (json)
        out.list = json_array();
    else
        out.table = inj_table_new(sizeof headers / sizeof headers[0], headers);
    if (!out.list && !out.table) {
        fputs("scope: out of memory\n", stderr);
        return 1;
    }
    rc = inj_ps_scan(ps_row_each, &out, why, sizeof why);
    if (rc == 1)
        fprintf(stderr, "scope: %s\n", why);
    else if (rc < 0)
        fputs("scope: out of memory\n", stderr);
    rc = rc ? 1 : 0;
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
