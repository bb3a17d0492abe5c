/* inj_config.h: the configuration `scope run` and `scope attach` hand the
 * library, and --dry-run's listing of it.
 *
 * The file is -u FILE, else the first of $SCOPE_CONF_PATH,
 * $SCOPE_HOME/scope.yml (SCOPE_HOME: $HOME/.scope) and /etc/scope/scope.yml
 * (rep_yaml_find, as the library looks). It is checked completely before
 * any process is started or touched: each error is printed as
 * "scope: FILE:LINE: key a.b.c: what is wrong" and the command exits 2.
 *
 * Precedence, lowest first: the library's defaults, the file, scope's own
 * SCOPE_* environment, the options. A destination that none of them gives
 * is the session directory's file.
 */
#ifndef INJ_CONFIG_H
#define INJ_CONFIG_H

#include "inj_cli.h"
#include "inj_session.h"
#include "rep_yaml.h"

#include <limits.h>
#include <stdio.h>

struct inj_config {
    char path[PATH_MAX];            /* the file, absolute; "" when none */
    struct rep_yaml yaml;           /* its SCOPE_* lines */
    /* Destinations from the environment or the file, and where from. */
    char metric_dest[4096], event_dest[4096];
    char metric_from[PATH_MAX + 16], event_from[PATH_MAX + 16];
};

/* Find and check the file; then take -m/-e, else SCOPE_METRIC_DEST /
 * SCOPE_EVENT_DEST, else the file's transports, into o->metric_dest and
 * o->event_dest (pointing into c) with o->metric_from / o->event_from
 * saying which. 0, or -1 after printing why (exit status 2). c is to be
 * freed with inj_config_free in any case. */
int inj_config_load(const char *cmd, struct inj_run_opts *o, struct inj_config *c);

void inj_config_free(struct inj_config *c);

/* A variable scope sets itself (from an option or the session), and why. */
struct inj_config_set {
    const char *key, *value, *source;   /* value NULL: not set */
};

#define INJ_CONFIG_NSET 7

/* What the options and the session directory (dir, "" for none) set. */
void inj_config_sets(const struct inj_run_opts *o, const struct inj_dests *d, const char *dir,
                     struct inj_config_set set[INJ_CONFIG_NSET]);

/* --dry-run: every key, its effective value and where it comes from
 * ("KEY=VALUE\t# SOURCE", SOURCE: default, file FILE:LINE, environment,
 * option ..., session). */
void inj_config_print(const struct inj_config *c, const struct inj_config_set *set,
                      FILE *out);

/* --dry-run: inj_config_print of what would be set, a session directory
 * shown as $SCOPE_HOME/history/<session>. Returns the exit status. */
int inj_config_dry_run(const struct inj_run_opts *o, const struct inj_config *c);

#endif
