/* manythreads: N threads (argv[1], default 200) spinning in spin_hot for
 * argv[2] seconds of wall time (default 3): many more runnable threads than
 * CPUs, the load that starves a profiler of CPU while its buffers fill. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;
static double end_at;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void spin_hot(void)
{
    uint64_t x = sink;
    for (int i = 0; i < 100000; i++)
        x = x * 6364136223846793005ULL + 1;
    sink = x;
}

static void *worker(void *arg)
{
    (void)arg;
    while (now() < end_at)
        spin_hot();
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    end_at = now() + (argc > 2 ? atof(argv[2]) : 3.0);
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
