/* deep: a recursion about argv[2] frames deep (default 300) with a 64-byte
 * frame each, so a sample's stack is ~28 KB: the stack copy size decides
 * whether unwinding reaches main. */
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

__attribute__((noinline)) uint64_t leaf_work(uint64_t x)
{
    for (int i = 0; i < 20000; i++)
        x = x * 6364136223846793005ULL + 1;
    return x;
}

__attribute__((noinline)) uint64_t descend(int depth, uint64_t x)
{
    volatile char pad[64];
    pad[0] = (char)x;
    if (depth == 0)
        return leaf_work(x + (uint64_t)pad[0]);
    return descend(depth - 1, x + 1) + (uint64_t)pad[0];
}

int main(int argc, char **argv)
{
    double end = now() + (argc > 1 ? atof(argv[1]) : 1.0);
    int depth = argc > 2 ? atoi(argv[2]) : 300;
    while (now() < end)
        sink += descend(depth, 1);
    return 0;
}
