/* seekers.c, built fortified: a stream read with fread (__fread_chk) and,
 * after an fseeko, fgets (__fgets_chk), its place asked with ftello and
 * ftello64, and the two answers printed with __vprintf_chk. Usage:
 * seekers FILE (at least 550 bytes, in lines of 50). */
#include <stdarg.h>
#include <stdio.h>

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
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;

    if (!f || fread(block, 1, sizeof block, f) != sizeof block || fseeko(f, 500, SEEK_SET) ||
        !fgets(line, sizeof line, f))
        return 1;
    long long at = ftello(f), at64 = ftello64(f);
    say("at %lld %lld\n", at, at64);
    return fclose(f) != 0;
}
