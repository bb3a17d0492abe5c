/* tempfiles.c: makes a temporary file with each of the mkstemp family in
 * DIR and writes a different number of bytes to each (100 to the first,
 * 200 to the second...), then 1001 bytes to a tmpfile stream and, once it
 * is closed, 1002 to a tmpfile64 one. Usage: tempfiles DIR. Prints each named file's path and
 * the bytes written to it. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char bytes[1100];

static int made(int turn, char *template)
{
    switch (turn) {
    case 0: return mkstemp(template);
    case 1: return mkstemp64(template);
    case 2: return mkostemp(template, O_CLOEXEC);
    case 3: return mkostemp64(template, O_CLOEXEC);
    case 4: return mkstemps(template, 4);
    case 5: return mkstemps64(template, 4);
    case 6: return mkostemps(template, 4, O_CLOEXEC);
    default: return mkostemps64(template, 4, O_CLOEXEC);
    }
}

static int stream(FILE *f, size_t n)
{
    return f && fwrite(bytes, 1, n, f) == n && fflush(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    char template[PATH_MAX];

    if (argc != 2)
        return 2;
    memset(bytes, 'z', sizeof bytes);
    for (int turn = 0; turn < 8; turn++) {
        size_t n = 100 * (size_t)(turn + 1);
        snprintf(template, sizeof template, "%s/t%d-XXXXXX%s", argv[1], turn,
                 turn >= 4 ? ".tmp" : "");
        int fd = made(turn, template);
        if (fd < 0 || write(fd, bytes, n) != (ssize_t)n || close(fd) != 0)
            return 1;
        printf("%s %zu\n", template, n);
    }
    /* one after the other: a closed one's inode, and so the name /proc
     * gives it, is often the next one's */
    FILE *t = tmpfile();
    if (stream(t, 1001) || fclose(t))
        return 1;
    FILE *t64 = tmpfile64();
    return stream(t64, 1002) || fclose(t64);
}
