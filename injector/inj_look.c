/* inj_look.c: what `scope ps` and `scope inspect` both say (see
 * inj_look.h). */
#include "inj_look.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *inj_look_status_error(int rc)
{
    if (rc == -EPROTO)
        return "no valid status: not initialized yet, or another version";
    if (rc == -ENOENT)
        return "the library has no scope_ctl_status";
    if (rc == -EBADMSG)
        return "its ELF headers or symbol tables in the process's memory are inconsistent";
    return strerror(-rc);
}

const char *inj_look_state_name(const struct scope_ctl_status *st)
{
    if (st->state == SCOPE_CTL_LOADED)
        return "detached";
    if (st->state != SCOPE_CTL_ATTACHED)
        return "unknown";
    return st->how == SCOPE_CTL_HOW_PRELOAD ? "run" : "attached";
}

/* Losing the whole document over one string is worse than a null. */
json_t *inj_look_json_text(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_null();
}

int inj_look_json_print(json_t *doc)
{
    int rc = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;

    json_decref(doc);
    if (rc < 0) {
        fputs("scope: out of memory\n", stderr);
        return 1;
    }
    fputc('\n', stdout);
    return 0;
}
