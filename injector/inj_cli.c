/* inj_cli.c: command-line parsing for each `scope` command (see inj_cli.h). */
#include "inj_cli.h"
#include "rep_transport.h"

#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void inj_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("scope: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see `scope %s%s--help`\n", cmd ? cmd : "", cmd ? " " : "");
}

/* getopt_long() values of options that have no short form. */
enum { OPT_METRICFORMAT = 256, OPT_ID, OPT_JSON, OPT_BACKTRACE, OPT_VERBOSE, OPT_ALL,
       OPT_NO_CHILDREN, OPT_DRYRUN, OPT_GRAPH, OPT_DEST_NETNS };

/* Report what getopt_long() stopped at (c is '?' or ':'). A long option is
 * always the whole of argv[optind - 1]; an unknown short option may be in
 * the middle of a cluster, so it is named by optopt. */
void inj_cli_bad_option(const char *cmd, const char *shortopts, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    int known = optopt >= OPT_METRICFORMAT ||
                (optopt > 0 && optopt != ':' && optopt != '+' && strchr(shortopts, optopt));

    if (c == ':')
        inj_usage(cmd, "option '%s' needs a value", arg);
    else if (known)   /* "--json=x" */
        inj_usage(cmd, "option '%s' takes no value", arg);
    else if (optopt > 0)
        inj_usage(cmd, "unknown option '-%c'", optopt);
    else
        inj_usage(cmd, "unknown option '%s'", arg);
}

/* A destination libscope.so accepts (rep_transport.h), checked here so
 * that a typo is a usage error, not a library that reports nothing. */
static int check_url(const char *cmd, const char *flag, const char *url)
{
    char err[512];

    if (rep_transport_url_check(url, err, sizeof err) < 0) {
        inj_usage(cmd, "%s: %s", flag, err);
        return -1;
    }
    return 0;
}

/* A decimal number of seconds from 1 to 86400 (what libscope.so accepts). */
static int check_period(const char *cmd, const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (s[0] < '0' || s[0] > '9' || *end != '\0' || v < 1 || v > 86400) {
        inj_usage(cmd, "--period '%s': expected whole seconds from 1 to 86400", s);
        return -1;
    }
    return 0;
}

int inj_cli_check_opts(const char *cmd, const struct inj_run_opts *o)
{
    if (o->metric_dest && check_url(cmd, "-m", o->metric_dest) < 0)
        return -1;
    if (o->event_dest && check_url(cmd, "-e", o->event_dest) < 0)
        return -1;
    if (o->metric_format && strcmp(o->metric_format, "statsd") != 0 &&
        strcmp(o->metric_format, "ndjson") != 0) {
        inj_usage(cmd, "--metricformat '%s': expected statsd or ndjson", o->metric_format);
        return -1;
    }
    if (o->verbosity && (strlen(o->verbosity) != 1 || o->verbosity[0] < '0' ||
                         o->verbosity[0] > '9')) {
        inj_usage(cmd, "-v '%s': expected a verbosity from 0 to 9", o->verbosity);
        return -1;
    }
    if (o->period && check_period(cmd, o->period) < 0)
        return -1;
    return 0;
}

/* --dest-netns host|target into *target; -1 after a usage message. */
static int dest_netns_parse(const char *arg, int *target)
{
    if (strcmp(arg, "host") != 0 && strcmp(arg, "target") != 0) {
        inj_usage("attach", "--dest-netns must be host or target (got '%s')", arg);
        return -1;
    }
    *target = strcmp(arg, "target") == 0;
    return 0;
}

/* The options run and attach share, up to the first argument that is not
 * one; `a` (attach's own: --verbose, --dest-netns) is NULL for run. */
static enum inj_cli_result lib_opts_parse(const char *cmd, int argc, char **argv,
                                          struct inj_run_opts *o, struct inj_attach_opts *a)
{
    static const struct option longopts[] = {
        {"metricdest", required_argument, NULL, 'm'},
        {"eventdest", required_argument, NULL, 'e'},
        {"metricformat", required_argument, NULL, OPT_METRICFORMAT},
        {"verbosity", required_argument, NULL, 'v'},
        {"period", required_argument, NULL, 'p'},
        {"backtrace", no_argument, NULL, OPT_BACKTRACE},
        {"userconfig", required_argument, NULL, 'u'},
        {"dry-run", no_argument, NULL, OPT_DRYRUN},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"dest-netns", required_argument, NULL, OPT_DEST_NETNS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char shortopts[] = "+:m:e:v:p:u:h";
    int c;

    memset(o, 0, sizeof(*o));
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->metric_dest = optarg; break;
        case 'e': o->event_dest = optarg; break;
        case OPT_METRICFORMAT: o->metric_format = optarg; break;
        case 'v': o->verbosity = optarg; break;
        case 'p': o->period = optarg; break;
        case OPT_BACKTRACE: o->backtrace = 1; break;
        case 'u': o->config = optarg; break;
        case OPT_DRYRUN: o->dry_run = 1; break;
        case OPT_VERBOSE:
        case OPT_DEST_NETNS:
            if (!a) {
                inj_usage(cmd, "unknown option '%s'", argv[optind - 1]);
                return INJ_CLI_USAGE;
            }
            if (c == OPT_VERBOSE)
                a->verbose = 1;
            else if (dest_netns_parse(optarg, &a->dest_netns_target) < 0)
                return INJ_CLI_USAGE;
            break;
        case 'h': return INJ_CLI_HELP;
        default:
            inj_cli_bad_option(cmd, shortopts, c, argv);
            return INJ_CLI_USAGE;
        }
    }
    return inj_cli_check_opts(cmd, o) < 0 ? INJ_CLI_USAGE : INJ_CLI_OK;
}

enum inj_cli_result inj_cli_run(int argc, char **argv, struct inj_run_opts *o)
{
    enum inj_cli_result r = lib_opts_parse("run", argc, argv, o, NULL);

    if (r != INJ_CLI_OK)
        return r;
    if (optind >= argc) {
        inj_usage("run", "missing the command to run (scope run [OPTIONS] -- CMD [ARGS...])");
        return INJ_CLI_USAGE;
    }
    o->argv = argv + optind;
    return INJ_CLI_OK;
}

/* The one PID|NAME argument (or --all for detach). */
static enum inj_cli_result target_arg(const char *cmd, int argc, char **argv,
                                      struct inj_attach_opts *o)
{
    if (o->all && optind < argc) {
        inj_usage(cmd, "--all takes no PID or NAME (got '%s')", argv[optind]);
        return INJ_CLI_USAGE;
    }
    if (o->all)
        return INJ_CLI_OK;
    if (optind >= argc) {
        inj_usage(cmd, "missing the PID or NAME of the process");
        return INJ_CLI_USAGE;
    }
    if (optind + 1 < argc) {
        inj_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
        return INJ_CLI_USAGE;
    }
    o->target = argv[optind];
    return INJ_CLI_OK;
}

enum inj_cli_result inj_cli_attach(int argc, char **argv, struct inj_attach_opts *o)
{
    memset(o, 0, sizeof *o);
    enum inj_cli_result r = lib_opts_parse("attach", argc, argv, &o->lib, o);
    return r == INJ_CLI_OK ? target_arg("attach", argc, argv, o) : r;
}

enum inj_cli_result inj_cli_detach(int argc, char **argv, struct inj_attach_opts *o)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, OPT_ALL},
        {"no-children", no_argument, NULL, OPT_NO_CHILDREN},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char shortopts[] = "+:h";
    int c;

    memset(o, 0, sizeof *o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ALL: o->all = 1; break;
        case OPT_NO_CHILDREN: o->no_children = 1; break;
        case OPT_VERBOSE: o->verbose = 1; break;
        case 'h': return INJ_CLI_HELP;
        default:
            inj_cli_bad_option("detach", shortopts, c, argv);
            return INJ_CLI_USAGE;
        }
    }
    return target_arg("detach", argc, argv, o);
}

int inj_cli_duration(const char *s, double *secs)
{
    static const struct { const char *unit; double secs; } units[] = {
        {"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600},
    };
    char *end;
    double v;

    if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
        return -1;
    v = strtod(s, &end);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double d = v * units[i].secs;
        if (strcmp(end, units[i].unit) == 0 && isfinite(d) && d > 0 && d <= 30 * 86400.0) {
            *secs = d;
            return 0;
        }
    }
    return -1;
}

int inj_cli_line_opt(const char *cmd, int c, const char *arg, struct inj_line_opts *o)
{
    regex_t re;
    char *end;
    long pid;
    int rc;

    switch (c) {
    case INJ_OPT_PID:
        pid = strtol(arg, &end, 10);
        if (*arg < '1' || *arg > '9' || *end || pid <= 0 || pid > 4194304) {
            inj_usage(cmd, "--pid needs a process id, not '%s'", arg);
            return -1;
        }
        o->pid = pid;
        return 0;
    case INJ_OPT_SOURCE: o->source = arg; return 0;
    case INJ_OPT_SOURCETYPE: o->sourcetype = arg; return 0;
    case INJ_OPT_MATCH:
        if ((rc = regcomp(&re, arg, REG_EXTENDED | REG_NOSUB)) != 0) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            inj_usage(cmd, "--match: %s", why);
            return -1;
        }
        regfree(&re);
        o->match = arg;
        return 0;
    case INJ_OPT_SINCE:
        if (inj_cli_duration(arg, &o->since) < 0) {
            inj_usage(cmd, "--since needs a duration such as 30s, 5m or 2h, not '%s'", arg);
            return -1;
        }
        return 0;
    }
    return 1;
}

enum inj_cli_result inj_cli_show(int argc, char **argv, struct inj_show_opts *o)
{
    static const struct option longopts[] = {
        {"id", required_argument, NULL, OPT_ID},
        {"json", no_argument, NULL, OPT_JSON},
        {"follow", no_argument, NULL, 'f'},
        {"graph", required_argument, NULL, OPT_GRAPH},
        INJ_CLI_LINE_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:fh", longopts, NULL)) != -1) {
        int taken = inj_cli_line_opt(argv[0], c, optarg, &o->lines);
        if (taken < 0)
            return INJ_CLI_USAGE;
        if (taken == 0)
            continue;
        switch (c) {
        case OPT_ID: o->id = optarg; break;
        case OPT_JSON: o->json = 1; break;
        case 'f': o->follow = 1; break;
        case OPT_GRAPH: o->graph = optarg; break;
        case 'h': return INJ_CLI_HELP;
        default:
            inj_cli_bad_option(argv[0], "fh", c, argv);
            return INJ_CLI_USAGE;
        }
    }
    if (o->graph && (strcmp(argv[0], "metrics") != 0 || o->follow || o->json || !*o->graph)) {
        inj_usage(argv[0], "--graph NAME is for `scope metrics`, without --follow or --json");
        return INJ_CLI_USAGE;
    }
    if (optind < argc) {
        inj_usage(argv[0], "unexpected argument '%s'", argv[optind]);
        return INJ_CLI_USAGE;
    }
    if (o->id && o->id[0] == '\0') {
        inj_usage(argv[0], "--id needs a session number or directory name");
        return INJ_CLI_USAGE;
    }
    return INJ_CLI_OK;
}

enum inj_cli_result inj_cli_history(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        if (c == 'h')
            return INJ_CLI_HELP;
        inj_cli_bad_option("history", "h", c, argv);
        return INJ_CLI_USAGE;
    }
    if (optind < argc) {
        inj_usage("history", "unexpected argument '%s'", argv[optind]);
        return INJ_CLI_USAGE;
    }
    return INJ_CLI_OK;
}

enum inj_cli_result inj_cli_look(const char *cmd, int argc, char **argv, bool *json,
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
                return INJ_CLI_HELP;
            if (strcmp(a, "--json") != 0) {
                inj_usage(cmd, "unknown option '%s'", a);
                return INJ_CLI_USAGE;
            }
            *json = true;
        } else if (operand && !*operand) {
            *operand = a;
        } else {
            inj_usage(cmd, "unexpected argument '%s'", a);
            return INJ_CLI_USAGE;
        }
    }
    if (operand && !*operand) {
        inj_usage(cmd, "missing the PID");
        return INJ_CLI_USAGE;
    }
    return INJ_CLI_OK;
}
