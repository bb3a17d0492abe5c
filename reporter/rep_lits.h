/* rep_lits.h: literals that every match of a regular expression contains.
 *
 *     struct rep_lits l;
 *     rep_lits_of("(\\/logs?\\/)|(\\.log$)", &l);   // l: "log"
 *     rep_lits_may_match(&l, "/tmp/x.bin");          // false: cannot match
 *
 * A wrapper may not run regexec (it allocates), but it may look for a few
 * short strings: a path that contains none of the literals of the log
 * file pattern is no log file, known at open, with no wait for the
 * reporter. The analysis is conservative: a pattern it does not
 * understand gives no literals, and then anything may match.
 */
#ifndef REP_LITS_H
#define REP_LITS_H

#include <stdbool.h>

#define REP_LITS_MAX 4
#define REP_LIT_LEN 32

struct rep_lits {
    unsigned n;                     /* 0: no filter, anything may match */
    char lit[REP_LITS_MAX][REP_LIT_LEN];
};

/* Fill l from re, a POSIX extended regular expression as regcomp takes it
 * (REG_EXTENDED | REG_NOSUB): a text that matches re contains at least
 * one of l's literals. False (and l->n == 0) when no such set was found. */
bool rep_lits_of(const char *re, struct rep_lits *l);

/* Could s match the expression l was made from? No allocation, no lock. */
bool rep_lits_may_match(const struct rep_lits *l, const char *s);

#endif
