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

struct inj_config {
    char path[PATH_MAX];            /* the file, absolute; "" when none */
    struct rep_yaml yaml;           /* its SCOPE_* lines */
    /* Destinations from the environment or the file, and where from. */
    char metric_dest[4096], event_dest[4096];
    char metric_from[PATH_MAX + 16], event_from[PATH_MAX + 16];
};

/* What `scope CMD` does once its configuration is loaded; the exit status. */
typedef int inj_config_go_fn(void *arg, const struct inj_config *c);

/* scope CMD with options o: find and check the file; take -m/-e, else
 * SCOPE_METRIC_DEST / SCOPE_EVENT_DEST, else the file's transports, into
 * o->metric_dest and o->event_dest with o->metric_from / o->event_from
 * saying which; then show it all (--dry-run) or go(arg, c). Returns the
 * exit status: 2 after printing why the configuration is refused. */
int inj_config_run(const char *cmd, struct inj_run_opts *o, inj_config_go_fn *go, void *arg);

/* A variable scope sets itself (from an option or the session), and why. */
struct inj_config_set {
    const char *key, *value, *source;   /* value NULL: not set */
};

#define INJ_CONFIG_NSET 7

/* What the options and the session directory (dir, "" for none) set. */
void inj_config_sets(const struct inj_run_opts *o, const struct inj_dests *d, const char *dir,
                     struct inj_config_set set[INJ_CONFIG_NSET]);
/* The entry of set that sets key, or NULL: scope leaves key alone. */
const struct inj_config_set *inj_config_set_find(const struct inj_config_set set[INJ_CONFIG_NSET],
                                                 const char *key);

/* "key=value\n" added to a block of inj_config_block(): 0, or -1 when out
 * of memory (the block is left as it was). */
int inj_config_append(char **block, const char *key, const char *value);

/* scope_ctl_attach()'s "KEY=VALUE\n" block: the configuration file's
 * lines, then scope's own SCOPE_* variables, then the ones the options and
 * the session (dir, "" for none) set. NULL (printed) when out of memory;
 * free() it. */
char *inj_config_block(const struct inj_run_opts *o, const struct inj_dests *to, const char *dir,
                       const struct inj_config *cfg);

#endif
