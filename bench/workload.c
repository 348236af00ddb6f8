/* workload: the CPU-bound benchmark program. A fixed amount of work (so wall
 * time compares across profilers), spread over the kinds of code a profiler
 * must unwind: a hash loop, libc's qsort calling back, memcpy, and a
 * recursive descent. argv[1] scales it; 1.0 is about 8 s on the reference
 * machine (2-core VM). It prints its own wall time on stderr. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t hash_block(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

__attribute__((noinline)) static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

__attribute__((noinline)) static void sort_round(uint64_t *v, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = seed >> 7;
    }
    qsort(v, n, sizeof(*v), cmp_u64);
}

__attribute__((noinline)) static void copy_round(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (int i = 0; i < 8; i++) {
        memcpy(dst, src, n);
        memcpy((uint8_t *)src, dst, n);
    }
}

__attribute__((noinline)) static uint64_t descend(int depth, uint64_t x)
{
    if (depth == 0)
        return hash_block((const uint8_t *)&x, sizeof(x), x);
    return descend(depth - 1, x * 3 + 1) + 1;
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    double t0 = now();
    long rounds = (long)(scale * 1250);
    size_t n = 50000, bytes = 1 << 20;
    uint64_t *v = malloc(n * sizeof(*v));
    uint8_t *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    for (long r = 0; r < rounds; r++) {
        sink += hash_block(a, bytes, (uint64_t)r);
        sort_round(v, n, (uint64_t)r);
        copy_round(b, a, bytes);
        for (int i = 0; i < 2000; i++)
            sink += descend(40, (uint64_t)i);
    }
    printf("%llu\n", (unsigned long long)(sink & 0xff));
    /* its own wall time: the same measure under every profiler, live too */
    fprintf(stderr, "workload: %.3f s\n", now() - t0);
    free(v);
    free(a);
    free(b);
    return 0;
}
