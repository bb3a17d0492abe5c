/* pushback.c: reads a file to its end through stdio, pushing bytes back
 * with ungetc the way parsers peek, in one of several mixes of calls.
 * Usage: pushback MIX FILE. Every byte of FILE is read from it once (by
 * each of many streams, for MIX many). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getc each byte, push it back, getc it again */
static void getc_ungetc(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF) {
        ungetc(c, f);
        getc(f);
    }
}

/* fgetc a byte, push it back, fread the rest */
static void fgetc_fread(FILE *f)
{
    char buf[4096];
    int c = fgetc(f);
    if (c != EOF)
        ungetc(c, f);
    while (fread(buf, 1, sizeof buf, f) > 0)
        ;
}

/* peek at each line's first byte, then fgets the line */
static void fgets_after_ungetc(FILE *f)
{
    char line[256];
    int c;
    while ((c = getc(f)) != EOF) {
        ungetc(c, f);
        if (!fgets(line, sizeof line, f))
            break;
    }
}

/* peek at each line's first byte, then getline the line */
static void getline_after_ungetc(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        ungetc(c, f);
        if (getline(&line, &cap, f) < 0)
            break;
    }
    free(line);
}

/* push back a byte the file does not hold (not the one read): glibc keeps
 * it in its backup area; it was never read from the file */
static void ungetc_another_byte(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF) {
        ungetc(c ^ 1, f);
        getc(f);
    }
}

/* a byte pushed back twice over (two pending), then a seek drops them */
static void ungetc_then_seek(FILE *f)
{
    int a = getc(f), b = getc(f);
    ungetc(b, f);
    ungetc(a, f);
    fseek(f, 2, SEEK_SET);
    getc_ungetc(f);
}

/* more streams with a byte pending at once than scope keeps room for:
 * each of MANY streams reads a byte and pushes it back, then all are
 * read to their end */
#define MANY 80

static int many_streams(const char *path)
{
    FILE *f[MANY];
    char buf[4096];

    for (int i = 0; i < MANY; i++) {
        if (!(f[i] = fopen(path, "r")))
            return 1;
        ungetc(getc(f[i]), f[i]);
    }
    for (int i = 0; i < MANY; i++) {
        while (fread(buf, 1, sizeof buf, f[i]) > 0)
            ;
        fclose(f[i]);
    }
    return 0;
}

static const struct mix {
    const char *name;
    void (*read)(FILE *f);
} mixes[] = {
    { "getc", getc_ungetc },
    { "fread", fgetc_fread },
    { "fgets", fgets_after_ungetc },
    { "getline", getline_after_ungetc },
    { "other", ungetc_another_byte },
    { "seek", ungetc_then_seek },
};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pushback MIX FILE\n");
        return 2;
    }
    if (!strcmp(argv[1], "many"))
        return many_streams(argv[2]);
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        if (strcmp(argv[1], mixes[i].name))
            continue;
        FILE *f = fopen(argv[2], "r");
        if (!f) {
            perror(argv[2]);
            return 1;
        }
        mixes[i].read(f);
        fclose(f);
        return 0;
    }
    fprintf(stderr, "pushback: no mix %s\n", argv[1]);
    return 2;
}
