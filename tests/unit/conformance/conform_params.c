/* conform_params.c: a row's parameters, from its text: names, types, and
 * how wide an integer is in its register. */
#include "conform.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct { const char *type; int width; } int_types[] = {
    { "int", 4 }, { "unsigned int", 4 }, { "mode_t", 4 }, { "socklen_t", 4 },
    { "size_t", 8 }, { "off_t", 8 }, { "off64_t", 8 }, { "long", 8 }, { "pthread_t", 8 },
};

static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    for (size_t n = strlen(s); n && s[n - 1] == ' '; n--)
        s[n - 1] = '\0';
    return s;
}

static void param_one(char *s, struct params *ps)
{
    struct param *p = &ps->p[ps->n];
    char *fp = strstr(s, "(*"), *array = strchr(s, '[');

    if (strcmp(s, "...") == 0) {
        ps->variadic = true;
        return;
    }
    if (strcmp(s, "void") == 0 || *s == '\0')
        return;
    memset(p, 0, sizeof *p);
    if (fp) {
        sscanf(fp + 2, "%31[A-Za-z0-9_]", p->name);
        snprintf(p->type, sizeof p->type, "%s", s);
        p->kind = P_FUNC;
    } else {
        if (array)
            *array = '\0';
        char *end = s + strlen(trim(s));
        char *name = end;
        while (name > s && (name[-1] == '_' || isalnum((unsigned char)name[-1])))
            name--;
        snprintf(p->name, sizeof p->name, "%s", name);
        *name = '\0';
        snprintf(p->type, sizeof p->type, "%s", trim(s));
        p->kind = array || strchr(p->type, '*') ? P_PTR
                  : strcmp(p->type, "va_list") == 0 ? P_VALIST
                  : strcmp(p->type, "sighandler_t") == 0 || strcmp(p->type, "thrd_start_t") == 0
                      ? P_FUNC : P_INT;
        for (size_t i = 0; p->kind == P_INT && i < sizeof int_types / sizeof int_types[0]; i++)
            if (strcmp(p->type, int_types[i].type) == 0)
                p->width = int_types[i].width;
    }
    ps->n++;
}

void params_parse(const char *text, struct params *ps)
{
    char buf[512];
    int depth = 0;

    snprintf(buf, sizeof buf, "%s", text + 1);      /* without the outer ( ) */
    buf[strlen(buf) - 1] = '\0';
    memset(ps, 0, sizeof *ps);
    for (char *q = buf, *start = buf;; q++) {
        if (*q == '(' || *q == '[')
            depth++;
        else if (*q == ')' || *q == ']')
            depth--;
        else if ((*q == ',' && depth == 0) || *q == '\0') {
            bool end = *q == '\0';
            *q = '\0';
            param_one(trim(start), ps);
            if (end)
                break;
            start = q + 1;
        }
    }
}

int param_find(const struct params *ps, const char *name)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].name, name) == 0)
            return i;
    return -1;
}

long masked(long v, int width)
{
    return width == 4 ? (long)(uint32_t)v : v;
}

