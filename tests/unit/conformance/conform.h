/* conform.h: what the conformance test knows of each hook: its class (what
 * a call of it counts), and its parameters, read from ip_hooks.def's text. */
#ifndef CONFORM_H
#define CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rep.h"

#define ARGS 8                  /* integer registers and stack words a call passes */

/* What a successful or failed call counts, and where. */
enum cls {
    C_NONE, C_EXIT, C_OPEN, C_FOPEN, C_FREOPEN, C_CLOSE, C_FCLOSE, C_CLOSE_RANGE, C_DUP,
    C_READ, C_WRITE, C_FREAD, C_FWRITE, C_FPUTS, C_PUTS, C_FPUTC, C_PUTCHAR, C_FGETS,
    C_GETLINE, C_FGETC, C_PEEK, C_SCANF, C_PRINTF, C_PRINTF_OUT, C_SEEK, C_REWIND, C_STAT_PATH, C_STAT_FD,
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

/* ---- the counters a call changes (conform_counts.c) ---- */

/* The scenarios each hook is called in (test_conformance.c says how). */
enum scenario { S_UNOBSERVED, S_OK, S_FAIL, S_UNTRACKED, SCENARIOS };

/* fd numbers: A and B have file records, U and U2 none; NEW is what an
 * open or dup returns, C and D socketpair's; DIR a dirfd. */
enum { FD_A = 100, FD_B, FD_U, FD_U2, FD_NEW, FD_C, FD_D, FD_DIR };
#define WATCHED 8
extern const int watched[WATCHED];

struct snap {
    struct rep_io_counts a, b, one, orphan, net_orphan;
    uint64_t dns;
    uint64_t key[WATCHED];
};

/* keys that stand for "a fresh record of this kind" in a wanted snap */
enum { FRESH_FILE = 1, FRESH_SOCKET = 2, FRESH_NAMELESS = 3 };

/* The bytes one successful call of class c moves. */
uint64_t class_bytes(enum cls c);
/* The snap a call of class c in scenario s should leave, from the one
 * before it (w holds that one). */
void want_of(enum cls c, enum scenario s, struct snap *w);
/* Fails the test (ctx names the call) where got is not want. */
void snap_check(const struct snap *got, const struct snap *want, const char *ctx);

/* Parse a row's parameter text, "(int fd, void *buf, size_t n)". */
void params_parse(const char *text, struct params *ps);
/* The index of the parameter called name, or -1. */
int param_find(const struct params *ps, const char *name);
/* v as a parameter of that width holds it (an int: its low 32 bits). */
long masked(long v, int width);

#endif
