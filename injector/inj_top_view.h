/* inj_top_view.h: a frame of `scope top` laid out as lines of text, for
 * the terminal (inj_top_draw.c) and for `--once` alike.
 *
 * Every line is exactly `width` characters (UTF-8 characters, padded with
 * spaces), and every string from a process (command, file, peer, target,
 * destination) went through inj_term: no control character reaches the
 * terminal. Layout, top to bottom: a title, the table header, the rows, the
 * detail pane of the selected row (its top files, peers, HTTP statuses and
 * targets, each with its rates and durations), and a status line.
 */
#ifndef INJ_TOP_VIEW_H
#define INJ_TOP_VIEW_H

#include "inj_top_model.h"

#define INJ_TOP_MIN_WIDTH 40

enum inj_top_attr { INJ_TOP_PLAIN, INJ_TOP_TITLE, INJ_TOP_HEADER, INJ_TOP_SELECTED };

struct inj_top_line {
    enum inj_top_attr attr;
    char *text;
};

struct inj_top_screen {
    struct inj_top_line *v;
    size_t n, cap;
};

struct inj_top_view {
    const struct inj_top_proc *const *rows;  /* shown, in order */
    size_t n;
    size_t total;               /* rows before the filter */
    size_t selected;            /* index in rows of the detail pane's */
    enum inj_top_sort sort;
    const char *filter;         /* "" for none */
    const char *status;         /* the last line: keys or a message (ours) */
    const char *note;           /* the frame's note, or "" */
    double now;
    int width;                  /* >= INJ_TOP_MIN_WIDTH */
    int height;                 /* 0: every row, each with its detail (--once) */
};

/* Lay out v into s (emptied first). 0, or -1 when out of memory. */
int inj_top_layout(const struct inj_top_view *v, struct inj_top_screen *s);

void inj_top_screen_free(struct inj_top_screen *s);

/* Figures as the view prints them, in at most 6 characters: bytes with
 * K, M, G, T (powers of 1024), durations in us, ms or s; "-" for < 0. */
void inj_top_fmt_bytes(double v, char *buf, size_t cap);
void inj_top_fmt_ms(double ms, char *buf, size_t cap);

#endif
