/* seekers.c, built fortified: a stream read with fread (__fread_chk) and,
 * after an fseeko, fgets (__fgets_chk), its place asked with ftello and
 * ftello64, and the two answers printed with __vprintf_chk. Usage:
 * seekers FILE 1000 51 (FILE of lines of 50 bytes: reads 1000, then the
 * line at 500; the sizes are arguments so that the compiler cannot prove
 * them safe and call the unchecked forms). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* what vprintf is in a fortified program that glibc does not inline */
extern int __vprintf_chk(int flag, const char *fmt, va_list ap);

static int say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = __vprintf_chk(1, fmt, ap);
    va_end(ap);
    return rc;
}

int main(int argc, char **argv)
{
    char block[1000], line[51];
    FILE *f = argc == 4 ? fopen(argv[1], "r") : NULL;
    /* sizes known only when run (and not bounded here, which would let
     * the compiler prove them safe): the fortified forms check them */
    size_t want = f ? strtoul(argv[2], NULL, 10) : 0;
    int line_size = f ? atoi(argv[3]) : 0;

    if (!f || fread(block, 1, want, f) != want || fseeko(f, 500, SEEK_SET) ||
        !fgets(line, line_size, f))
        return 1;
    long long at = ftello(f), at64 = ftello64(f);
    say("at %lld %lld\n", at, at64);
    return fclose(f) != 0;
}
