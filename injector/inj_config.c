/* inj_config.c: scope.yml for `scope run` and `scope attach`, and
 * --dry-run (see inj_config.h). */
#include "inj_config.h"

#include "rep_config.h"
#include "rep_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every error of the file, one line each. */
static void errors_print(const struct rep_yaml *y, const char *path)
{
    unsigned shown = 0;

    for (const char *l = y->errors; *l; shown++) {
        size_t n = strcspn(l, "\n");
        fprintf(stderr, "scope: %.*s\n", (int)n, l);
        l += n + (l[n] == '\n');
    }
    if (shown < y->nerrors)
        fprintf(stderr, "scope: %s: %u more errors not shown\n", path, y->nerrors - shown);
}

/* The file to read into c->path (absolute), or none. 0, or -1 after an
 * error message. */
static int config_find(const char *file, struct inj_config *c)
{
    char found[PATH_MAX], why[PATH_MAX + 64];
    int rc;

    if (!file) {
        if ((rc = rep_yaml_find(found, sizeof found, why, sizeof why)) < 0) {
            fprintf(stderr, "scope: %s\n", why);
            return -1;
        }
        if (rc == 0)
            return 0;
        file = found;
    }
    if (!realpath(file, c->path)) {
        fprintf(stderr, "scope: %s: %s\n", file, strerror(errno));
        c->path[0] = '\0';
        return -1;
    }
    return 0;
}

/* A destination the option (named by `option`) does not give: the
 * environment's, checked as the option is, else the file's. */
static int dest_resolve(const char *cmd, const char *option, const char *key,
                        struct inj_config *c, const char **dest, const char **from,
                        char *buf, size_t cap, char *from_buf, size_t from_cap)
{
    const char *env = getenv(key);
    char err[512];
    unsigned line;

    if (*dest) {
        *from = option;
        return 0;
    }
    if (env) {
        if (rep_transport_url_check(env, err, sizeof err) < 0) {
            inj_usage(cmd, "%s: %s", key, err);
            return -1;
        }
        snprintf(buf, cap, "%s", env);
        *dest = buf;
        *from = "environment";
    } else if (rep_yaml_value(&c->yaml, key, buf, cap, &line)) {
        snprintf(from_buf, from_cap, "file %s:%u", c->path, line);
        *dest = buf;
        *from = from_buf;
    }
    return 0;
}

/* inj_config_run's loading: 0, or -1 after printing why. c is to be freed
 * with config_free in any case. */
static int config_load(const char *cmd, struct inj_run_opts *o, struct inj_config *c)
{
    memset(c, 0, sizeof *c);
    if (config_find(o->config, c) < 0)
        return -1;
    if (c->path[0] && rep_yaml_read(&c->yaml, c->path) > 0) {
        errors_print(&c->yaml, c->path);
        return -1;
    }
    if (dest_resolve(cmd, "option -m", "SCOPE_METRIC_DEST", c, &o->metric_dest, &o->metric_from,
                     c->metric_dest, sizeof c->metric_dest,
                     c->metric_from, sizeof c->metric_from) < 0 ||
        dest_resolve(cmd, "option -e", "SCOPE_EVENT_DEST", c, &o->event_dest, &o->event_from,
                     c->event_dest, sizeof c->event_dest,
                     c->event_from, sizeof c->event_from) < 0)
        return -1;
    if (o->metric_format && !o->metric_dest && strcmp(o->metric_format, "statsd") == 0) {
        inj_usage(cmd, "--metricformat statsd needs -m: the session's metrics.json "
                  "is always ndjson");
        return -1;
    }
    return 0;
}

static void config_free(struct inj_config *c)
{
    rep_yaml_free(&c->yaml);
}

void inj_config_sets(const struct inj_run_opts *o, const struct inj_dests *d, const char *dir,
                     struct inj_config_set set[INJ_CONFIG_NSET])
{
    const char *format_from = o->metric_format ? "option --metricformat" :
                              "session (its metrics.json is always ndjson)";
    struct inj_config_set all[INJ_CONFIG_NSET] = {
        {"SCOPE_METRIC_DEST", d->metric, o->metric_dest ? o->metric_from : "session"},
        {"SCOPE_EVENT_DEST", d->event, o->event_dest ? o->event_from : "session"},
        {"SCOPE_METRIC_FORMAT", d->metric_format, format_from},
        {"SCOPE_METRIC_VERBOSITY", o->verbosity, "option -v"},
        {"SCOPE_SUMMARY_PERIOD", o->period, "option -p"},
        {"SCOPE_SNAPSHOT_BACKTRACE", o->backtrace ? "true" : NULL, "option --backtrace"},
        {"SCOPE_SESSION_DIR", dir[0] ? dir : NULL, "session"},
    };

    memcpy(set, all, sizeof all);
}

const struct inj_config_set *inj_config_set_find(const struct inj_config_set set[INJ_CONFIG_NSET],
                                                 const char *key)
{
    for (size_t i = 0; i < INJ_CONFIG_NSET; i++)
        if (set[i].value && strcmp(set[i].key, key) == 0)
            return &set[i];
    return NULL;
}

/* One key: what scope sets, else the environment, else the file, else the
 * default (NULL: none). */
static void key_print(const struct inj_config *c, const struct inj_config_set *set,
                      const char *key, const char *dflt, FILE *out)
{
    char buf[4096];
    const char *env = getenv(key), *v;
    const struct inj_config_set *ours = inj_config_set_find(set, key);
    unsigned line;

    if (ours)
        fprintf(out, "%s=%s\t# %s\n", key, ours->value, ours->source);
    else if (env)
        fprintf(out, "%s=%s\t# environment\n", key, env);
    else if ((v = rep_yaml_value(&c->yaml, key, buf, sizeof buf, &line)))
        fprintf(out, "%s=%s\t# file %s:%u\n", key, v, c->path, line);
    else if (dflt)
        fprintf(out, "%s=%s\t# default\n", key, dflt);
}

/* "KEY" of a "KEY=VALUE" line into key; 0, or -1 when it does not fit. */
static int key_of(const char *line, char *key, size_t cap)
{
    size_t n = strcspn(line, "=\n");

    if (n >= cap)
        return -1;
    memcpy(key, line, n);
    key[n] = '\0';
    return 0;
}

static void config_print(const struct inj_config *c, const struct inj_config_set *set,
                         FILE *out)
{
    extern char **environ;
    char key[256], buf[4096];

    fprintf(out, "# configuration file: %s\n", c->path[0] ? c->path : "none");
    for (const char *l = rep_config_default_lines; *l;) {
        size_t n = strcspn(l, "\n");
        snprintf(buf, sizeof buf, "%.*s", (int)n, l);
        char *eq = strchr(buf, '=');
        *eq = '\0';
        key_print(c, set, buf, eq + 1, out);
        l += n + 1;
    }
    /* Tags: the file's, then the environment's that the file has not. */
    for (const char *l = c->yaml.lines; l && *l; l += strcspn(l, "\n") + 1)
        if (strncmp(l, "SCOPE_TAG_", 10) == 0 && key_of(l, key, sizeof key) == 0)
            key_print(c, set, key, NULL, out);
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "SCOPE_TAG_", 10) == 0 && key_of(*e, key, sizeof key) == 0 &&
            !rep_yaml_value(&c->yaml, key, buf, sizeof buf, NULL))
            key_print(c, set, key, NULL, out);
}

/* --dry-run: every key, its effective value and where it comes from
 * ("KEY=VALUE\t# SOURCE", SOURCE: default, file FILE:LINE, environment,
 * option ..., session), a session directory shown as
 * $SCOPE_HOME/history/<session>. Returns the exit status. */
static int config_dry_run(const struct inj_run_opts *o, const struct inj_config *c)
{
    char hist[PATH_MAX], dir[PATH_MAX + 16] = "";
    struct inj_config_set set[INJ_CONFIG_NSET];
    struct inj_dests d;

    if (!(o->metric_dest && o->event_dest)) {
        if (inj_history_dir(hist, sizeof hist) < 0)
            return 2;
        snprintf(dir, sizeof dir, "%s/<session>", hist);
    }
    inj_dests_choose(o->metric_dest, o->event_dest, o->metric_format, dir, &d);
    inj_config_sets(o, &d, dir, set);
    config_print(c, set, stdout);
    return 0;
}

int inj_config_run(const char *cmd, struct inj_run_opts *o, inj_config_go_fn *go, void *arg)
{
    struct inj_config *c = malloc(sizeof *c);   /* ~25 KiB: not on the stack */
    int rc;

    if (!c) {
        fprintf(stderr, "scope: out of memory\n");
        return 2;
    }
    if (config_load(cmd, o, c) < 0)
        rc = 2;
    else
        rc = o->dry_run ? config_dry_run(o, c) : go(arg, c);
    config_free(c);
    free(c);
    return rc;
}

static int config_add(char **buf, size_t *len, size_t *cap, const char *key, const char *value)
{
    size_t need = strlen(key) + strlen(value) + 2;

    if (*len + need + 1 > *cap) {
        size_t ncap = (*cap + need) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    *len += (size_t)sprintf(*buf + *len, "%s=%s\n", key, value);
    return 0;
}

/* The library takes the last line of a key. */
int inj_config_append(char **block, const char *key, const char *value)
{
    size_t len = strlen(*block), cap = len + 1;

    return config_add(block, &len, &cap, key, value);
}

char *inj_config_block(const struct inj_run_opts *o, const struct inj_dests *to, const char *dir,
                       const struct inj_config *cfg)
{
    extern char **environ;
    struct inj_config_set set[INJ_CONFIG_NSET];
    size_t len = strlen(cfg->yaml.lines ? cfg->yaml.lines : ""), cap = len + 256;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -1;

    inj_config_sets(o, to, dir, set);
    if (buf)
        memcpy(buf, cfg->yaml.lines ? cfg->yaml.lines : "", len + 1);
    for (char **e = environ; rc == 0 && *e; e++) {
        char key[256];
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "SCOPE_", 6) != 0 || !eq || (size_t)(eq - *e) >= sizeof key ||
            strchr(eq, '\n'))
            continue;
        snprintf(key, sizeof key, "%.*s", (int)(eq - *e), *e);
        if (!inj_config_set_find(set, key))
            rc = config_add(&buf, &len, &cap, key, eq + 1);
    }
    for (size_t i = 0; rc == 0 && i < INJ_CONFIG_NSET; i++)
        if (set[i].value)
            rc = config_add(&buf, &len, &cap, set[i].key, set[i].value);
    if (rc != 0) {
        free(buf);
        fprintf(stderr, "scope: out of memory\n");
        return NULL;
    }
    return buf;
}
