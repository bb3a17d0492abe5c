/* rep_fmt_out.c: the bounded cursor every format writes through, and the
 * numbers it prints: integers, metric values, unix times, addresses.
 *
 * Printed by hand so that nothing here allocates, locks or touches
 * stdio/locale: the reporter may format from any thread, even one
 * interrupted inside malloc.
 */
#include "rep_fmt_out.h"

#include <math.h>
#include <string.h>

/* Below 2^53 every integer is a double; below 2^63 a double converts to
 * uint64_t without undefined behaviour. */
#define TWO_POW_53 9007199254740992.0
#define TWO_POW_63 9223372036854775808.0

/* Ends the line: '\n' plus a NUL that is not counted. On overflow the
 * buffer holds an empty string so a careless caller sends nothing. */
size_t rep_put_line_end(struct rep_out *o)
{
    rep_put_char(o, '\n');
    if (!o->full && o->len < o->cap) {
        o->buf[o->len] = '\0';
        return o->len;
    }
    if (o->cap > 0)
        o->buf[0] = '\0';
    return 0;
}

/* Two digits a division: an event line has a dozen numbers. */
void rep_put_u64(struct rep_out *o, uint64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[20];
    size_t i = sizeof tmp;

    while (v >= 100) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        tmp[--i] = pairs[2 * d + 1];
        tmp[--i] = pairs[2 * d];
    }
    if (v >= 10) {
        tmp[--i] = pairs[2 * v + 1];
        tmp[--i] = pairs[2 * v];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    rep_put_mem(o, tmp + i, sizeof tmp - i);
}

void rep_put_i64(struct rep_out *o, long long v)
{
    if (v < 0) {
        rep_put_char(o, '-');
        /* negate in unsigned arithmetic: -LLONG_MIN overflows */
        rep_put_u64(o, -(uint64_t)v);
    } else {
        rep_put_u64(o, (uint64_t)v);
    }
}

/* Splits 0 <= a < 2^63 into an integer part and millionths, rounded to
 * nearest. Subtracting the truncated part is exact in binary floating
 * point, so only the final scaling rounds. */
static void split_micro(double a, uint64_t *ip, uint32_t *micro)
{
    double frac;

    *ip = (uint64_t)a;
    frac = a - (double)*ip;
    *micro = (uint32_t)(frac * 1e6 + 0.5);
    if (*micro >= 1000000) {
        *micro -= 1000000;
        (*ip)++;
    }
}

/* ".dddddd"; with `trim` the trailing zeros go, and a zero fraction
 * prints nothing. */
static void rep_put_micro(struct rep_out *o, uint32_t micro, bool trim)
{
    char d[7];
    size_t n = 7;

    if (trim && micro == 0)
        return;
    d[0] = '.';
    for (size_t i = 6; i >= 1; i--) {
        d[i] = (char)('0' + micro % 10);
        micro /= 10;
    }
    while (trim && d[n - 1] == '0')
        n--;
    rep_put_mem(o, d, n);
}

/* |v| >= 2^63 does not fit the fixed-point path: print d.dddddde+N. The
 * repeated division costs a few ulps, far below the 7 digits shown. */
static void rep_put_scientific(struct rep_out *o, double a)
{
    uint64_t ip;
    uint32_t micro;
    int exp10 = 0;

    while (a >= 10.0) {
        a /= 10.0;
        exp10++;
    }
    split_micro(a, &ip, &micro);
    if (ip >= 10) {     /* 9.9999997 rounded up to 10 */
        ip = 1;
        exp10++;
    }
    rep_put_u64(o, ip);
    rep_put_micro(o, micro, true);
    rep_put_str(o, "e+");
    rep_put_u64(o, (uint64_t)exp10);
}

/* A metric value or a double field: integers print as integers, other
 * values with at most 6 decimals, and NaN/inf (which neither JSON nor StatsD
 * can carry) as 0. */
void rep_put_num(struct rep_out *o, double v)
{
    double a;
    uint64_t ip;
    uint32_t micro;

    if (!isfinite(v)) {
        rep_put_char(o, '0');
        return;
    }
    if (v > -TWO_POW_53 && v < TWO_POW_53 && v == (double)(long long)v) {
        rep_put_i64(o, (long long)v);
        return;
    }
    a = v < 0 ? -v : v;
    if (a >= TWO_POW_63) {
        if (v < 0)
            rep_put_char(o, '-');
        rep_put_scientific(o, a);
        return;
    }
    split_micro(a, &ip, &micro);
    if (v < 0 && (ip || micro))     /* no "-0" for tiny negatives */
        rep_put_char(o, '-');
    rep_put_u64(o, ip);
    rep_put_micro(o, micro, true);
}

/* Unix time, always with 6 decimals as AppScope prints it. Times before
 * the epoch or absurdly late cannot be real: they print as 0. */
void rep_put_time(struct rep_out *o, double t)
{
    uint64_t ip;
    uint32_t micro;

    if (!(t >= 0 && t < TWO_POW_63))
        t = 0;
    split_micro(t, &ip, &micro);
    rep_put_u64(o, ip);
    rep_put_micro(o, micro, false);
}


void rep_put_hex(struct rep_out *o, uintptr_t v, int min_digits)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v && n < 16);
    while (n < min_digits && n < 16)
        tmp[n++] = '0';
    rep_put_str(o, "0x");
    while (n > 0)
        rep_put_char(o, tmp[--n]);
}
