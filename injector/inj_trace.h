/* inj_trace.h: `scope trace [OPTIONS] PID|NAME` and `scope trace
 * [OPTIONS] -- CMD [ARGS...]`: attach to the process (or run CMD under
 * scope), print its events as readable lines while it runs, with the
 * distributions of durations as each period ends, and detach on Ctrl-C
 * (SIGINT, SIGTERM, SIGHUP), after --duration, or when the process exits.
 * The session is kept, as `scope attach` and `scope run` keep it.
 *
 * Exit status: 0 when the process was detached with every GOT slot put
 * back (libscope's status says detached, no slot patched), or exited; 1
 * when it could not be attached or detach did not restore everything; 2
 * for usage errors. With CMD, CMD's status when it ended on its own.
 */
#ifndef INJ_TRACE_H
#define INJ_TRACE_H

/* argv[0] is the command name. Returns the exit status. */
int inj_trace_main(int argc, char **argv);

/* `scope trace --help` (inj_help.c prints it). */
extern const char inj_trace_help[];

#endif
