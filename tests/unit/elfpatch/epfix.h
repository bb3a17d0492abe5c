/* epfix.h: the fixture library that the elfpatch tests patch. */
#ifndef EPFIX_H
#define EPFIX_H

#include <sys/types.h>

/* Called by the test program through its PLT / GOT. */
int epfix_target(int x);

/* Calls getpid() through the library's own PLT / GOT slot. */
pid_t epfix_getpid(void);

/* Calls getpid() through a function pointer in .data.rel.ro, which the
 * linker fills with an R_X86_64_64 relocation. */
pid_t epfix_getpid_via_pointer(void);

#endif
