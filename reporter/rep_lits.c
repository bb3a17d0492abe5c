/* rep_lits.c: literals that every match of a regular expression contains
 * (see rep_lits.h).
 *
 * Each top-level branch of the expression is read as a sequence of atoms.
 * A literal character that must appear once where it stands extends the
 * current run; anything else (a class, `.`, an anchor, an optional atom, a
 * group with alternatives or one that may be absent) ends it. A match of
 * the branch contains each run, so the branch's longest run is its
 * literal. A branch without one (it may match nothing) leaves no filter.
 */
#include "rep_lits.h"

#include <ctype.h>
#include <string.h>

/* The runs of one branch: the one being built and the longest so far. */
struct runs {
    char cur[REP_LIT_LEN], best[REP_LIT_LEN];
    size_t cur_len, best_len;
    bool full;                      /* cur is cut: ignore until it ends */
};

static void run_end(struct runs *r)
{
    if (r->cur_len > r->best_len) {
        memcpy(r->best, r->cur, r->cur_len);
        r->best_len = r->cur_len;
        r->best[r->best_len] = '\0';
    }
    r->cur_len = 0;
    r->full = false;
}

/* A prefix of a required run is required too: a long one is cut. */
static void run_add(struct runs *r, char c)
{
    if (r->full)
        return;
    r->cur[r->cur_len++] = c;
    if (r->cur_len == REP_LIT_LEN - 1)
        r->full = true;
}

/* Past a bracket expression at s ('['), or NULL if it does not close. */
static const char *bracket_skip(const char *s)
{
    s++;
    if (*s == '^')
        s++;
    if (*s == ']')
        s++;
    for (; *s && *s != ']'; s++) {
        if (s[0] == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
            char close = s[1];
            for (s += 2; *s && !(s[0] == close && s[1] == ']'); s++)
                ;
            if (!*s)
                return NULL;
            s++;
        }
    }
    return *s ? s + 1 : NULL;
}

/* Past the group whose '(' is at s; *alts: it has a top-level '|'. NULL if
 * it does not close. */
static const char *group_skip(const char *s, bool *alts)
{
    int depth = 0;

    *alts = false;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
        } else if (*s == '[') {
            if (!(s = bracket_skip(s)))
                return NULL;
            s--;
        } else if (*s == '(') {
            depth++;
        } else if (*s == ')' && --depth == 0) {
            return s + 1;
        } else if (*s == '|' && depth == 1) {
            *alts = true;
        }
    }
    return NULL;
}

/* Past the quantifiers at s; *optional: the atom before may be absent
 * (?, *, {m,n}), *repeat: it may repeat (+). NULL: an interval that does
 * not close. */
static const char *quant_skip(const char *s, bool *optional, bool *repeat)
{
    *optional = *repeat = false;
    for (;;) {
        if (*s == '?' || *s == '*') {
            *optional = true;
            s++;
        } else if (*s == '+') {
            *repeat = true;
            s++;
        } else if (*s == '{') {
            /* counted as may-be-absent whatever its bounds: conservative */
            const char *close = strchr(s, '}');
            if (!close)
                return NULL;
            *optional = true;
            s = close + 1;
        } else {
            return s;
        }
    }
}

/* Read atoms from *sp into r up to the end of the branch ('|', a ')' when
 * inside a group, or the end). False: not understood. */
static bool seq_read(const char **sp, struct runs *r, int depth)
{
    const char *s = *sp;

    while (*s && *s != '|' && !(*s == ')' && depth > 0)) {
        const char *atom = s, *next;
        bool lit = false, group = false, alts = false;
        char c = 0;

        if (*s == '\\') {
            if (!s[1])
                return false;
            /* glibc's \w, \b, \<, \`, \1 ...: a class, an anchor or a
             * backreference, not the character */
            lit = !isalnum((unsigned char)s[1]) && !strchr("<>`'", s[1]) &&
                  !((unsigned char)s[1] & 0x80);
            c = s[1];
            next = s + 2;
        } else if (*s == '[') {
            if (!(next = bracket_skip(s)))
                return false;
        } else if (*s == '(') {
            if (!(next = group_skip(s, &alts)))
                return false;
            group = true;
        } else if (strchr("*+?{)", *s)) {
            return false;           /* a quantifier with no atom */
        } else {
            /* '.', '^', '$' and bytes of multibyte characters end a run */
            lit = !strchr(".^$", *s) && !((unsigned char)*s & 0x80);
            c = *s;
            next = s + 1;
        }
        bool optional, repeat;
        if (!(s = quant_skip(next, &optional, &repeat)))
            return false;
        if (optional || (group && alts) || !(lit || group)) {
            run_end(r);
            continue;
        }
        if (group) {
            const char *inner = atom + 1;
            if (!seq_read(&inner, r, depth + 1) || *inner != ')')
                return false;
        } else {
            run_add(r, c);
        }
        if (repeat)
            run_end(r);             /* what follows may be a repetition */
    }
    if (depth == 0)
        run_end(r);                 /* a group's last run goes on after it */
    *sp = s;
    return true;
}

/* Is needle in every one of lits[0..n)? */
static bool in_all(char lits[][REP_LIT_LEN], unsigned n, const char *needle)
{
    for (unsigned i = 0; i < n; i++)
        if (!strstr(lits[i], needle))
            return false;
    return true;
}

/* One literal for all branches when they share one of 2 bytes or more
 * (one search instead of several, as "/log" and ".log" share "log"). */
static bool common_take(struct rep_lits *l)
{
    char sub[REP_LIT_LEN];
    size_t len0 = strlen(l->lit[0]);

    for (size_t len = len0; len >= 2; len--) {
        for (size_t at = 0; at + len <= len0; at++) {
            memcpy(sub, l->lit[0] + at, len);
            sub[len] = '\0';
            if (in_all(l->lit, l->n, sub)) {
                memcpy(l->lit[0], sub, len + 1);
                l->n = 1;
                return true;
            }
        }
    }
    return false;
}

bool rep_lits_of(const char *re, struct rep_lits *l)
{
    struct rep_lits got = { 0 };
    const char *s = re;

    l->n = 0;
    for (;;) {
        struct runs r = { .cur_len = 0 };
        if (!seq_read(&s, &r, 0) || r.best_len == 0 || (*s && *s != '|'))
            return false;           /* a branch that needs no literal */
        bool known = false;
        for (unsigned i = 0; i < got.n; i++)
            known |= strcmp(got.lit[i], r.best) == 0;
        if (!known) {
            if (got.n == REP_LITS_MAX)
                return false;
            memcpy(got.lit[got.n++], r.best, r.best_len + 1);
        }
        if (!*s)
            break;
        s++;                        /* past '|' */
    }
    if (got.n > 1)
        common_take(&got);
    *l = got;
    return true;
}

bool rep_lits_may_match(const struct rep_lits *l, const char *s)
{
    if (l->n == 0)
        return true;
    for (unsigned i = 0; i < l->n; i++)
        if (strstr(s, l->lit[i]))
            return true;
    return false;
}
