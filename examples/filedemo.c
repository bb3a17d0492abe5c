/* filedemo: a small program with known file I/O, for the README's demo and
 * for tests that need exact numbers.
 *
 *   filedemo DIR [FILES [BYTES]]
 *
 * Writes FILES files (default 3) of BYTES bytes each (default 10000) in DIR
 * with write(2), in 1000-byte chunks, reads each back with fopen/fread,
 * prints one line per file with printf and a total on stderr. Exits 0 when
 * every byte read back is what was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 1000

static int file_write(const char *path, long bytes)
{
    char chunk[CHUNK];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0)
        return -1;
    memset(chunk, 'a', sizeof chunk);
    for (long done = 0; done < bytes;) {
        size_t n = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        ssize_t w = write(fd, chunk, n);
        if (w < 0) {
            close(fd);
            return -1;
        }
        done += w;
    }
    return close(fd);
}

static long file_read_back(const char *path)
{
    char buf[4096];
    long total = 0;
    size_t n;
    FILE *f = fopen(path, "r");

    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (buf[i] != 'a') {
                fclose(f);
                return -1;
            }
        total += (long)n;
    }
    fclose(f);
    return total;
}

int main(int argc, char **argv)
{
    char path[4096];
    long files = argc > 2 ? atol(argv[2]) : 3;
    long bytes = argc > 3 ? atol(argv[3]) : 10000;
    long total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: filedemo DIR [FILES [BYTES]]\n");
        return 2;
    }
    for (long i = 0; i < files; i++) {
        snprintf(path, sizeof path, "%s/demo%ld.txt", argv[1], i);
        if (file_write(path, bytes) < 0) {
            fprintf(stderr, "filedemo: %s: %s\n", path, strerror(errno));
            return 1;
        }
        long got = file_read_back(path);
        if (got != bytes) {
            fprintf(stderr, "filedemo: %s: read back %ld of %ld bytes\n", path, got, bytes);
            return 1;
        }
        printf("%s: wrote and read back %ld bytes\n", path, bytes);
        total += got;
    }
    fprintf(stderr, "filedemo: %ld bytes in %ld files\n", total, files);
    return 0;
}
