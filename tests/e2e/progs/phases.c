/* phases: a program whose hot function changes halfway, as a long-running
 * service's does: phase_one for argv[1] seconds, then phase_two for
 * argv[2] seconds (defaults 6 and 6). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t spin(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    for (uint64_t i = 0; i < n; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

__attribute__((noinline)) void phase_one(double until)
{
    while (now() < until)
        sink += spin(100000, 1);
}

__attribute__((noinline)) void phase_two(double until)
{
    while (now() < until)
        sink += spin(100000, 2);
}

int main(int argc, char **argv)
{
    double one = argc > 1 ? atof(argv[1]) : 6, two = argc > 2 ? atof(argv[2]) : 6;
    double t = now();
    phase_one(t + one);
    phase_two(t + one + two);
    return 0;
}
