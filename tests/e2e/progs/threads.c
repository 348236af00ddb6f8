/* threads: three worker threads, each in its own hot function, plus main
 * in its own; runs for argv[1] seconds. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;
static double stop_at;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t mix(uint64_t n, uint64_t x)
{
    for (uint64_t i = 0; i < n; i++)
        x = (x ^ (x >> 7)) * 0x9E3779B97F4A7C15ULL + i;
    return x;
}

__attribute__((noinline)) void worker_one(void) { sink += mix(400000, 1); }
__attribute__((noinline)) void worker_two(void) { sink += mix(400000, 2); }
__attribute__((noinline)) void main_loop(void) { sink += mix(400000, 3); }

static void *run(void *arg)
{
    void (*fn)(void) = (void (*)(void))arg;
    while (now() < stop_at)
        fn();
    return NULL;
}

int main(int argc, char **argv)
{
    stop_at = now() + (argc > 1 ? atof(argv[1]) : 2.0);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run, (void *)worker_one);
    pthread_create(&t2, NULL, run, (void *)worker_two);
    run((void *)main_loop);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
