/* inj_target.c: find libscope.so and judge the program to run (see inj_target.h). */
#include "inj_target.h"

#include "elfpatch.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* <dir of /proc/self/exe>/../lib/libscope.so, not yet resolved. */
static int default_library(char *out, size_t len)
{
    char exe[PATH_MAX];

    if (!realpath("/proc/self/exe", exe)) {
        fprintf(stderr, "scope: cannot resolve /proc/self/exe: %s\n", strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(out, len, "%s/../lib/libscope.so", dirname(exe)) >= len) {
        fprintf(stderr, "scope: path of libscope.so is too long\n");
        return -1;
    }
    return 0;
}

static int trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid() || uid == getuid();
}

/* lib (a real path: no symlink in it) and every directory above it are
 * owned by root or us and writable by nobody else, so nobody else can
 * replace the library before a process loads it. A world-writable
 * directory with the sticky bit (/tmp) passes: nobody else may rename or
 * remove what is ours in it. */
static int library_trusted(const char *lib)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof path, "%s", lib);
    for (int file = 1;; file = 0) {
        if (lstat(path[0] ? path : "/", &st) != 0) {
            fprintf(stderr, "scope: cannot check %s: %s\n", path[0] ? path : "/", strerror(errno));
            return -1;
        }
        int writable = (st.st_mode & 022) && (file || !(st.st_mode & S_ISVTX));
        if (!trusted_owner(st.st_uid) || writable) {
            fprintf(stderr, "scope: refusing the library %s: %s is owned by uid %u with mode "
                    "%04o, so another user could replace the library before it is loaded; "
                    "the library and every directory above it must be owned by root (or "
                    "you) and not writable by group or others\n", lib, path[0] ? path : "/",
                    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            return -1;
        }
        char *slash = strrchr(path, '/');
        if (!path[0] || !slash)
            return 0;
        *slash = '\0';
    }
}

/* A 64-bit x86-64 ELF shared object: what a process can load. */
static int library_loadable(const char *lib, const char *named_by)
{
    Elf64_Ehdr h;
    int fd = open(lib, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, &h, sizeof h);

    if (fd >= 0)
        close(fd);
    if (n == (ssize_t)sizeof h && memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 &&
        h.e_ident[EI_CLASS] == ELFCLASS64 && h.e_type == ET_DYN && h.e_machine == EM_X86_64)
        return 0;
    fprintf(stderr, "scope: %s%s is not a 64-bit x86-64 ELF shared object; it must be "
            "libscope.so\n", named_by, lib);
    return -1;
}

int inj_library_check(const char *path, const char *named_by, char *out, size_t len)
{
    char resolved[PATH_MAX];

    if (!realpath(path, resolved) || access(resolved, R_OK) != 0)
        return -1;
    if (strlen(resolved) >= len) {
        fprintf(stderr, "scope: path of %s is too long\n", path);
        return -2;
    }
    if (library_trusted(resolved) < 0 || library_loadable(resolved, named_by) < 0)
        return -2;
    strcpy(out, resolved);
    return 0;
}

int inj_find_library(char *out, size_t len)
{
    const char *env = getenv("SCOPE_LIB_PATH");
    char fallback[PATH_MAX], resolved[PATH_MAX];
    const char *want;

    if (default_library(fallback, sizeof fallback) < 0)
        return -1;
    want = env && env[0] ? env : fallback;
    int rc = inj_library_check(want, env && env[0] ? "SCOPE_LIB_PATH=" : "", resolved,
                               sizeof resolved);
    if (rc == -1) {
        int err = errno;
        if (env && env[0])
            fprintf(stderr, "scope: cannot use the library $SCOPE_LIB_PATH=%s: %s "
                    "(without SCOPE_LIB_PATH scope would load %s)\n",
                    env, strerror(err), fallback);
        else
            fprintf(stderr, "scope: cannot find libscope.so at %s: %s "
                    "(SCOPE_LIB_PATH is not set; set it to the library's path)\n",
                    fallback, strerror(err));
        return -1;
    }
    if (rc < 0)
        return -1;
    if (strlen(resolved) >= len) {
        fprintf(stderr, "scope: path of libscope.so is too long\n");
        return -1;
    }
    strcpy(out, resolved);
    return 0;
}

int inj_program_lookup(const char *cmd, char *out, size_t len)
{
    const char *path = getenv("PATH");
    struct stat st;

    if (strchr(cmd, '/'))
        return (size_t)snprintf(out, len, "%s", cmd) < len ? 0 : -1;
    if (!path)
        path = "/bin:/usr/bin";   /* execvp()'s default */
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        int dirlen = (int)(end - p);

        /* An empty PATH element is the current directory. */
        if ((size_t)snprintf(out, len, "%.*s%s%s", dirlen, p, dirlen ? "/" : "", cmd) < len &&
            access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
        if (*end == '\0')
            return -1;
        p = end;
    }
}

/* Would path run with other credentials than ours (secure execution)?
 * Then the loader ignores an LD_PRELOAD path, and the session would stay
 * empty. Setuid or setgid to another owner, or file capabilities for a
 * caller that is not root; not on a nosuid mount, nor for a caller with
 * no_new_privs (the kernel then ignores both). */
static const char *secure_execution(const char *path)
{
    struct stat st;
    struct statvfs vfs;

    if (stat(path, &st) != 0 || (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) ||
        prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
        return NULL;
    if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
        return "setuid";
    if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && st.st_gid != getgid())
        return "setgid";
    if (getuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0)
        return "given file capabilities";
    return NULL;
}

int inj_check_program(const char *cmd)
{
    char path[PATH_MAX], why[PATH_MAX + 256] = "";
    const char *advice;

    if (inj_program_lookup(cmd, path, sizeof path) < 0)
        return 0;
    switch (ep_elf_classify(path, why, sizeof why)) {
    case EP_ELF_STATIC:
        advice = "run a dynamically linked build of it";
        break;
    case EP_ELF_GO:
        advice = "a build with cgo (CGO_ENABLED=1) links libc and is accepted, "
                 "though only its calls through libc are seen";
        break;
    case EP_ELF_32BIT:
        advice = "run such a build of it";
        break;
    default: {
        const char *how = secure_execution(path);
        if (!how)
            return 0;
        fprintf(stderr, "scope: %s is %s: it runs with other credentials than yours, "
                "and the loader then ignores LD_PRELOAD, so scope cannot observe it; "
                "run scope as the user it runs as\n", path, how);
        return -1;
    }
    }
    /* why is a sentence that names the file; the advice finishes it */
    fprintf(stderr, "scope: %s; %s\n", why, advice);
    return -1;
}
