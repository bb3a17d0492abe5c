/* conform_counts.c: what a call of each class should change: the counters
 * of the records of fds A, B and stdout, the process-wide ones, and which
 * record each watched fd names. */
#include "conform.h"
#include "ip.h"

#include <check.h>
#include <string.h>

const int watched[WATCHED] = { FD_A, FD_B, 1, FD_NEW, FD_C, FD_D, FD_U, FD_U2 };

static size_t watched_at(int fd)
{
    for (size_t i = 0; i < WATCHED; i++)
        if (watched[i] == fd)
            return i;
    return 0;
}

/* The bytes one successful call of the class moves. */
uint64_t class_bytes(enum cls c)
{
    switch (c) {
    case C_FREAD: case C_FWRITE: return 4 * 3;      /* items * size */
    case C_FPUTS: return 5;                         /* "hello" */
    case C_PUTS: return 6;                          /* and its newline */
    case C_FPUTC: case C_PUTCHAR: case C_FGETC: return 1;
    case C_PEEK: return 0;                          /* looked at, not taken */
    case C_SCANF: return 0;                         /* the stand-in moves no position */
    case C_FGETS: return 6;                         /* "hello\n" */
    case C_GETLINE: return 9;
    case C_PRINTF: case C_PRINTF_OUT: return 8;
    case C_MMSG_SEND: case C_MMSG_RECV: return 10 + 20;
    default: return 7;
    }
}

static void io_want(struct rep_io_counts *k, bool ok, bool read, uint64_t bytes)
{
    if (!ok)
        k->err_read_write++;
    else if (read)
        k->read_ops++, k->read_bytes += bytes;
    else
        k->write_ops++, k->write_bytes += bytes;
}

/* The snap a call of class c should leave, from the one before it. */
void want_of(enum cls c, enum scenario s, struct snap *w)
{
    bool ok = s != S_FAIL, tracked = s != S_UNTRACKED;
    uint64_t *key_a = &w->key[watched_at(FD_A)], *key_new = &w->key[watched_at(FD_NEW)];

    if (s == S_UNOBSERVED)
        return;
    switch (c) {
    case C_NONE: case C_EXIT:
        break;
    case C_OPEN: case C_FOPEN: case C_TMPFILE:
        if (ok)
            *key_new = c == C_TMPFILE ? FRESH_NAMELESS : FRESH_FILE;
        else
            w->orphan.err_open_close++;
        break;
    case C_FREOPEN:
        if (tracked)
            w->a.closes++, *key_a = 0;
        if (ok)
            *key_new = FRESH_FILE;
        else
            w->orphan.err_open_close++;
        break;
    case C_CLOSE: case C_FCLOSE:
        if (tracked) {
            w->a.closes++, *key_a = 0;
            w->a.err_open_close += !ok;
        }
        break;
    case C_CLOSE_RANGE:
        if (tracked && ok)
            w->a.closes++, *key_a = 0;
        break;
    case C_DUP:
        if (tracked && ok)
            *key_new = *key_a;
        break;
    case C_READ: case C_FREAD: case C_FGETS: case C_GETLINE: case C_FGETC: case C_PEEK:
    case C_SCANF: case C_MMSG_RECV:
        if (tracked)
            io_want(&w->a, ok, true, class_bytes(c));
        break;
    case C_WRITE: case C_FWRITE: case C_FPUTS: case C_FPUTC: case C_PRINTF: case C_MMSG_SEND:
        if (tracked)
            io_want(&w->a, ok, false, class_bytes(c));
        break;
    case C_PUTS: case C_PUTCHAR: case C_PRINTF_OUT:
        if (tracked)
            io_want(&w->one, ok, false, class_bytes(c));
        break;
    case C_SENDFILE:
        if (tracked) {
            io_want(&w->a, ok, true, class_bytes(c));
            io_want(&w->b, ok, false, class_bytes(c));
        }
        break;
    case C_TEE:             /* nothing consumed from in_fd */
        if (tracked)
            io_want(&w->b, ok, false, class_bytes(c));
        break;
    case C_SEEK: case C_REWIND:
        if (tracked)
            *(ok ? &w->a.seek_ops : &w->a.err_read_write) += 1;
        break;
    case C_STAT_PATH:
        *(ok ? &w->orphan.stat_ops : &w->orphan.err_stat) += 1;
        break;
    case C_STAT_FD:
        *(ok ? (tracked ? &w->a.stat_ops : &w->orphan.stat_ops) : &w->a.err_stat) += 1;
        break;
    case C_UNLINK:
        w->orphan.err_open_close += !ok;
        break;
    case C_SOCKET: case C_ACCEPT:
        if (ok)
            *key_new = FRESH_SOCKET;
        else
            w->net_orphan.err_open_close++;
        break;
    case C_SOCKETPAIR:
        if (ok)
            w->key[watched_at(FD_C)] = w->key[watched_at(FD_D)] = FRESH_SOCKET;
        break;
    case C_CONNECT:         /* on a file's record: only a failure counts */
        w->net_orphan.err_open_close += !ok;
        break;
    case C_DNS:
        w->dns++;
        break;
    }
}

static void counts_check(const char *what, const struct rep_io_counts *got,
                         const struct rep_io_counts *want, const char *ctx)
{
    static const char *const fields[REP_COUNTS_N] = {
#define REP_COUNT(name) #name,
#include "rep_counters.def"
#undef REP_COUNT
    };
    const uint64_t *g = rep_io_counts_array((struct rep_io_counts *)got);
    const uint64_t *w = rep_io_counts_array((struct rep_io_counts *)want);

    for (size_t i = 0; i < REP_COUNTS_N; i++)
        ck_assert_msg(g[i] == w[i], "%s: %s.%s is %llu, want %llu", ctx, what, fields[i],
                      (unsigned long long)g[i], (unsigned long long)w[i]);
}

void snap_check(const struct snap *got, const struct snap *want, const char *ctx)
{
    counts_check("record a", &got->a, &want->a, ctx);
    counts_check("record b", &got->b, &want->b, ctx);
    counts_check("stdout's record", &got->one, &want->one, ctx);
    counts_check("files process-wide", &got->orphan, &want->orphan, ctx);
    counts_check("net process-wide", &got->net_orphan, &want->net_orphan, ctx);
    ck_assert_msg(got->dns == want->dns, "%s: dns requests %llu, want %llu", ctx,
                  (unsigned long long)got->dns, (unsigned long long)want->dns);
    for (size_t i = 0; i < WATCHED; i++) {
        uint64_t k = got->key[i], w = want->key[i];
        if (w == FRESH_FILE || w == FRESH_SOCKET || w == FRESH_NAMELESS) {
            ck_assert_msg(k != 0, "%s: fd %d has no record", ctx, watched[i]);
            struct ip_rec *f = ip_rec_of_key(k);
            ck_assert_msg(f->kind == (w == FRESH_SOCKET ? IP_KIND_SOCKET : IP_KIND_FILE) &&
                          f->live.opens == 1, "%s: fd %d: wrong record", ctx, watched[i]);
            ck_assert_msg(w != FRESH_FILE || !strcmp(f->path, "/conformance/path"),
                          "%s: fd %d opened as %s", ctx, watched[i], f->path);
        } else {
            /* learned at its first use as nothing to count: still no record */
            if (w == 0 && k == IP_REC_KEY_NOTHING)
                k = 0;
            ck_assert_msg(k == w, "%s: fd %d names another record", ctx, watched[i]);
        }
    }
}

