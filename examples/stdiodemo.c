/* stdiodemo: stdio's read side, seeks, stat, access, unlink and freopen,
 * with known numbers.
 *
 *   stdiodemo DIR
 *
 * Writes DIR/in (3 lines, 30 bytes), reads it back with fgets (30 bytes),
 * getline and fgetc, seeks 3 times (fseek, ftell, rewind), stats it twice
 * (stat, access), sends stdout to DIR/log with freopen and prints 2 lines
 * (20 bytes) there, and removes DIR/in (unlink). Last, it writes to a
 * stream with no fd (fmemopen), errno set beforehand to a value no call
 * would set, and prints both; and to an open_memstream stream, whose FILE
 * comes from heap memory just filled with the number of an open file's fd
 * (glibc leaves its _fileno field as it finds it): 5 + 5 bytes go to
 * DIR/keep with write(2), none of the stream's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char path[4096], log[4096], line[64];
    struct stat st;

    if (argc != 2)
        return 2;
    snprintf(path, sizeof path, "%s/in", argv[1]);
    snprintf(log, sizeof log, "%s/log", argv[1]);
    FILE *f = fopen(path, "w");
    fputs("123456789\n123456789\n123456789\n", f);
    fclose(f);
    f = fopen(path, "r");
    while (fgets(line, sizeof line, f))
        ;
    fseek(f, 0, SEEK_SET);                  /* seek 1 */
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got = getline(&buf, &cap, f);   /* 10 more bytes */
    int c = fgetc(f);                       /* 1 more byte */
    long at = ftell(f);                     /* seek 2 */
    rewind(f);                              /* seek 3 */
    fclose(f);
    free(buf);
    stat(path, &st);
    access(path, R_OK);
    if (!freopen(log, "w", stdout))
        return 1;
    printf("to the log\n");                 /* 11 bytes */
    printf("%s\n", "and more");             /* 9 bytes */
    fflush(stdout);
    unlink(path);
    char mem[32] = "";
    FILE *m = fmemopen(mem, sizeof mem, "w");
    if (!m)
        return 1;
    errno = 1234;
    fwrite("in memory", 1, 9, m);
    int kept = errno;
    fclose(m);
    snprintf(path, sizeof path, "%s/keep", argv[1]);
    int keep = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (keep < 0 || write(keep, "12345", 5) != 5)
        return 1;
    for (size_t size = 64; size <= 1024; size += 16) {
        int *junk = malloc(size);
        for (size_t i = 0; i < size / sizeof *junk; i++)
            junk[i] = keep;
        free(junk);
    }
    char *grown = NULL;
    size_t grown_len = 0;
    FILE *ms = open_memstream(&grown, &grown_len);
    if (!ms)
        return 1;
    fwrite("not a file", 1, 10, ms);
    fclose(ms);
    free(grown);
    if (write(keep, "67890", 5) != 5)
        return 1;
    close(keep);
    fprintf(stderr, "got=%zd c=%c at=%ld size=%lld mem=%s errno=%d\n", got, c, at,
            (long long)st.st_size, mem, kept);
    return 0;
}
