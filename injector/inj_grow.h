/* inj_grow.h: the CLI's growable arrays (a pointer, a count, a capacity). */
#ifndef INJ_GROW_H
#define INJ_GROW_H

#include <stddef.h>

/* Room for element n of the array at *array (a T **, elements of size
 * bytes, *cap of them): when full, doubled, or `first` the first time.
 * 0, or -1 (out of memory) with the array as it was. */
int inj_grow(void *array, size_t *cap, size_t n, size_t size, size_t first);

#endif
