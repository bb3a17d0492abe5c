/* inj_period.c: period lengths from the lines' times (see inj_period.h). */
#include "inj_period.h"
#include "inj_session.h"

#include <stdlib.h>
#include <string.h>

struct inj_pid_times {
    json_int_t pid;
    double *t;                  /* distinct, ascending */
    size_t n, cap;
};

static struct inj_pid_times *times_of(const struct inj_periods *p, json_int_t pid)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].pid == pid)
            return &p->v[i];
    return NULL;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : 16;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

int inj_periods_see(struct inj_periods *p, json_int_t pid, double t)
{
    struct inj_pid_times *pt = times_of(p, pid);
    size_t i;

    if (!pt) {
        if (grow((void **)&p->v, &p->cap, p->n, sizeof *p->v) < 0)
            return -1;
        pt = &p->v[p->n++];
        *pt = (struct inj_pid_times){ .pid = pid };
    }
    /* lines come in time order: the place is nearly always the end */
    for (i = pt->n; i > 0 && pt->t[i - 1] > t; i--)
        ;
    if (i > 0 && pt->t[i - 1] == t)
        return 0;
    if (grow((void **)&pt->t, &pt->cap, pt->n, sizeof *pt->t) < 0)
        return -1;
    memmove(&pt->t[i + 1], &pt->t[i], (pt->n - i) * sizeof *pt->t);
    pt->t[i] = t;
    pt->n++;
    return 0;
}

double inj_periods_len(const struct inj_periods *p, json_int_t pid, double t)
{
    const struct inj_pid_times *pt = times_of(p, pid);
    double before = 0;

    for (size_t i = 0; pt && i < pt->n && pt->t[i] < t; i++)
        before = pt->t[i];
    if (before == 0 && pid == p->start_pid && p->start > 0)
        before = p->start;
    return before > 0 && t > before ? t - before : 0;
}

void inj_periods_start(struct inj_periods *p, const char *dir)
{
    json_t *info = inj_info_read(dir);
    json_t *pid = json_object_get(info, "pid"), *start = json_object_get(info, "start");

    if (json_is_integer(pid) && json_is_number(start)) {
        p->start_pid = json_integer_value(pid);
        p->start = json_number_value(start);
    }
    json_decref(info);
}

void inj_periods_free(struct inj_periods *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].t);
    free(p->v);
    memset(p, 0, sizeof *p);
}
