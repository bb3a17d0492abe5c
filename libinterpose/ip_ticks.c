/* ip_ticks.c: cheap time stamps for call durations.
 *
 * Reading the TSC costs a few nanoseconds; a vDSO clock_gettime costs
 * several times that, twice per timed call. The TSC is used only when the
 * CPU says it ticks at a constant rate through frequency changes and sleep
 * states (constant_tsc and nonstop_tsc); the ratio to nanoseconds is
 * measured against CLOCK_MONOTONIC over the whole time since attach, so no
 * calibration pause is needed and it only gets more exact. The reporter
 * measures it once per drain; conversions just multiply.
 */
#include "ip.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

bool ip_tsc_usable;
static uint64_t tick0;
static int64_t ns0;
static uint64_t ns_per_tick_bits;   /* a double, stored as bits: atomic */

/* Both flags in the first "flags" line of /proc/cpuinfo. */
static bool tsc_is_invariant(void)
{
    char buf[8192];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *flags = strstr(buf, "\nflags");
    if (!flags)
        return false;
    char *end = strchr(flags + 1, '\n');
    if (end)
        *end = '\0';
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
}

static void ratio_store(double ns_per_tick)
{
    uint64_t bits;
    memcpy(&bits, &ns_per_tick, sizeof bits);
    __atomic_store_n(&ns_per_tick_bits, bits, __ATOMIC_RELAXED);
}

void ip_ticks_calibrate_start(void)
{
    ip_tsc_usable = tsc_is_invariant();
    tick0 = ip_ticks();
    ns0 = ip_now_ns();
    ratio_store(0);
}

void ip_ticks_recalibrate(void)
{
    if (!ip_tsc_usable)
        return;
    uint64_t elapsed_ticks = ip_ticks() - tick0;
    int64_t elapsed_ns = ip_now_ns() - ns0;
    if (elapsed_ticks > 0 && elapsed_ns > 0)
        ratio_store((double)elapsed_ns / (double)elapsed_ticks);
}

uint64_t ip_ticks_to_ns(uint64_t ticks)
{
    double ns_per_tick;
    uint64_t bits = __atomic_load_n(&ns_per_tick_bits, __ATOMIC_RELAXED);

    if (!ip_tsc_usable)
        return ticks;
    if (bits == 0) {                /* no drain yet: measure now */
        ip_ticks_recalibrate();
        bits = __atomic_load_n(&ns_per_tick_bits, __ATOMIC_RELAXED);
    }
    memcpy(&ns_per_tick, &bits, sizeof ns_per_tick);
    return (uint64_t)((double)ticks * ns_per_tick);
}
