/* rep_fmt_fixture.h: what both formatter test programs (test_rep_fmt.c,
 * test_rep_fmt_statsd.c) format with: one process identity, one line
 * buffer, and statsd(), which formats a StatsD line into it and fails the
 * test if it did not fit. */
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

static const char *statsd(const char *prefix, const struct rep_ident *id,
                          const struct rep_metric *m)
{
    ck_assert_uint_ne(rep_fmt_statsd(line, sizeof line, prefix, id, m), 0);
    return line;
}

#endif
