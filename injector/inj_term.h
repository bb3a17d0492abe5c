/* inj_term.h: text from another process made safe for a terminal.
 *
 * Names and strings a process chose (comm, cmdline, paths, destinations,
 * what libscope recorded) may hold terminal escapes that retitle, clear or
 * rewrite the operator's screen. Everything scope prints for a person goes
 * through here: newline, tab and carriage return become \n, \t and \r
 * (a table row stays one line), every other control character (C0, DEL,
 * and C1 written as UTF-8 U+0080..U+009F) \xNN. --json output stays raw (JSON escapes
 * control characters itself).
 */
#ifndef INJ_TERM_H
#define INJ_TERM_H

#include <stddef.h>

/* A buffer that holds any escaped string of n bytes. */
#define INJ_TERM_CAP(n) (4 * (n) + 1)

/* s escaped into buf (cut to fit cap); returns buf. */
const char *inj_term(const char *s, char *buf, size_t cap);

/* s escaped, in malloc'd memory; NULL when out of memory. */
char *inj_term_dup(const char *s);

#endif
