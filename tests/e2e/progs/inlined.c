/* inlined: known inlining, for the inlined-function frames. work() is a
 * real function; scale() is inlined into it and mix() into scale(), so
 * every sample in mix's loop is work > scale > mix. checksum() is inlined
 * into main. Each marked line is found by its marker by the tests.
 * Usage: inlined [SECONDS] (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ALWAYS static inline __attribute__((always_inline))

/* The loops on one line each, so that every sample in them has that line. */
/* clang-format off */
ALWAYS unsigned mix(unsigned x)
{
    for (int i = 0; i < 40; i++) x = x * 2654435761u ^ (x >> 13); /* L_MIX */
    return x;
}

ALWAYS unsigned scale(unsigned x)
{
    return mix(x) + mix(x ^ 0x5bd1e995u); /* L_SCALE */
}

__attribute__((noinline)) unsigned work(unsigned n)
{
    unsigned s = 0;
    for (unsigned i = 0; i < n; i++)
        s += scale(i); /* L_WORK */
    return s;
}

ALWAYS unsigned checksum(unsigned s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) s = s * 31 + (s >> 7) + i; /* L_CHECKSUM */
    return s;
}
/* clang-format on */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0, end = now() + secs;
    unsigned s = 0;
    while (now() < end) {
        s += work(20000);        /* L_CALLWORK */
        s = checksum(s, 200000); /* L_MAIN */
    }
    printf("%u\n", s);
    return 0;
}
