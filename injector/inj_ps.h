/* inj_ps.h: `scope ps`: the processes that have libscope.so loaded, and
 * its state in each. */
#ifndef INJ_PS_H
#define INJ_PS_H

/* argv[0] is the command name. Return the exit status. */
int inj_ps_main(int argc, char **argv);

#endif
