/* ep_image.h: which dynamic linker will run a program file, read the way
 * the kernel starts it: an ELF program's PT_INTERP; for a script (#!),
 * its interpreter's, one level down.
 *
 * The library calls it in an exec wrapper, which may run in a vfork child
 * sharing the parent's memory, and the CLI before it runs or attaches: so
 * it uses only open, fstat, pread and close, into the caller's buffer (no
 * allocation), never blocks on a FIFO, and keeps errno.
 */
#ifndef EP_IMAGE_H
#define EP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

/* The dynamic linker the program at path asks for into interp (cap bytes,
 * NUL-terminated): 0; -ENOENT when it names none (static, not ELF), or
 * another -errno. */
int ep_image_interp(const char *path, char *interp, size_t cap);

/* interp is musl's dynamic linker: ld-musl-<arch>.so.1, wherever it is. */
bool ep_interp_is_musl(const char *interp);

#endif
