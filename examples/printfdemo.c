/* printfdemo: printf with side effects, to check that an observer formats
 * nothing twice.
 *
 * Registers a %Y conversion whose handler counts its calls, prints with it,
 * prints a 5000-byte line measured with %n, and reports on stderr:
 *   "calls=1 n=5000"
 * which is what it must say with or without scope.
 */
#include <printf.h>
#include <stdio.h>
#include <string.h>

static int calls;

static int y_print(FILE *f, const struct printf_info *info, const void *const *args)
{
    calls++;
    return fprintf(f, "<%d>", calls);
}

static int y_arginfo(const struct printf_info *info, size_t n, int *types, int *size)
{
    return 0;
}

int main(void)
{
    static char big[5001];
    int n = 0;

    register_printf_specifier('Y', y_print, y_arginfo);
    printf("%Y\n");
    memset(big, 'b', 5000);
    printf("%s%n\n", big, &n);
    fflush(stdout);
    fprintf(stderr, "calls=%d n=%d\n", calls, n);
    return 0;
}
