/* inj_table.c: text tables with fitted columns (see inj_table.h). */
#include "inj_table.h"
#include "inj_term.h"

#include <stdlib.h>
#include <string.h>

#define GAP 2        /* spaces between columns */
#define LAST_MIN 20  /* the last column is never cut shorter than this */

struct inj_table {
    size_t ncols, nrows, cap;
    char **cells;    /* (nrows + 1) * ncols: the header is row 0 */
};

size_t inj_table_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

size_t inj_table_prefix_bytes(const char *s, size_t chars)
{
    size_t i = 0;

    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars-- == 0)
            break;
    }
    return i;
}

void inj_table_cut(char *s, size_t max)
{
    if (max > 3 && inj_table_width(s) > max)
        strcpy(s + inj_table_prefix_bytes(s, max - 3), "...");
}

static int add_row(struct inj_table *t, const char *const *cells)
{
    size_t rows = t->nrows + 1;

    if (rows > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **nc = realloc(t->cells, cap * t->ncols * sizeof(*nc));
        if (!nc)
            return -1;
        t->cells = nc;
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        char *copy = inj_term_dup(cells[c]);
        if (!copy) {
            while (c-- > 0)
                free(t->cells[t->nrows * t->ncols + c]);
            return -1;
        }
        t->cells[t->nrows * t->ncols + c] = copy;
    }
    t->nrows = rows;
    return 0;
}

struct inj_table *inj_table_new(size_t ncols, const char *const *headers)
{
    struct inj_table *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->ncols = ncols;
    if (add_row(t, headers) < 0) {
        inj_table_free(t);
        return NULL;
    }
    return t;
}

int inj_table_add(struct inj_table *t, const char *const *cells)
{
    return add_row(t, cells);
}

size_t inj_table_rows(const struct inj_table *t)
{
    return t->nrows - 1;
}

static void print_last(const char *cell, size_t room, FILE *out)
{
    if (room == 0 || inj_table_width(cell) <= room) {
        fputs(cell, out);
        return;
    }
    fprintf(out, "%.*s...", (int)inj_table_prefix_bytes(cell, room - 3), cell);
}

void inj_table_print(const struct inj_table *t, FILE *out, size_t line_max)
{
    size_t *w = calloc(t->ncols, sizeof(*w));
    size_t before_last = 0, room = 0;

    if (!w)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = inj_table_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t c = 0; c + 1 < t->ncols; c++)
        before_last += w[c] + GAP;
    if (line_max)
        room = line_max > before_last + LAST_MIN ? line_max - before_last : LAST_MIN;
    for (size_t r = 0; r < t->nrows; r++) {
        char **row = t->cells + r * t->ncols;
        size_t used = t->ncols;   /* no padding after the last non-empty cell */
        while (used > 1 && row[used - 1][0] == '\0')
            used--;
        for (size_t c = 0; c + 1 < used; c++)
            fprintf(out, "%s%*s", row[c], (int)(w[c] - inj_table_width(row[c]) + GAP), "");
        if (used == t->ncols)
            print_last(row[used - 1], room, out);
        else
            fputs(row[used - 1], out);
        fputc('\n', out);
    }
    free(w);
}

void inj_table_free(struct inj_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
