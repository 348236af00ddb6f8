/* threads: two worker threads and main, each in its own hot function, with
 * fixed work (2:1:1 for worker_one:worker_two:main_loop), so each function's
 * share of CPU time does not depend on scheduling. argv[1] scales the work
 * (1.0 is about 2 s of CPU here). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static volatile uint64_t sink;
static long reps;

__attribute__((noinline)) static uint64_t mix(uint64_t n, uint64_t x)
{
    for (uint64_t i = 0; i < n; i++)
        x = (x ^ (x >> 7)) * 0x9E3779B97F4A7C15ULL + i;
    return x;
}

__attribute__((noinline)) void worker_one(void) { sink += mix(400000, sink); }
__attribute__((noinline)) void worker_two(void) { sink += mix(400000, sink + 1); }
__attribute__((noinline)) void main_loop(void) { sink += mix(400000, sink + 2); }

static void *run_one(void *arg)
{
    (void)arg;
    for (long i = 0; i < 2 * reps; i++)
        worker_one();
    return NULL;
}

static void *run_two(void *arg)
{
    (void)arg;
    for (long i = 0; i < reps; i++)
        worker_two();
    return NULL;
}

int main(int argc, char **argv)
{
    reps = (long)((argc > 1 ? atof(argv[1]) : 1.0) * 1200);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run_one, NULL);
    pthread_create(&t2, NULL, run_two, NULL);
    for (long i = 0; i < reps; i++)
        main_loop();
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
