/* demoio: a library that a program loads with dlopen after it started, for
 * the test that objects loaded later are observed too. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Write n bytes to path with write(2): through this library's own GOT. */
int demoio_write(const char *path, int n)
{
    char chunk[1000];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0)
        return -1;
    memset(chunk, 'd', sizeof chunk);
    for (int done = 0; done < n;) {
        int part = n - done < (int)sizeof chunk ? n - done : (int)sizeof chunk;
        if (write(fd, chunk, (size_t)part) != part) {
            close(fd);
            return -1;
        }
        done += part;
    }
    return close(fd);
}
