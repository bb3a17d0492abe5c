/* inj_inspect.h: `scope ps` (processes with libscope loaded) and
 * `scope inspect` (where each hooked GOT slot of a process points). */
#ifndef INJ_INSPECT_H
#define INJ_INSPECT_H

extern const char inj_ps_help[];
extern const char inj_inspect_help[];

/* argv[0] is the command name. Return the exit status. */
int inj_ps_main(int argc, char **argv);
int inj_inspect_main(int argc, char **argv);

#endif
