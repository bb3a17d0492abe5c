/* inj_inspect.h: `scope inspect`: where each hooked GOT slot of a
 * process points, without stopping it. */
#ifndef INJ_INSPECT_H
#define INJ_INSPECT_H

/* argv[0] is the command name. Return the exit status. */
int inj_inspect_main(int argc, char **argv);

#endif
