/* inj_term.c: escaping control characters for a terminal (see inj_term.h). */
#include "inj_term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the control character at s, or 0 when s starts with none. */
static size_t control_len(const unsigned char *s)
{
    if (s[0] < 0x20 || s[0] == 0x7f)
        return 1;
    if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
        return 2;
    return 0;
}

/* Escaped s into out (which holds INJ_TERM_CAP(strlen(s))), or only its
 * length when out is NULL. */
static size_t escape(const char *s, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    while (*p) {
        size_t c = control_len(p);
        if (c == 0) {
            if (out)
                out[n] = (char)*p;
            n++;
            p++;
            continue;
        }
        const char *named = *p == '\n' ? "\\n" : *p == '\t' ? "\\t" : *p == '\r' ? "\\r" : NULL;
        if (named) {
            if (out)
                memcpy(out + n, named, 2);
            n += 2;
            p++;
            continue;
        }
        for (size_t i = 0; i < c; i++, p++, n += 4)
            if (out)
                snprintf(out + n, 5, "\\x%02x", *p);
    }
    if (out)
        out[n] = '\0';
    return n;
}

const char *inj_term(const char *s, char *buf, size_t cap)
{
    size_t len = strlen(s);
    char *tmp;

    if (cap == 0)
        return buf;
    if (INJ_TERM_CAP(len) <= cap) {
        escape(s, buf);
        return buf;
    }
    if (!(tmp = inj_term_dup(s))) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, cap, "%s", tmp);
    free(tmp);
    return buf;
}

char *inj_term_dup(const char *s)
{
    char *out = malloc(escape(s, NULL) + 1);

    if (out)
        escape(s, out);
    return out;
}
