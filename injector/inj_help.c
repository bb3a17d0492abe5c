/* inj_help.c: the help texts (see inj_help.h). Keep them true: every flag,
 * variable, file and exit status that the code has is listed here. */
#include "inj_help.h"
#include "inj_attach.h"
#include "inj_inspect.h"

#include <string.h>

static const char top_help[] =
"Usage: scope COMMAND [OPTIONS]\n"
"\n"
"Observe an unmodified, dynamically linked Linux program: `scope run` starts\n"
"it with libscope.so preloaded, which reports metrics and events about the\n"
"program's activity as NDJSON lines; the other commands show them.\n"
"\n"
"Commands:\n"
"  run [OPTIONS] [--] CMD [ARGS...]  run CMD with libscope.so loaded\n"
"  attach [OPTIONS] PID|NAME         observe a running process\n"
"  detach PID|NAME|--all             stop observing it, restoring it exactly\n"
"  ps [--json]                       list the processes libscope.so is loaded in\n"
"  inspect [--json] PID              show where each hooked GOT slot points\n"
"  metrics [--id ID] [--json]        show the metrics of a session\n"
"  events [--id ID] [--json]         show the events of a session\n"
"  history                           list the sessions\n"
"  help [COMMAND]                    show this help, or the help of COMMAND\n"
"\n"
"Options:\n"
"  -h, --help                        show this help\n"
"  --version                         print the version\n"
"\n"
"Sessions (`scope run` makes one unless given both -m and -e):\n"
"  $SCOPE_HOME/history/<proc>_<n>_<pid>_<start>/\n"
"      metrics.json   metric lines (NDJSON)\n"
"      events.json    event lines (NDJSON)\n"
"      info.json      command line, pid, start, exit status, library, destinations\n"
"\n"
"Environment:\n"
"  SCOPE_HOME        where sessions are kept (default: $HOME/.scope)\n"
"  SCOPE_LIB_PATH    the libscope.so to load (default: <dir of scope>/../lib/libscope.so)\n"
"  The SCOPE_* variables that reach CMD are listed in `scope run --help`.\n"
"\n"
"Exit status: `scope run` returns CMD's status (see `scope run --help`);\n"
"the other commands return 0 on success, 1 when there is no such session or\n"
"its file cannot be read, and 2 on a usage error.\n";

static const char run_help[] =
"Usage: scope run [OPTIONS] [--] CMD [ARGS...]\n"
"\n"
"Run CMD (looked up in PATH) with libscope.so preloaded and wait for it.\n"
"`--` is needed only when CMD starts with '-'.\n"
"\n"
"Options:\n"
"  -m, --metricdest URL     send metrics to URL instead of the session's metrics.json\n"
"  -e, --eventdest URL      send events to URL instead of the session's events.json\n"
"      --metricformat FMT   statsd or ndjson; statsd needs -m, since a session's\n"
"                           metrics.json is always ndjson\n"
"  -v, --verbosity N        metric verbosity, 0 to 9\n"
"  -p, --period SECONDS     seconds between metric reports, 1 to 86400\n"
"      --backtrace          when CMD crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE,\n"
"                           SIGABRT), write its stack to the session directory\n"
"                           (else ~/.scope/crash) and as an event; CMD then dies\n"
"                           as it would have\n"
"  -h, --help               show this help\n"
"  URL is file:///absolute/path, file://stdout, file://stderr, udp://host:port,\n"
"  tcp://host:port, unix:///absolute/path or unix://@abstract-name.\n"
"\n"
"Session:\n"
"  Unless both -m and -e are given, scope creates the directory\n"
"  $SCOPE_HOME/history/<proc>_<n>_<pid>_<start>/ (mode 0700, and 0700 for\n"
"  the parents it creates); <proc> is the basename of CMD, <n> the session\n"
"  number (1 + the highest so far), <pid> CMD's pid, <start> the start time\n"
"  in Unix seconds. It holds metrics.json and events.json (created empty,\n"
"  mode 0600) for the outputs that -m and -e do not send elsewhere, and\n"
"  info.json (command line, pid, start, exit status, library, destinations),\n"
"  and libscope.log, the library's own log, once it has something to say.\n"
"  When CMD ends, scope prints \"scope: session DIR\" on stderr.\n"
"\n"
"Environment given to CMD:\n"
"  LD_PRELOAD               libscope.so, in front of any existing LD_PRELOAD\n"
"  SCOPE_METRIC_DEST        -m, else the session's metrics.json\n"
"  SCOPE_EVENT_DEST         -e, else the session's events.json\n"
"  SCOPE_METRIC_FORMAT      --metricformat; ndjson when metrics go to the session\n"
"  SCOPE_METRIC_VERBOSITY   -v\n"
"  SCOPE_SUMMARY_PERIOD     -p\n"
"  SCOPE_SNAPSHOT_BACKTRACE --backtrace (true)\n"
"  SCOPE_SESSION_DIR        the session directory, when there is one\n"
"  Options replace these variables. SCOPE_* variables that no option and no\n"
"  session file sets are passed on unchanged (libscope.so's defaults:\n"
"  statsd, verbosity 4, 10 seconds; README.md lists every variable).\n"
"\n"
"Environment read by scope:\n"
"  SCOPE_LIB_PATH           the library to load\n"
"                           (default: <dir of scope>/../lib/libscope.so)\n"
"  SCOPE_HOME               where sessions are kept (default: $HOME/.scope)\n"
"\n"
"Statically linked programs, Go programs without cgo and 32-bit programs are\n"
"refused: libscope.so cannot observe them. A script runs, and its\n"
"interpreter is what is observed.\n"
"\n"
"While CMD runs, scope ignores SIGINT and SIGQUIT (CMD gets them from the\n"
"terminal) and passes SIGTERM and SIGHUP on to CMD.\n"
"\n"
"Exit status:\n"
"  CMD's exit status, or 128+N when CMD was killed by signal N (scope then\n"
"  prints \"scope: CMD killed by signal N (SIGNAME)\", and with --backtrace\n"
"  \"scope: backtrace in FILE\")\n"
"  126  CMD could not be executed (for example: no execute permission)\n"
"  127  CMD was not found\n"
"  2    CMD did not run: usage error, refused program, libscope.so not\n"
"       found, or the session could not be set up\n";

static const char metrics_help[] =
"Usage: scope metrics [--id ID] [--json]\n"
"\n"
"Show the metrics of the newest session (latest start, then highest number)\n"
"or of session ID, from its metrics.json.\n"
"\n"
"Options:\n"
"  --id ID      the session whose number or directory name is ID\n"
"               (see `scope history`)\n"
"  --json       print the lines of metrics.json unchanged\n"
"  -h, --help   show this help\n"
"\n"
"The table combines the lines that have the same name and fields (all but\n"
"_time and _value): counters are summed, gauges show the last value,\n"
"histograms and timers the average. Columns: NAME VALUE TYPE UNIT PID TAGS;\n"
"TAGS are the remaining fields (not proc, host or _time) as k:v, comma\n"
"separated, or - when there are none. Rows are sorted by name, then tags.\n"
"Lines that are not metric lines are skipped and counted on stderr.\n"
"\n"
"Environment: SCOPE_HOME (default: $HOME/.scope); sessions are in\n"
"$SCOPE_HOME/history.\n"
"\n"
"Exit status: 0 shown; 1 no session, no such ID, or metrics.json cannot be\n"
"read; 2 usage error.\n";

static const char events_help[] =
"Usage: scope events [--id ID] [--json]\n"
"\n"
"Show the events of the newest session (latest start, then highest number)\n"
"or of session ID, from its events.json.\n"
"\n"
"Options:\n"
"  --id ID      the session whose number or directory name is ID\n"
"               (see `scope history`)\n"
"  --json       print the lines of events.json unchanged\n"
"  -h, --help   show this help\n"
"\n"
"The table has one row per event, in the order they were written. Columns:\n"
"  TIME     local time, HH:MM:SS.mmm\n"
"  PID      the process that reported it\n"
"  SOURCE   stdout, stderr, fs.open, net.rx, ...\n"
"  DATA     console: the message (newlines shown as \\n); fs.*: the operation\n"
"           and the file, with the value and unit if any; else the data as\n"
"           compact JSON. Cut to keep rows within 100 columns.\n"
"Lines that are not event lines are skipped and counted on stderr.\n"
"\n"
"Environment: SCOPE_HOME (default: $HOME/.scope); sessions are in\n"
"$SCOPE_HOME/history.\n"
"\n"
"Exit status: 0 shown; 1 no session, no such ID, or events.json cannot be\n"
"read; 2 usage error.\n";

static const char history_help[] =
"Usage: scope history\n"
"\n"
"List the sessions in $SCOPE_HOME/history (SCOPE_HOME defaults to\n"
"$HOME/.scope), oldest first. Columns:\n"
"  ID      the session number, for --id\n"
"  CMD     the command line (cut to 40 characters)\n"
"  PID     CMD's pid\n"
"  START   local start time\n"
"  EXIT    scope's exit status, with the signal if CMD was killed;\n"
"          - while it runs or if scope was stopped first\n"
"  DIR     the session directory\n"
"\n"
"Options:\n"
"  -h, --help   show this help\n"
"\n"
"Exit status: 0 listed; 1 no session; 2 usage error.\n";

static const char help_help[] =
"Usage: scope help [COMMAND]\n"
"\n"
"Show the help of scope, or of COMMAND (run, metrics, events, history, help).\n"
"\n"
"Exit status: 0 shown; 2 usage error.\n";

int inj_help_print(const char *cmd, FILE *out)
{
    static const struct { const char *name, *text; } helps[] = {
        {"run", run_help},         {"metrics", metrics_help}, {"events", events_help},
        {"history", history_help}, {"help", help_help},
        {"attach", inj_attach_help}, {"detach", inj_detach_help},
        {"ps", inj_ps_help},       {"inspect", inj_inspect_help},
    };

    if (!cmd) {
        fputs(top_help, out);
        return 0;
    }
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (strcmp(cmd, helps[i].name) == 0) {
            fputs(helps[i].text, out);
            return 0;
        }
    }
    return -1;
}
