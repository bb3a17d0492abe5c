/* conform.h: what the conformance test knows of each hook: its class (what
 * a call of it counts), and its parameters, read from ip_hooks.def's text. */
#ifndef CONFORM_H
#define CONFORM_H

#include <stdbool.h>
#include <stddef.h>

#define ARGS 8                  /* integer registers and stack words a call passes */

/* What a successful or failed call counts, and where. */
enum cls {
    C_NONE, C_EXIT, C_OPEN, C_FOPEN, C_FREOPEN, C_CLOSE, C_FCLOSE, C_CLOSE_RANGE, C_DUP,
    C_READ, C_WRITE, C_FREAD, C_FWRITE, C_FPUTS, C_PUTS, C_FPUTC, C_PUTCHAR, C_FGETS,
    C_GETLINE, C_FGETC, C_PRINTF, C_PRINTF_OUT, C_SEEK, C_REWIND, C_STAT_PATH, C_STAT_FD,
    C_UNLINK, C_SOCKET, C_SOCKETPAIR, C_ACCEPT, C_CONNECT, C_MMSG_SEND, C_MMSG_RECV,
    C_SENDFILE, C_TEE, C_DNS, C_TMPFILE,
};

struct conform_class {
    const char *name;
    enum cls cls;
};
extern const struct conform_class conform_classes[];
extern const size_t conform_nclasses;

enum pkind { P_INT, P_PTR, P_FUNC, P_VALIST };

struct param {
    char type[64], name[32];
    enum pkind kind;
    int width;                  /* bytes an integer occupies in its register */
};

struct params {
    struct param p[ARGS];
    int n;
    bool variadic;
};

/* Parse a row's parameter text, "(int fd, void *buf, size_t n)". */
void params_parse(const char *text, struct params *ps);
/* The index of the parameter called name, or -1. */
int param_find(const struct params *ps, const char *name);
/* v as a parameter of that width holds it (an int: its low 32 bits). */
long masked(long v, int width);

#endif
