/* dlopendemo: load a library with dlopen after starting, then have it do
 * I/O.
 *
 *   dlopendemo LIBRARY FILE BYTES [DELAY_MS]
 *
 * Waits DELAY_MS (default 100) first, so that the library is loaded well
 * after any instrumentation attached at start. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: dlopendemo LIBRARY FILE BYTES [DELAY_MS]\n");
        return 2;
    }
    long delay_ms = argc > 4 ? atol(argv[4]) : 100;
    struct timespec pause = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopendemo: %s\n", dlerror());
        return 1;
    }
    int (*demoio_write)(const char *, int) = (int (*)(const char *, int))dlsym(h, "demoio_write");
    /* Let the observer notice the new object (it looks every 10 ms). */
    nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
    if (!demoio_write || demoio_write(argv[2], atoi(argv[3])) != 0) {
        fprintf(stderr, "dlopendemo: demoio_write failed\n");
        return 1;
    }
    return 0;
}
