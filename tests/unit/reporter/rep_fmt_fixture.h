/* rep_fmt_fixture.h: what both formatter test programs (test_rep_fmt.c,
 * test_rep_fmt_statsd.c) format with: one process identity, one line
 * buffer, statsd(), which formats a StatsD line into it and fails the
 * test if it did not fit, and json_of(), an identity as event lines
 * take it. */
#ifndef REP_FMT_FIXTURE_H
#define REP_FMT_FIXTURE_H

#include "rep_fmt.h"

#include <check.h>

static const struct rep_ident ident = {
    .pid = 4242,
    .proc = "dd",
    .cmd = "dd if=/dev/zero of=out bs=4k count=1",
    .host = "box",
    .channel = "123456789",
};

static char line[4096];

/* id (NULL: none) made into the escaped pieces of event lines, in a
 * buffer that the next call reuses. */
static const struct rep_ident_json *json_of(const struct rep_ident *id)
{
    static struct rep_ident_json j;

    rep_ident_json_make(&j, id);
    return &j;
}

static const char *statsd(const char *prefix, const struct rep_ident *id,
                          const struct rep_metric *m)
{
    ck_assert_uint_ne(rep_fmt_statsd(line, sizeof line, prefix, id, m), 0);
    return line;
}

#endif
