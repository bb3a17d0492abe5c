/* inj_top_draw.c: the terminal of `scope top` (see inj_top_draw.h). */
#include "inj_top_draw.h"

#include "inj_table.h"

#include <curses.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>

static SCREEN *screen;

int inj_top_draw_start(void)
{
    /* UTF-8 names are drawn as characters, not bytes */
    setlocale(LC_CTYPE, "");
    /* newterm, not initscr: an unknown TERM is an error here, not an exit */
    if (!(screen = newterm(NULL, stdout, stdin))) {
        fputs("scope: top: the terminal cannot be used (is TERM set?)\n", stderr);
        return -1;
    }
    set_term(screen);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    return 0;
}

void inj_top_draw_size(int *width, int *height)
{
    getmaxyx(stdscr, *height, *width);
}

static int attr_of(enum inj_top_attr a)
{
    switch (a) {
    case INJ_TOP_TITLE: return A_BOLD;
    case INJ_TOP_HEADER: return A_REVERSE;
    case INJ_TOP_SELECTED: return A_REVERSE | A_BOLD;
    default: return A_NORMAL;
    }
}

void inj_top_draw(const struct inj_top_screen *s)
{
    int width, height;

    inj_top_draw_size(&width, &height);
    erase();
    for (size_t i = 0; i < s->n && (int)i < height; i++) {
        attrset(attr_of(s->v[i].attr));
        /* no wider than the screen (a line never wraps); the bottom-right
         * cell is not written (no scrolling): harmless */
        mvaddnstr((int)i, 0, s->v[i].text,
                  (int)inj_table_prefix_bytes(s->v[i].text, (size_t)width));
    }
    attrset(A_NORMAL);
    refresh();
}

int inj_top_draw_key(int timeout_ms)
{
    static const struct {
        int curses, ours;
    } keys[] = {
        {KEY_UP, INJ_TOP_KEY_UP}, {KEY_DOWN, INJ_TOP_KEY_DOWN},
        {KEY_PPAGE, INJ_TOP_KEY_PGUP}, {KEY_NPAGE, INJ_TOP_KEY_PGDN},
        {KEY_HOME, INJ_TOP_KEY_HOME}, {KEY_END, INJ_TOP_KEY_END},
        {KEY_RESIZE, INJ_TOP_KEY_RESIZE}, {KEY_BACKSPACE, INJ_TOP_KEY_BACKSPACE},
        {127, INJ_TOP_KEY_BACKSPACE}, {8, INJ_TOP_KEY_BACKSPACE},
        {KEY_ENTER, INJ_TOP_KEY_ENTER}, {'\r', INJ_TOP_KEY_ENTER}, {'\n', INJ_TOP_KEY_ENTER},
        {27, INJ_TOP_KEY_ESC},
    };
    int c;

    timeout(timeout_ms < 0 ? 0 : timeout_ms);
    c = getch();
    if (c == ERR)
        return INJ_TOP_KEY_NONE;
    if (c == KEY_RESIZE)
        clearok(curscr, TRUE);  /* the terminal may have moved what it showed */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (c == keys[i].curses)
            return keys[i].ours;
    return c;
}

void inj_top_draw_end(void)
{
    if (!screen)
        return;
    curs_set(1);
    endwin();
    delscreen(screen);
    screen = NULL;
}
