/*
 * setupclock: the CPU tprof spends loading what it loads once (a file's
 * symbols, unwind tables and DWARF, the kernel's symbols, the kernel
 * program), kept apart from what each sample costs, so the summary can
 * give both. Loads nest (a file's symbols inside a frame's lookup): only
 * the outermost is timed.
 */
#include "tprof/clock.h"

static unsigned depth;
static double begun, total;

void setup_begin(void)
{
    if (depth++ == 0)
        begun = thread_cpu_s();
}

void setup_end(void)
{
    if (depth > 0 && --depth == 0)
        total += thread_cpu_s() - begun;
}

void setup_add(double seconds)
{
    total += seconds;
}

double setup_cpu_s(void)
{
    return total + (depth ? thread_cpu_s() - begun : 0);
}
