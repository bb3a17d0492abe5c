/* inj_attach.h: `scope attach`: inject libscope.so into a running process
 * with ptrace and call its control API there. */
#ifndef INJ_ATTACH_H
#define INJ_ATTACH_H

/* argv[0] is the command name. Return the exit status. */
int inj_attach_main(int argc, char **argv);

#endif
