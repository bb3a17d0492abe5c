/* dlopen_waiter.c: a musl program one of whose threads is inside dlopen,
 * holding the dynamic linker's lock, for as long as the test wants: it
 * dlopens argv[1], a FIFO, whose open blocks until a writer comes. The
 * main thread waits in a read of stdin, where scope may stop it; a dlopen
 * of scope's there would wait for that lock for ever. It prints "ready",
 * "dlopen returned" once the thread is out, and exits 0 at "quit".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *load(void *path)
{
    dlopen(path, RTLD_NOW);
    printf("dlopen returned\n");
    return NULL;
}

int main(int argc, char **argv)
{
    char line[64];
    pthread_t t;

    if (argc != 2)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    if (pthread_create(&t, NULL, load, argv[1]) != 0)
        return 1;
    while (fgets(line, sizeof line, stdin))
        if (strncmp(line, "quit", 4) == 0)
            break;
    pthread_join(t, NULL);
    return 0;
}
