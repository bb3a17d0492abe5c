/* dlrunpath: loads libdlplug.so the two ways in which glibc takes the
 * caller into account, and calls it at once:
 *
 *   dlrunpath runpath FILE BYTES   dlopen("libdlplug.so"): found only
 *                                  through this program's RUNPATH
 *   dlrunpath origin FILE BYTES    dlopen("$ORIGIN/dlplug/libdlplug.so"):
 *                                  next to this program, not to libscope
 *
 * The plugin writes BYTES bytes to FILE (demoio_write). Exit 0 when the
 * load and the write worked. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: dlrunpath runpath|origin FILE BYTES\n");
        return 2;
    }
    const char *name = strcmp(argv[1], "origin") == 0
        ? "$ORIGIN/dlplug/libdlplug.so" : "libdlplug.so";
    void *h = dlopen(name, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlrunpath: %s\n", dlerror());
        return 1;
    }
    int (*plug_write)(const char *, int) = (int (*)(const char *, int))dlsym(h, "demoio_write");
    if (!plug_write || plug_write(argv[2], atoi(argv[3])) != 0) {
        fprintf(stderr, "dlrunpath: demoio_write failed\n");
        return 1;
    }
    return 0;
}
