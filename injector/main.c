/* main.c: `scope`: hand the command line to the command it names. */
#include "inj_attach.h"
#include "inj_cli.h"
#include "inj_detach.h"
#include "inj_help.h"
#include "inj_inspect.h"
#include "inj_ps.h"
#include "inj_run.h"
#include "inj_show.h"
#include "inj_top.h"
#include "inj_trace.h"

#include <stdio.h>
#include <string.h>

/* Exit status of a command whose parse did not return INJ_CLI_OK. */
static int not_run(enum inj_cli_result r, const char *cmd)
{
    if (r == INJ_CLI_HELP) {
        inj_help_print(cmd, stdout);
        return 0;
    }
    return 2;
}

/* scope help [COMMAND] */
static int help(int argc, char **argv)
{
    if (argc > 2) {
        inj_usage("help", "unexpected argument '%s'", argv[2]);
        return 2;
    }
    if (inj_help_print(argc == 2 ? argv[1] : NULL, stdout) < 0) {
        inj_usage(NULL, "unknown command '%s'", argv[1]);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    struct inj_run_opts run;
    struct inj_show_opts show;
    enum inj_cli_result r;

    if (!cmd) {
        inj_usage(NULL, "missing command");
        return 2;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
        return not_run(INJ_CLI_HELP, NULL);
    if (strcmp(cmd, "help") == 0)
        return help(argc - 1, argv + 1);
    if (strcmp(cmd, "--version") == 0) {
        puts("scope " SCOPE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0) {
        r = inj_cli_run(argc - 1, argv + 1, &run);
        return r == INJ_CLI_OK ? inj_run(&run) : not_run(r, cmd);
    }
    if (strcmp(cmd, "metrics") == 0 || strcmp(cmd, "events") == 0) {
        r = inj_cli_show(argc - 1, argv + 1, &show);
        if (r != INJ_CLI_OK)
            return not_run(r, cmd);
        return cmd[0] == 'm' ? inj_show_metrics(&show) : inj_show_events(&show);
    }
    if (strcmp(cmd, "history") == 0) {
        r = inj_cli_history(argc - 1, argv + 1);
        return r == INJ_CLI_OK ? inj_show_history() : not_run(r, cmd);
    }
    if (strcmp(cmd, "attach") == 0)
        return inj_attach_main(argc - 1, argv + 1);
    if (strcmp(cmd, "detach") == 0)
        return inj_detach_main(argc - 1, argv + 1);
    if (strcmp(cmd, "ps") == 0)
        return inj_ps_main(argc - 1, argv + 1);
    if (strcmp(cmd, "inspect") == 0)
        return inj_inspect_main(argc - 1, argv + 1);
    if (strcmp(cmd, "top") == 0)
        return inj_top_main(argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0)
        return inj_trace_main(argc - 1, argv + 1);
    if (cmd[0] == '-')
        inj_usage(NULL, "unknown option '%s'", cmd);
    else
        inj_usage(NULL, "unknown command '%s'", cmd);
    return 2;
}
