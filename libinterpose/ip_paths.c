/* ip_paths.c: buffers for long paths, claimed from a bitmap with a CAS. */
#include "ip_paths.h"

#include <stdbool.h>

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
