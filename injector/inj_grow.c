/* inj_grow.c: the CLI's growable arrays (see inj_grow.h). */
#include "inj_grow.h"

#include <stdlib.h>

int inj_grow(void *array, size_t *cap, size_t n, size_t size, size_t first)
{
    void **v = array;

    if (n < *cap)
        return 0;
    size_t want = *cap ? 2 * *cap : first;
    void *nv = realloc(*v, want * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = want;
    return 0;
}
