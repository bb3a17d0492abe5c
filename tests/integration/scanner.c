/* scanner.c: reads a file of numbers with fscanf to its end, a number at
 * a time, peeking at each with getc and ungetc first. Usage: scanner FILE.
 * Prints how many numbers it read; every byte of FILE is read once. */
#include <stdio.h>

int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    long sum = 0;
    int n = 0, v, c;

    if (!f)
        return 2;
    while ((c = getc(f)) != EOF) {
        ungetc(c, f);
        if (fscanf(f, "%d", &v) != 1)
            break;
        sum += v;
        n++;
    }
    printf("%d %ld\n", n, sum);
    return fclose(f) != 0;
}
