/* ep_symbolize.h: name the function an address is in, from a signal
 * handler.
 *
 * Async-signal-safe: no malloc, no stdio, no locks; only open, pread, read
 * and close on /proc/self/maps and on the object's file, into fixed
 * buffers. Names come from .symtab when the file has one, else .dynsym.
 */
#ifndef EP_SYMBOLIZE_H
#define EP_SYMBOLIZE_H

#include <stdint.h>

struct ep_symbol {
    char object[256];       /* path of the mapped file, "" if anonymous */
    char function[128];     /* "" when no symbol covers the address */
    uintptr_t offset;       /* from the function's start, or from the
                               object's load base when function is "" */
};

/* 0 when addr is inside a mapped file (object filled, function maybe ""),
 * -1 when it is not mapped from a file. */
int ep_symbolize(uintptr_t addr, struct ep_symbol *out);

#endif
