/* A shared object loaded at run time by dlopen_main. */
#include <stdint.h>

__attribute__((noinline)) uint64_t plugin_compute(uint64_t n)
{
    uint64_t x = 7;
    for (uint64_t i = 0; i < n; i++)
        x = (x << 5) ^ (x >> 3) ^ i;
    return x;
}
