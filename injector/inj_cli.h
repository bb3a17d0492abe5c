/* inj_cli.h: command-line parsing for each `scope` command.
 *
 * Parsing only checks and collects: nothing is run or read here. A usage
 * error is printed as one line ("scope: ...; see `scope CMD --help`") and
 * returned as INJ_CLI_USAGE, which the caller turns into exit status 2.
 * Each parser takes the command's own argv: argv[0] is the command name.
 */
#ifndef INJ_CLI_H
#define INJ_CLI_H

#include <stdbool.h>

enum inj_cli_result { INJ_CLI_OK, INJ_CLI_HELP, INJ_CLI_USAGE };

struct inj_run_opts {
    const char *metric_dest;    /* -m URL, or NULL: the session directory */
    const char *event_dest;     /* -e URL, or NULL: the session directory */
    const char *metric_format;  /* "statsd" or "ndjson", or NULL */
    const char *verbosity;      /* "0".."9", or NULL */
    const char *period;         /* "1".."86400", or NULL */
    int backtrace;              /* --backtrace: SCOPE_SNAPSHOT_BACKTRACE=true */
    const char *config;         /* -u FILE: the configuration file, or NULL */
    int dry_run;                /* --dry-run: print the configuration only */
    /* Where metric_dest and event_dest came from (inj_config_run fills
     * them in from the environment or the file when the options do not). */
    const char *metric_from, *event_from;
    char **argv;                /* CMD and its arguments, NULL-terminated */
};

/* Which lines of a session: events by body.source and body.sourcetype,
 * metrics by _metric and _metric_type (the same flags). */
struct inj_line_opts {
    long pid;                   /* --pid: only its lines; 0: all */
    const char *source;         /* --source: exactly this, or NULL */
    const char *sourcetype;     /* --sourcetype */
    const char *match;          /* --match: an extended regex on the whole line */
    double since;               /* --since D: lines of the last D seconds; 0: all */
};

struct inj_show_opts {
    const char *id;             /* --id: session number or directory name; NULL: newest */
    int json;                   /* --json: print the raw lines */
    int follow;                 /* --follow: lines as they are written, until interrupted */
    const char *graph;          /* metrics --graph NAME: a chart of one metric */
    struct inj_line_opts lines;
};

struct inj_attach_opts {
    struct inj_run_opts lib;    /* the options `scope run` has too; argv unused */
    int verbose;                /* --verbose: how long the process was stopped */
    int dest_netns_target;      /* --dest-netns target: network destinations
                                   reached from the process's own namespace,
                                   not the host's (scope's) */
    int all;                    /* detach --all */
    int no_children;            /* detach --no-children */
    const char *target;         /* PID or NAME; NULL with --all */
};

enum inj_cli_result inj_cli_run(int argc, char **argv, struct inj_run_opts *o);
enum inj_cli_result inj_cli_attach(int argc, char **argv, struct inj_attach_opts *o);
enum inj_cli_result inj_cli_detach(int argc, char **argv, struct inj_attach_opts *o);

/* The checks of -m, -e, --metricformat, -v and -p, shared by run and
 * attach (cmd names the command in the messages). 0, or -1 after a usage
 * message. */
int inj_cli_check_opts(const char *cmd, const struct inj_run_opts *o);

/* `scope metrics` and `scope events` take the same flags. */
enum inj_cli_result inj_cli_show(int argc, char **argv, struct inj_show_opts *o);

enum inj_cli_result inj_cli_history(int argc, char **argv);

/* The filter flags' getopt_long() values, for commands that take them
 * (show, trace): inj_cli_line_opt() takes what getopt_long() returned: 1
 * when it is none of them, 0 when taken, -1 after a usage message. */
enum { INJ_OPT_PID = 300, INJ_OPT_SOURCE, INJ_OPT_SOURCETYPE, INJ_OPT_MATCH, INJ_OPT_SINCE };
#define INJ_CLI_LINE_OPTIONS                                                   \
    {"pid", required_argument, NULL, INJ_OPT_PID},                             \
    {"source", required_argument, NULL, INJ_OPT_SOURCE},                       \
    {"sourcetype", required_argument, NULL, INJ_OPT_SOURCETYPE},               \
    {"match", required_argument, NULL, INJ_OPT_MATCH},                         \
    {"since", required_argument, NULL, INJ_OPT_SINCE}
int inj_cli_line_opt(const char *cmd, int c, const char *arg, struct inj_line_opts *o);

/* A duration: a decimal number with an optional unit, ms, s (the
 * default), m or h; more than 0 and at most 30 days. 0, or -1. */
int inj_cli_duration(const char *s, double *secs);

/* `scope ps` and `scope inspect`: [--json] [-h|--help], and one operand
 * (into *operand, which starts NULL) when operand is not NULL. */
enum inj_cli_result inj_cli_look(const char *cmd, int argc, char **argv, bool *json,
                                 const char **operand);

/* The usage message for what getopt_long() stopped at (c is '?' or ':';
 * opterr 0, options without a short form numbered from 256). */
void inj_cli_bad_option(const char *cmd, const char *shortopts, int c, char **argv);

/* Print "scope: <message>; see `scope [cmd ]--help`" on stderr.
 * cmd NULL: the top-level help. */
void inj_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
