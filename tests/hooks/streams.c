/* streams.c: copies IN line by line, each line read by the next of
 * fgetc_unlocked, fgets_unlocked, fgets, _IO_getc, getline and getdelim,
 * and written by the next of fputc_unlocked, putc, _IO_putc, putchar,
 * vprintf and vfprintf on stdout (reopened on OUT with freopen64), dprintf
 * and vdprintf on OUT2's fd. Usage: streams
 * IN OUT OUT2. Lines are at most LINE-2 bytes. Prints the lines copied. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE 256

/* glibc's old names for getc and putc: still exported, no longer declared */
extern int _IO_getc(FILE *f);
extern int _IO_putc(int c, FILE *f);

typedef int (*getc_fn)(FILE *f);

static size_t by_char(getc_fn get, FILE *in, char *line)
{
    size_t n = 0;
    int c;
    while (n < LINE - 1 && (c = get(in)) != EOF) {
        line[n++] = (char)c;
        if (c == '\n')
            break;
    }
    return n;
}

static size_t by_line(char *got, char *line)
{
    return got ? strlen(line) : 0;
}

/* fgets_unlocked into a buffer of known size with a count known only at
 * run time: the fortified build calls __fgets_unlocked_chk */
static volatile int unlocked_cap = LINE;

static size_t unlocked_line(FILE *in, char *line)
{
    char buf[LINE];

    if (!fgets_unlocked(buf, unlocked_cap, in))
        return 0;
    memcpy(line, buf, strlen(buf) + 1);
    return strlen(line);
}

/* heap by reference: read after the call that (re)allocates it */
static size_t by_delim(ssize_t got, char *line, char *const *heap)
{
    if (got <= 0)
        return 0;
    memcpy(line, *heap, (size_t)got);
    return (size_t)got;
}

static size_t read_line(int turn, FILE *in, char *line)
{
    static char *heap;
    static size_t cap;
    switch (turn % 6) {
    case 0: return by_char(fgetc_unlocked, in, line);
    case 1: return unlocked_line(in, line);
    case 2: return by_line(fgets(line, LINE, in), line);
    case 3: return by_char(_IO_getc, in, line);
    case 4: return by_delim(getline(&heap, &cap, in), line, &heap);
    default: return by_delim(getdelim(&heap, &cap, '\n', in), line, &heap);
    }
}

static void with_vfprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (f)
        vfprintf(f, fmt, ap);
    else
        vprintf(fmt, ap);
    va_end(ap);
}

static void with_vdprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdprintf(fd, fmt, ap);
    va_end(ap);
}

static void write_line(int turn, int fd2, const char *line, size_t n)
{
    int how = turn % 8;
    for (size_t i = 0; i < n && how < 4; i++) {
        switch (how) {
        case 0: fputc_unlocked(line[i], stdout); break;
        case 1: putc(line[i], stdout); break;
        case 2: _IO_putc(line[i], stdout); break;
        default: putchar(line[i]); break;
        }
    }
    switch (how) {
    case 4: with_vfprintf(NULL, "%.*s", (int)n, line); break;
    case 5: with_vfprintf(stdout, "%.*s", (int)n, line); break;
    case 6: dprintf(fd2, "%.*s", (int)n, line); break;
    case 7: with_vdprintf(fd2, "%.*s", (int)n, line); break;
    }
}

int main(int argc, char **argv)
{
    char line[LINE];
    FILE *in = argc == 4 ? fopen(argv[1], "r") : NULL;
    int fd2 = argc == 4 ? open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    int turn = 0;
    size_t n;

    if (!in || fd2 < 0 || !freopen64(argv[2], "w", stdout))
        return 2;
    while ((n = read_line(turn, in, line)) > 0)
        write_line(turn++, fd2, line, n);
    fprintf(stderr, "%d\n", turn);
    return fclose(stdout) != 0 || fclose(in) != 0 || close(fd2) != 0;
}
