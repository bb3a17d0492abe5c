/* macros.c: moves a file's bytes with the getc_unlocked and putc_unlocked
 * macros, alone or mixed with stdio calls and ungetc, so that each byte
 * passes once. Usage: macros MIX IN OUT (OUT gets IN's bytes), or macros
 * many IN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* every byte by the macros */
static void macros_only(FILE *in, FILE *out)
{
    int c;
    while ((c = getc_unlocked(in)) != EOF)
        putc_unlocked(c, out);
}

/* in turn: a few bytes by the macros, a block by fread/fwrite, a line by
 * fgets/fputs, a byte pushed back and taken again by the macro, a flush */
static void mixed(FILE *in, FILE *out)
{
    char buf[300], line[200];
    int c;

    for (unsigned round = 0;; round++) {
        for (int i = 0; i < 37; i++) {
            if ((c = getc_unlocked(in)) == EOF)
                return;
            putc_unlocked(c, out);
        }
        size_t n = fread(buf, 1, 100 + round % 150, in);
        fwrite(buf, 1, n, out);
        if (fgets(line, sizeof line, in))
            fputs(line, out);
        if ((c = getc_unlocked(in)) != EOF) {
            ungetc(c, in);
            putc_unlocked(getc_unlocked(in), out);
        }
        if (round % 7 == 0)
            fflush(out);
        if (feof(in))
            return;
    }
}

/* more streams read by the macros at once than scope follows: each of
 * MANY streams on IN reads a byte, then all are read to their end */
#define MANY 140

static int many_streams(const char *path)
{
    FILE *f[MANY];

    for (int i = 0; i < MANY; i++)
        if (!(f[i] = fopen(path, "r")) || getc_unlocked(f[i]) == EOF)
            return 1;
    for (int i = 0; i < MANY; i++) {
        while (getc_unlocked(f[i]) != EOF)
            ;
        fclose(f[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "many"))
        return many_streams(argv[2]);
    if (argc != 4)
        return 2;
    FILE *in = fopen(argv[2], "r"), *out = fopen(argv[3], "w");
    if (!in || !out)
        return 1;
    if (!strcmp(argv[1], "only"))
        macros_only(in, out);
    else if (!strcmp(argv[1], "mixed"))
        mixed(in, out);
    else
        return 2;
    return fclose(in) != 0 || fclose(out) != 0;
}
