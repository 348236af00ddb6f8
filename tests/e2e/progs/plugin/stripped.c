/* Built into libstripped.so and stripped: the exported plugin_compute calls
 * internal_mix, a static function whose name exists only in the unstripped
 * copy (libstripped.debug.so). tprof must not name internal_mix's samples
 * after the exported symbol before it. */
#include <stdint.h>

__attribute__((noinline)) static uint64_t internal_mix(uint64_t n, uint64_t x)
{
    for (uint64_t i = 0; i < n; i++)
        x = (x << 7) ^ (x >> 5) ^ (i * 0x9E3779B97F4A7C15ULL);
    return x;
}

__attribute__((noinline)) uint64_t plugin_compute(uint64_t n)
{
    return internal_mix(n, n) + 1;
}
