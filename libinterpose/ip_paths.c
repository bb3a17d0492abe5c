/* ip_paths.c: names made absolute and normal; buffers for long paths,
 * claimed from a bitmap with a CAS. */
#include "ip_paths.h"
#include "ip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define WORDS ((IP_LONG_PATHS + 63) / 64)

static char long_paths[IP_LONG_PATHS][PATH_MAX];   /* .bss: a page each as used */
static uint64_t used[WORDS];
static uint64_t paths_cut;

_Static_assert(IP_LONG_PATHS % 64 == 0, "whole bitmap words");

uint32_t ip_long_path_claim(void)
{
    for (uint32_t w = 0; w < WORDS; w++) {
        uint64_t bits = __atomic_load_n(&used[w], __ATOMIC_RELAXED);
        while (~bits) {
            uint32_t bit = (uint32_t)__builtin_ctzll(~bits);
            if (__atomic_compare_exchange_n(&used[w], &bits, bits | 1ULL << bit, true,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return w * 64 + bit + 1;
        }
    }
    return 0;
}

char *ip_long_path(uint32_t n)
{
    return long_paths[n - 1];
}

void ip_long_path_free(uint32_t n)
{
    __atomic_fetch_and(&used[(n - 1) / 64], ~(1ULL << ((n - 1) % 64)), __ATOMIC_RELEASE);
}

void ip_long_paths_forget(void)
{
    for (uint32_t w = 0; w < WORDS; w++)
        __atomic_store_n(&used[w], 0, __ATOMIC_RELEASE);
}

void ip_path_cut_count(void)
{
    __atomic_add_fetch(&paths_cut, 1, __ATOMIC_RELAXED);
}

uint64_t ip_paths_take_cut(void)
{
    return __atomic_exchange_n(&paths_cut, 0, __ATOMIC_RELAXED);
}

/* The working directory, behind a sequence count: odd while a chdir
 * writes it. A chdir that finds another one writing (threads, or a
 * signal handler's) does not wait: it marks the name unknown until the
 * next uncontended one. */
static char cwd[PATH_MAX];
static uint32_t cwd_seq;
static bool cwd_known;          /* atomic */

void ip_cwd_note(void)
{
    int saved = errno;
    uint32_t seq = __atomic_load_n(&cwd_seq, __ATOMIC_RELAXED);

    if ((seq & 1) || !__atomic_compare_exchange_n(&cwd_seq, &seq, seq + 1, false,
                                                  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        __atomic_store_n(&cwd_known, false, __ATOMIC_RELAXED);
        errno = saved;
        return;
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    bool known = getcwd(cwd, sizeof cwd) && cwd[0] == '/';
    __atomic_store_n(&cwd_known, known, __ATOMIC_RELAXED);
    __atomic_store_n(&cwd_seq, seq + 2, __ATOMIC_RELEASE);
    errno = saved;
}

struct name_out {
    char *buf;
    size_t cap, len;
    bool over;
};

/* The components of s[0, n) onto o, "." and ".." applied. */
static void components_put(struct name_out *o, const char *s, size_t n)
{
    const char *end = s + n;

    while (s < end && !o->over) {
        while (s < end && *s == '/')
            s++;
        const char *c = s;
        /* memchr: libc's vector search, not a byte loop (every open) */
        const char *slash = memchr(s, '/', (size_t)(end - s));
        s = slash ? slash : end;
        size_t k = (size_t)(s - c);
        if (k == 0 || (k == 1 && c[0] == '.'))
            continue;
        if (k == 2 && c[0] == '.' && c[1] == '.') {
            while (o->len > 0 && o->buf[o->len - 1] != '/')
                o->len--;
            if (o->len > 0)
                o->len--;
            continue;
        }
        if (o->len + 1 + k >= o->cap) {
            /* cut: as much of it as fits, so that what is kept is the
             * name's first cap - 1 bytes */
            if (o->len + 1 < o->cap) {
                o->buf[o->len++] = '/';
                memcpy(o->buf + o->len, c, o->cap - 1 - o->len);
                o->len = o->cap - 1;
            }
            o->over = true;
            return;
        }
        o->buf[o->len++] = '/';
        memcpy(o->buf + o->len, c, k);
        o->len += k;
    }
}

static enum ip_resolved name_end(struct name_out *o)
{
    if (o->len == 0 && o->cap > 1)
        o->buf[o->len++] = '/';
    o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->over ? IP_RESOLVED_TOO_LONG : IP_RESOLVED;
}

/* path as given: it cannot be put anywhere. */
static enum ip_resolved name_as_given(char *out, size_t cap, const char *path)
{
    size_t n = strnlen(path, cap);
    bool whole = n < cap;

    if (!whole)
        n = cap - 1;
    memcpy(out, path, n);
    out[n] = '\0';
    return whole ? IP_RESOLVED : IP_RESOLVED_TOO_LONG;
}

/* Against the working directory: copied under its sequence count, and
 * again if a chdir wrote it meanwhile (a few times at most). */
static enum ip_resolved name_in_cwd(struct name_out *o, const char *path)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t seq = __atomic_load_n(&cwd_seq, __ATOMIC_ACQUIRE);
        if (seq & 1)
            continue;
        if (!__atomic_load_n(&cwd_known, __ATOMIC_RELAXED))
            break;
        o->len = 0;
        o->over = false;
        components_put(o, cwd, strnlen(cwd, sizeof cwd));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&cwd_seq, __ATOMIC_RELAXED) != seq)
            continue;
        components_put(o, path, strlen(path));
        return name_end(o);
    }
    return name_as_given(o->buf, o->cap, path);
}

/* already_normal, a component at a time. */
static bool normal_by_components(const char *s, size_t n)
{
    const char *end = s + n;

    if (n < 2)
        return false;               /* "/" alone: components_put's way */
    for (const char *c = s + 1; c <= end; c++) {  /* c: a component's start */
        const char *slash = memchr(c, '/', (size_t)(end - c));
        const char *stop = slash ? slash : end;
        size_t k = (size_t)(stop - c);
        if (k == 0 || (c[0] == '.' && (k == 1 || (k == 2 && c[1] == '.'))))
            return false;
        if (!slash)
            return true;
        c = slash;
    }
    return false;
}

static uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* Is any of p[0, 8) a slash followed by a slash or a dot (p[8] is read)?
 * Byte j of `here` is p[j], of `next` p[j + 1]; '.' and '/' differ in
 * their lowest bit only. x has a zero byte where both hold, and the
 * classic test says whether it has one (exactly, though not which). */
static bool slash_then_dot_or_slash(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, slashes = 0x2f * ones;
    uint64_t x = (load8(p) ^ slashes) | ((load8(p + 1) | ones) ^ slashes);

    return ((x - ones) & ~x & (ones << 7)) != 0;
}

/* Is the absolute path s (n bytes) normal already: no empty, "." or ".."
 * component, no slash at its end? Most paths a program opens are: they
 * are then copied whole. Every such component starts with "//" or "/.",
 * so a path with neither is normal; that is looked for eight pairs of
 * bytes at a time (every open pays this), the components only in a path
 * that has one ("/.config" is normal too). */
static bool already_normal(const char *s, size_t n)
{
    if (n < 9)
        return normal_by_components(s, n);
    if (s[n - 1] == '/')
        return false;
    /* pairs (j, j + 1) for j in [0, n - 2]: windows of eight from 0, the
     * last one ending at n - 2 (overlapping the one before) */
    for (size_t i = 0;; i += 8) {
        if (i > n - 9)
            i = n - 9;
        if (slash_then_dot_or_slash(s + i))
            return normal_by_components(s, n);
        if (i == n - 9)
            return true;
    }
}

enum ip_resolved ip_path_resolve(char *out, size_t cap, int dirfd, const char *path)
{
    struct name_out o = { out, cap, 0, false };

    if (path[0] == '/') {
        size_t n = strlen(path);
        if (n < cap && already_normal(path, n)) {
            memcpy(out, path, n + 1);
            return IP_RESOLVED;
        }
        components_put(&o, path, n);
        return name_end(&o);
    }
    if (dirfd == AT_FDCWD)
        return name_in_cwd(&o, path);
    /* the directory's record names it (learned from the kernel if need be) */
    struct ip_rec_ref dir = ip_rec_of_fd(dirfd, true);
    if (!dir.file || dir.file->kind != IP_KIND_FILE)
        return name_as_given(out, cap, path);
    const char *base = ip_rec_path(dir.file);
    if (base[0] != '/')
        return name_as_given(out, cap, path);
    components_put(&o, base, strlen(base));
    components_put(&o, path, strlen(path));
    enum ip_resolved r = name_end(&o);
    return r == IP_RESOLVED && dir.file->path_cut ? IP_RESOLVED_BASE_CUT : r;
}

/* ---- a record's name ---------------------------------------------------- */

/* The record's name for path (relative to dirfd, AT_FDCWD: the working
 * directory): absolute and normal (ip_path_resolve). One too long for
 * the record goes to a long-path buffer; with none free, or past
 * PATH_MAX, it is cut, and that is said. */
void ip_rec_name_set(struct ip_rec *f, int dirfd, const char *path)
{
    f->long_path = 0;
    f->path_cut = 0;
    enum ip_resolved r = ip_path_resolve(f->path, IP_PATH_MAX, dirfd, path);
    if (__builtin_expect(r == IP_RESOLVED, 1))
        return;
    if (r == IP_RESOLVED_TOO_LONG && (f->long_path = ip_long_path_claim()) != 0)
        r = ip_path_resolve(ip_long_path(f->long_path), PATH_MAX, dirfd, path);
    f->path_cut = r != IP_RESOLVED;
    if (f->path_cut)
        ip_path_cut_count();
}

void ip_rec_name_release(struct ip_rec *f)
{
    if (f->long_path)
        ip_long_path_free(f->long_path);
    f->long_path = 0;
}

void ip_rec_name_reread(struct ip_rec *f, const char *link)
{
    uint32_t buf = ip_long_path_claim();
    ssize_t got = buf ? readlink(link, ip_long_path(buf), PATH_MAX) : -1;
    if (got > 0) {
        bool whole = got < PATH_MAX;
        ip_long_path(buf)[whole ? got : PATH_MAX - 1] = '\0';
        f->long_path = buf;
        if (whole)
            return;
    } else if (buf) {
        ip_long_path_free(buf);
    }
    f->path_cut = 1;
    ip_path_cut_count();
}
