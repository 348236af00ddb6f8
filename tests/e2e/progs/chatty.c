/* chatty: prints a numbered line to stdout and every 10th to stderr, N lines
 * (argv[1], default 5000) while computing, then computes a while longer
 * (argv[2] seconds, default 1); exits with argv[3] (default 0). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

__attribute__((noinline)) void chatter_work(void)
{
    for (int i = 0; i < 20000; i++)
        sink = sink * 31 + (uint64_t)i;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    for (int i = 1; i <= n; i++) {
        printf("line %d of chatty output\n", i);
        if (i % 10 == 0)
            fprintf(stderr, "err %d\n", i);
        chatter_work();
    }
    fflush(stdout);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        chatter_work();
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    return argc > 3 ? atoi(argv[3]) : 0;
}
