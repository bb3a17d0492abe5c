/* inj_top_draw.h: the terminal of `scope top`, through ncurses: the only
 * module that knows it. Lines laid out by inj_top_view.c are put on the
 * screen as they are; keys come back as characters or INJ_TOP_KEY_*.
 */
#ifndef INJ_TOP_DRAW_H
#define INJ_TOP_DRAW_H

#include "inj_top_view.h"

enum {
    INJ_TOP_KEY_NONE = -1,      /* nothing came in time */
    INJ_TOP_KEY_UP = 0x100, INJ_TOP_KEY_DOWN, INJ_TOP_KEY_PGUP, INJ_TOP_KEY_PGDN,
    INJ_TOP_KEY_HOME, INJ_TOP_KEY_END, INJ_TOP_KEY_RESIZE, INJ_TOP_KEY_BACKSPACE,
    INJ_TOP_KEY_ENTER, INJ_TOP_KEY_ESC,
};

/* Take the terminal (stdin, stdout): full screen, no echo, keys one by
 * one. 0, or -1 when it is not a terminal ncurses knows (said on stderr). */
int inj_top_draw_start(void);

/* Its size now. */
void inj_top_draw_size(int *width, int *height);

/* Put the lines on the screen, one a row from the top. */
void inj_top_draw(const struct inj_top_screen *s);

/* The next key, waiting at most timeout_ms. */
int inj_top_draw_key(int timeout_ms);

/* Give the terminal back as it was (also after a signal, from the main
 * loop: nothing here is called from a handler). Idempotent. */
void inj_top_draw_end(void);

#endif
