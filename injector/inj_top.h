/* inj_top.h: `scope top`: a live full-screen view of every scoped process
 * (or one frame as text with --once). */
#ifndef INJ_TOP_H
#define INJ_TOP_H

/* Its help text (`scope top --help`). */
extern const char inj_top_help[];

/* argv[0] is the command name. Return the exit status. */
int inj_top_main(int argc, char **argv);

#endif
