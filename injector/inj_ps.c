/* inj_ps.c: `scope ps` (see inj_ps.h). It only looks: /proc/PID/maps,
 * the library's file through /proc/PID/map_files (else its symbols in the
 * process's memory), and libscope's status read with process_vm_readv; no
 * process is stopped. A process in a container shows its pid there
 * (NSPID) and the container's id (12 hex digits, as docker and podman
 * print it; all of it in --json). */
#include "inj_ps.h"
#include "inj_grow.h"

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

/* The rows, kept until all are read: the container columns are shown
 * only when a row is in one. */
struct ps_out {
    struct inj_ps_row *rows;
    size_t n, cap;
    bool json;
};

static int ps_row_json(json_t *list, const struct inj_ps_row *r)
{
    json_t *o = json_pack("{s:i, s:o, s:s}", "pid", (int)r->pid, "command",
                          inj_look_json_text(r->comm), "state",
                          r->status_rc ? "unknown" : inj_look_state_name(&r->st));

    if (!o)
        return -1;
    if (r->ns_pid != r->pid)
        json_object_set_new(o, "ns_pid", json_integer(r->ns_pid));
    if (r->container[0])
        json_object_set_new(o, "container_id", json_string(r->container));
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

static bool row_contained(const struct inj_ps_row *r)
{
    return r->ns_pid != r->pid || r->container[0];
}

/* Its cells; with the container's columns (NSPID, CONTAINER) after PID
 * when wide. */
static int ps_row_cells(struct inj_table *table, const struct inj_ps_row *r, bool wide)
{
    char pid[16], ns_pid[16], slots[16], container[13];
    bool known = r->status_rc == 0;
    const char *cells[8];
    size_t n = 0;

    snprintf(pid, sizeof pid, "%d", (int)r->pid);
    snprintf(ns_pid, sizeof ns_pid, "%d", (int)r->ns_pid);
    snprintf(container, sizeof container, "%.12s", r->container[0] ? r->container : "-");
    snprintf(slots, sizeof slots, "%u", known ? r->st.patched_slots : 0);
    cells[n++] = pid;
    if (wide) {
        cells[n++] = r->ns_pid != r->pid ? ns_pid : "-";
        cells[n++] = container;
    }
    cells[n++] = r->comm;
    cells[n++] = known ? inj_look_state_name(&r->st) : "unknown";
    cells[n++] = known ? slots : "-";
    cells[n++] = known && r->st.metric_dest[0] ? r->st.metric_dest : "-";
    cells[n++] = known && r->st.event_dest[0] ? r->st.event_dest : "-";
    return inj_table_add(table, cells);
}

static int ps_row_add(struct ps_out *out, const struct inj_ps_row *r)
{
    if (inj_grow(&out->rows, &out->cap, out->n, sizeof out->rows[0], 16) < 0)
        return -1;
    out->rows[out->n++] = *r;
    return 0;
}

static int ps_print_table(const struct ps_out *out)
{
    static const char *const headers[] = { "PID", "COMMAND", "STATE", "SLOTS", "METRICS",
                                           "EVENTS" };
    static const char *const wide_headers[] = { "PID", "NSPID", "CONTAINER", "COMMAND",
                                                "STATE", "SLOTS", "METRICS", "EVENTS" };
    bool wide = false;
    int rc = 0;

    for (size_t i = 0; i < out->n; i++)
        wide = wide || row_contained(&out->rows[i]);
    struct inj_table *t = wide ? inj_table_new(8, wide_headers) : inj_table_new(6, headers);
    for (size_t i = 0; t && rc == 0 && i < out->n; i++)
        rc = ps_row_cells(t, &out->rows[i], wide);
    if (!t || rc < 0) {
        fputs("scope: out of memory\n", stderr);
        inj_table_free(t);
        return 1;
    }
    inj_table_print(t, stdout, 0);
    inj_table_free(t);
    return 0;
}

static int ps_print_json(const struct ps_out *out)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < out->n; i++)
        if (ps_row_json(list, &out->rows[i]) < 0) {
            json_decref(list);
            list = NULL;
        }
    if (!list) {
        fputs("scope: out of memory\n", stderr);
        return 1;
    }
    return inj_look_json_print(json_pack("{s:o}", "processes", list));
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
    r->ns_pid = inj_proc_ns_pid(pid);
    inj_proc_container_id(pid, r->container, sizeof r->container);
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
    struct ps_out out = { NULL, 0, 0, false };
    char why[256];
    int rc;

    switch (inj_cli_look("ps", argc, argv, &out.json, NULL)) {
    case INJ_CLI_HELP:
        inj_help_print("ps", stdout);
        return 0;
    case INJ_CLI_USAGE:
        return 2;
    case INJ_CLI_OK:
        break;
    }
    rc = inj_ps_scan(ps_row_each, &out, why, sizeof why);
    if (rc == 1)
        fprintf(stderr, "scope: %s\n", why);
    else if (rc < 0)
        fputs("scope: out of memory\n", stderr);
    if (rc == 0)
        rc = out.json ? ps_print_json(&out) : ps_print_table(&out);
    free(out.rows);
    return rc ? 1 : 0;
}
