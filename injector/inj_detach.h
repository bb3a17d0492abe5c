/* inj_detach.h: `scope detach`: stop observing a process, every GOT slot
 * libscope.so changed put back (the library stays loaded). */
#ifndef INJ_DETACH_H
#define INJ_DETACH_H

/* argv[0] is the command name. Return the exit status. */
int inj_detach_main(int argc, char **argv);

#endif
