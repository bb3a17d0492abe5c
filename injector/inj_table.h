/* inj_table.h: text tables: left-aligned columns separated by two spaces,
 * each as wide as its widest cell (counted in UTF-8 characters). */
#ifndef INJ_TABLE_H
#define INJ_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct inj_table;

/* headers: ncols strings, copied (escaped). NULL when out of memory. */
struct inj_table *inj_table_new(size_t ncols, const char *const *headers);

/* cells: ncols strings, copied with their control characters escaped
 * (inj_term). 0, or -1 when out of memory. */
int inj_table_add(struct inj_table *t, const char *const *cells);

size_t inj_table_rows(const struct inj_table *t);

/* Print the header and the rows. line_max > 0: the last column is cut
 * (ending in "...") so that no line is longer than line_max characters,
 * keeping at least 20 characters of it. */
void inj_table_print(const struct inj_table *t, FILE *out, size_t line_max);

void inj_table_free(struct inj_table *t);

/* Cut s in place to at most max (> 3) characters, ending in "..." when cut. */
void inj_table_cut(char *s, size_t max);

/* UTF-8 characters in s (continuation bytes are not counted). */
size_t inj_table_width(const char *s);

/* Bytes of s that hold its first `chars` characters. */
size_t inj_table_prefix_bytes(const char *s, size_t chars);

#endif
