/* inj_slots.h: a model of a process's ELF objects and the GOT slots of the
 * hooked functions in them, for `scope inspect`: where each slot points
 * and whether that is libscope (hooked), what the dynamic linker would
 * have put there (original: the real definition, or the slot's own PLT
 * stub when a lazily bound slot was never called), or anything else
 * (other). It answers "did detach put everything back?".
 *
 * Pure code: the caller reads the memory map, the objects' files and the
 * slots' values, and hands them in; nothing here reads /proc, traces or
 * prints.
 */
#ifndef INJ_SLOTS_H
#define INJ_SLOTS_H

#include "elfpatch.h"
#include "inj_proc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every hooked name, from the one list libscope.so is built from. */
enum {
#define IP_HOOK(ret, name, params) INJ_HOOK_##name,
#include "ip_hooks.def"
#undef IP_HOOK
    INJ_NHOOKS
};
extern const char *const inj_hook_names[INJ_NHOOKS];

/* A function an object defines (ep_elf_funcs). */
struct inj_func {
    char *name;
    uint64_t value;             /* file address */
    bool dynamic, hidden_version, ifunc;
};

struct inj_object {
    const char *path;           /* as the process sees it (the caller keeps it) */
    const struct inj_mapping *map;  /* its mapping at offset 0 (the caller keeps it) */
    uintptr_t base;             /* start of its mapping at file offset 0 */
    uintptr_t bias;             /* what file addresses are moved by */
    struct ep_elf_layout layout;
    struct inj_func *funcs;
    size_t nfuncs, capfuncs;
    int error;                  /* -errno: its file could not be read */
};

/* Add f (copied) to o's functions: 0 or -ENOMEM. */
int inj_object_add_func(struct inj_object *o, const struct ep_elf_func *f);
void inj_object_free(struct inj_object *o);

/* Where the loader bound a hooked name: the definition, in the first object
 * that exports it with its default version (name@VER is skipped by an
 * unversioned lookup). No definer: an undefined weak reference, bound
 * to 0. */
struct inj_original {
    const struct inj_object *definer;
    uintptr_t addr;
    bool ifunc;                 /* addr unknown: the resolver picks it */
    bool resolved;              /* computed (lazily, once per name) */
};

struct inj_model {
    const struct inj_mapping *maps;     /* the process's memory map */
    size_t nmaps;
    struct inj_object *objects;         /* maps order of first appearance */
    size_t nobjects;
    const struct inj_object *scope;     /* libscope.so, or NULL */
    struct inj_original originals[INJ_NHOOKS];
};

/* A model of these maps and objects (both kept by the caller). */
void inj_model_init(struct inj_model *m, const struct inj_mapping *maps, size_t nmaps,
                    struct inj_object *objects, size_t nobjects);

/* The name of a mapped object: its path's last element, "memfd:" taken
 * off (a library scope handed over as a memfd maps as
 * "/memfd:libscope.so (deleted)"). */
const char *inj_object_name(const char *path);

/* path's basename starts with "libscope.so". */
bool inj_is_libscope(const char *path);

enum inj_slot_state { INJ_SLOT_HOOKED, INJ_SLOT_ORIGINAL, INJ_SLOT_OTHER, INJ_SLOT_STATES };

extern const char *const inj_slot_state_names[INJ_SLOT_STATES];

struct inj_slot {
    size_t hook;                /* index into inj_hook_names */
    unsigned type;              /* R_X86_64_JUMP_SLOT, _GLOB_DAT or _64 */
    uintptr_t addr;             /* in the process */
    uint64_t value;             /* the 8 bytes in the slot now */
    /* Set by inj_slot_judge(): */
    char points_to[320];        /* object basename and symbol: see NOW in the help */
    enum inj_slot_state state;
    const struct inj_original *original;
};

struct inj_slot_list {
    struct inj_slot *v;
    size_t n, cap;
};

/* Append the slot at file address offset for `name` (an element of
 * inj_hook_names, as ep_elf_slots passes it). 0 or -ENOMEM. */
int inj_slot_list_add(struct inj_slot_list *l, const char *name, uint64_t offset,
                      unsigned type);

/* s->addr and s->value known, in object own: say where it points, which
 * definition is the original, and judge it. */
void inj_slot_judge(struct inj_model *m, const struct inj_object *own, struct inj_slot *s);

/* "JUMP_SLOT", "GLOB_DAT" or "64". */
const char *inj_reloc_type_name(unsigned type);

#endif
