/* hot: a CPU-bound program with a known shape. main -> work -> {alpha 3/6,
 * beta 2/6, gamma 1/6 (via helper)}; runs for argv[1] seconds (default 2). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t spin(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    for (uint64_t i = 0; i < n; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

__attribute__((noinline)) void alpha(void) { sink += spin(3000000, 1); }
__attribute__((noinline)) void beta(void) { sink += spin(2000000, 2); }
__attribute__((noinline)) void gamma_helper(void) { sink += spin(1000000, 3); }
__attribute__((noinline)) void gamma_(void) { gamma_helper(); }

__attribute__((noinline)) void work(void)
{
    alpha();
    beta();
    gamma_();
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    double end = now() + secs;
    while (now() < end)
        work();
    printf("%llu\n", (unsigned long long)(sink & 1));
    return argc > 2 ? atoi(argv[2]) : 0;
}
