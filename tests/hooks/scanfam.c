/* scanfam.c: reads a file of numbers from stdin, each number with the
 * next of scanf, vscanf, fscanf and vfscanf in turn. Usage: scanfam FILE
 * (stdin is reopened on FILE). Prints how many numbers it read and their
 * sum; every byte of FILE is read once, by one of the four. */
#include <stdarg.h>
#include <stdio.h>

static int with_vscanf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vscanf(fmt, ap);
    va_end(ap);
    return rc;
}

static int with_vfscanf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfscanf(f, fmt, ap);
    va_end(ap);
    return rc;
}

static int scan_one(int turn, long *v)
{
    switch (turn % 4) {
    case 0: return scanf("%ld", v);
    case 1: return with_vscanf("%ld", v);
    case 2: return fscanf(stdin, "%ld", v);
    default: return with_vfscanf(stdin, "%ld", v);
    }
}

int main(int argc, char **argv)
{
    long sum = 0, v;
    int n = 0;

    if (argc != 2 || !freopen(argv[1], "r", stdin))
        return 2;
    while (scan_one(n, &v) == 1) {
        sum += v;
        n++;
    }
    printf("%d %ld\n", n, sum);
    return 0;
}
