/* peek.c: reads a file byte by byte the way glibc's old _IO_peekc macro
 * did: a look at the next byte, from the buffer or, when it is empty,
 * from __underflow (which fills it and takes nothing), then the byte taken
 * by the getc_unlocked macro. Every buffer fill is __underflow's. Usage:
 * peek FILE. Prints how many bytes and lines it read. */
#include <stdio.h>

/* glibc's buffer refill: exported, no longer declared */
extern int __underflow(FILE *f);

static int peek(FILE *f)
{
    if (f->_IO_read_ptr < f->_IO_read_end)
        return *(unsigned char *)f->_IO_read_ptr;
    return __underflow(f);
}

int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    long bytes = 0, lines = 0;

    if (!f)
        return 2;
    while (peek(f) != EOF) {
        if (getc_unlocked(f) == '\n')
            lines++;
        bytes++;
    }
    printf("%ld %ld\n", bytes, lines);
    return fclose(f) != 0;
}
