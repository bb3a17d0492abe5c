/* rep_proc.c: sample this process from /proc/self (on the reporter thread,
 * once per period). */
#include "rep_proc.h"

#include <fcntl.h>

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The process's CPU clock: every thread's run time to the nanosecond.
 * utime and stime in /proc/self/stat count in clock ticks (10 ms at
 * USER_HZ 100): over a period of a few ms, one tick more or less is
 * several hundred percent of one CPU. */
int rep_proc_cpu_us(uint64_t *us)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return -1;
    *us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    return 0;
}

#define STATUS_MAX 4096

/* /proc/self/status into buf (STATUS_MAX bytes); false when unreadable. */
static bool status_text(char *buf)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, STATUS_MAX - 1) : -1;

    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0;
}

/* The number after "name:" in status text, or -1. */
static long status_number(const char *text, const char *name)
{
    char key[64];

    if (snprintf(key, sizeof key, "\n%s:", name) >= (int)sizeof key)
        return -1;
    const char *at = strstr(text, key);
    return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

long rep_proc_status_field(const char *name)
{
    char buf[STATUS_MAX];

    return status_text(buf) ? status_number(buf, name) : -1;
}

static int status_read(struct rep_proc_sample *s)
{
    char buf[STATUS_MAX];

    if (!status_text(buf))
        return -1;
    long rss = status_number(buf, "VmRSS"), threads = status_number(buf, "Threads");

    if (rss >= 0)
        s->rss_kib = (uint64_t)rss;
    if (threads >= 0)
        s->threads = (unsigned)threads;
    return threads < 0 ? -1 : 0;
}

/* Entries of a /proc directory, or words of a /proc file. */
static unsigned dir_count(const char *path)
{
    unsigned n = 0;
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static unsigned words_count(const char *path)
{
    unsigned n = 0;
    int c, in_word = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return 0;
    while ((c = getc(f)) != EOF) {
        if (c == ' ' || c == '\n')
            in_word = 0;
        else if (!in_word && ++n)
            in_word = 1;
    }
    fclose(f);
    return n;
}

/* Children of every thread (/proc/self/task/TID/children). */
static unsigned children_count(void)
{
    char path[64];
    unsigned n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%.16s/children", e->d_name);
        n += words_count(path);
    }
    closedir(d);
    return n;
}

int rep_proc_sample(struct rep_proc_sample *s, int own_fd_table)
{
    memset(s, 0, sizeof *s);
    int rc = rep_proc_cpu_us(&s->cpu_us) | status_read(s);
    /* /proc/self/fd is the program's table: less the descriptor opendir
     * holds while counting, when it is opened there */
    unsigned fds = dir_count("/proc/self/fd");
    s->fds = fds && !own_fd_table ? fds - 1 : fds;
    s->children = children_count();
    return rc ? -1 : 0;
}

void rep_proc_user_group(char *user, size_t userlen, char *group, size_t grouplen)
{
    char buf[4096];
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;

    user[0] = group[0] = '\0';
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &pwp) == 0 && pwp)
        snprintf(user, userlen, "%s", pw.pw_name);
    if (getgrgid_r(getgid(), &gr, buf, sizeof buf, &grp) == 0 && grp)
        snprintf(group, grouplen, "%s", gr.gr_name);
}
