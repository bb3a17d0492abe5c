/* inj_slots.c: the model of a process's objects and hooked slots (see
 * inj_slots.h). */
#include "inj_slots.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const inj_hook_names[INJ_NHOOKS] = {
#define IP_HOOK(ret, name, params) #name,
#include "ip_hooks.def"
#undef IP_HOOK
};

const char *const inj_slot_state_names[INJ_SLOT_STATES] = { "hooked", "original", "other" };

const char *inj_object_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;

    return strncmp(name, "memfd:", 6) == 0 ? name + 6 : name;
}

bool inj_is_libscope(const char *path)
{
    return strncmp(inj_object_name(path), "libscope.so", strlen("libscope.so")) == 0;
}

/* v (n elements of size bytes used of *cap) with room for one more: v, or
 * a new block (the first holds `first`), or NULL when out of memory (v
 * and *cap unchanged). */
static void *room_for_one(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? 2 * *cap : first;
    void *nv = realloc(v, ncap * size);
    if (nv)
        *cap = ncap;
    return nv;
}

int inj_object_add_func(struct inj_object *o, const struct ep_elf_func *f)
{
    struct inj_func *v = room_for_one(o->funcs, o->nfuncs, &o->capfuncs, sizeof *v, 256);

    if (!v)
        return -ENOMEM;
    o->funcs = v;
    char *name = strdup(f->name);
    if (!name)
        return -ENOMEM;
    o->funcs[o->nfuncs++] = (struct inj_func){ name, f->value, f->dynamic,
                                               f->hidden_version, f->ifunc };
    return 0;
}

void inj_object_free(struct inj_object *o)
{
    for (size_t i = 0; i < o->nfuncs; i++)
        free(o->funcs[i].name);
    free(o->funcs);
}

/* ---- where an address points ------------------------------------------- */

static const struct inj_object *object_at(const struct inj_model *p, uint64_t addr)
{
    for (size_t i = 0; i < p->nmaps; i++) {
        const struct inj_mapping *m = &p->maps[i];
        if (addr < m->start || addr >= m->end)
            continue;
        for (size_t k = 0; k < p->nobjects; k++)
            if (strcmp(p->objects[k].path, m->path) == 0)
                return &p->objects[k];
        return NULL;
    }
    return NULL;
}

static bool mapped(const struct inj_model *p, uint64_t addr)
{
    for (size_t i = 0; i < p->nmaps; i++)
        if (addr >= p->maps[i].start && addr < p->maps[i].end)
            return true;
    return false;
}

static bool in_plt(const struct inj_object *o, uint64_t addr)
{
    for (size_t i = 0; i < o->layout.nplt; i++)
        if (addr >= o->bias + o->layout.plt[i].start && addr < o->bias + o->layout.plt[i].end)
            return true;
    return false;
}

/* The name of the function at exactly addr: `preferred` if it is one of
 * them (aliases such as write and __write share an address), else the
 * first, exported ones first. NULL if none starts there. */
static const char *func_at(const struct inj_object *o, uint64_t addr, const char *preferred)
{
    const char *first = NULL;

    for (size_t i = 0; i < o->nfuncs; i++) {
        if (o->funcs[i].ifunc || o->bias + o->funcs[i].value != addr)
            continue;
        if (strcmp(o->funcs[i].name, preferred) == 0)
            return o->funcs[i].name;
        if (!first)
            first = o->funcs[i].name;
    }
    return first;
}

/* The function `name` as an unversioned lookup finds it in o, or NULL. */
static const struct inj_func *func_exported(const struct inj_object *o, const char *name)
{
    for (size_t k = 0; k < o->nfuncs; k++) {
        const struct inj_func *f = &o->funcs[k];
        if (f->dynamic && !f->hidden_version && strcmp(f->name, name) == 0)
            return f;
    }
    return NULL;
}

/* libscope.so exports no hooked name, and would not count if it did: the
 * original is what the process would call without scope. */
static const struct inj_original *original_of(struct inj_model *p, size_t hook)
{
    struct inj_original *orig = &p->originals[hook];

    for (size_t i = 0; !orig->resolved && i < p->nobjects; i++) {
        const struct inj_object *o = &p->objects[i];
        const struct inj_func *f =
            o == p->scope ? NULL : func_exported(o, inj_hook_names[hook]);
        if (!f)
            continue;
        orig->definer = o;
        orig->addr = f->ifunc ? 0 : o->bias + f->value;
        orig->ifunc = f->ifunc;
        orig->resolved = true;
    }
    orig->resolved = true;
    return orig;
}

/* ---- slots ---------------------------------------------------------------- */

int inj_slot_list_add(struct inj_slot_list *l, const char *name, uint64_t offset,
                      unsigned type)
{
    size_t hook = 0;

    while (hook < INJ_NHOOKS && inj_hook_names[hook] != name)
        hook++;
    struct inj_slot *v = room_for_one(l->v, l->n, &l->cap, sizeof *v, 64);
    if (!v)
        return -ENOMEM;
    l->v = v;
    l->v[l->n++] = (struct inj_slot){ .hook = hook, .type = type, .addr = offset };
    return 0;
}

const char *inj_reloc_type_name(unsigned type)
{
    switch (type) {
    case R_X86_64_JUMP_SLOT:
        return "JUMP_SLOT";
    case R_X86_64_GLOB_DAT:
        return "GLOB_DAT";
    default:
        return "64";
    }
}

/* What s->value is, for a person: see NOW in the help. */
static void slot_describe(const struct inj_model *p, const struct inj_object *own,
                          struct inj_slot *s)
{
    const char *name = inj_hook_names[s->hook];
    const struct inj_object *to = object_at(p, s->value);
    char wrapper[64];
    const char *fn;

    if (s->value == 0) {
        snprintf(s->points_to, sizeof s->points_to, "null");
    } else if (to && to == p->scope) {
        snprintf(wrapper, sizeof wrapper, "ip_wrap_%s", name);
        fn = func_at(to, s->value, wrapper);
        snprintf(s->points_to, sizeof s->points_to, "libscope%s%s", fn ? ":" : "", fn ? fn : "");
    } else if (to && to == own && in_plt(own, s->value)) {
        snprintf(s->points_to, sizeof s->points_to, "plt-stub");
    } else if (to && (fn = func_at(to, s->value, name))) {
        snprintf(s->points_to, sizeof s->points_to, "%s:%s", inj_object_name(to->path), fn);
    } else if (to) {
        snprintf(s->points_to, sizeof s->points_to, "%s+0x%llx", inj_object_name(to->path),
                 (unsigned long long)(s->value - to->bias));
    } else {
        snprintf(s->points_to, sizeof s->points_to, "%s",
                 mapped(p, s->value) ? "anonymous memory" : "unmapped");
    }
}

static enum inj_slot_state slot_state(const struct inj_model *p, const struct inj_object *own,
                                      const struct inj_slot *s)
{
    const struct inj_object *to = object_at(p, s->value);
    const struct inj_original *orig = s->original;

    if (to && to == p->scope)
        return INJ_SLOT_HOOKED;
    if (to && to == own && in_plt(own, s->value))
        return INJ_SLOT_ORIGINAL;
    if (orig->ifunc ? to == orig->definer : s->value == orig->addr)
        return INJ_SLOT_ORIGINAL;
    return INJ_SLOT_OTHER;
}

void inj_slot_judge(struct inj_model *m, const struct inj_object *own, struct inj_slot *s)
{
    s->original = original_of(m, s->hook);
    slot_describe(m, own, s);
    s->state = slot_state(m, own, s);
}

void inj_model_init(struct inj_model *m, const struct inj_mapping *maps, size_t nmaps,
                    struct inj_object *objects, size_t nobjects)
{
    memset(m, 0, sizeof *m);
    m->maps = maps;
    m->nmaps = nmaps;
    m->objects = objects;
    m->nobjects = nobjects;
    for (size_t i = 0; i < nobjects; i++)
        if (inj_is_libscope(objects[i].path))
            m->scope = &objects[i];
}
