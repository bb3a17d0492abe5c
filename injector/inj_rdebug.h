/* inj_rdebug.h: where a target's dynamic linker says whether it is busy.
 *
 * glibc's ld.so exports _r_debug; musl's exports nothing of the kind, but
 * like every dynamic linker writes the address of its debugger structure
 * (laid out as struct r_debug: r_state says whether a dlopen or dlclose
 * is half-way) into the program's DT_DEBUG entry, which is what
 * debuggers read. That entry is found from the target's memory alone:
 * its auxiliary vector names the program headers, they name PT_DYNAMIC.
 */
#ifndef INJ_RDEBUG_H
#define INJ_RDEBUG_H

#include <stdint.h>
#include <sys/types.h>

/* The address of the r_debug structure the dynamic linker of pid left in
 * its program's DT_DEBUG: 0 with *addr set; -ENOENT when there is none
 * (a static program, or a linker that fills none), or -errno. */
int inj_rdebug_from_dynamic(pid_t pid, uintptr_t *addr);

#endif
