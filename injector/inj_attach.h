/* inj_attach.h: `scope attach` and `scope detach`: inject libscope.so into
 * a running process with ptrace and call its control API there. */
#ifndef INJ_ATTACH_H
#define INJ_ATTACH_H

extern const char inj_attach_help[];
extern const char inj_detach_help[];

/* argv[0] is the command name. Return the exit status. */
int inj_attach_main(int argc, char **argv);
int inj_detach_main(int argc, char **argv);

#endif
