/* named: main and a thread it names "worker-x" (pthread_setname_np) each
 * compute for SECS seconds, so a profile's roots are "named" and "worker-x".
 * The thread computes for 50 ms before it names itself, so a profiler sees
 * it under both names and must notice the change.
 *   named SECS */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;
static double secs = 1.0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void spin_for(double s)
{
    double end = now() + s;
    while (now() < end)
        for (int i = 0; i < 1000; i++)
            sink += (unsigned long)i;
}

static void *worker(void *arg)
{
    (void)arg;
    spin_for(0.05);
    pthread_setname_np(pthread_self(), "worker-x");
    spin_for(secs);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        secs = atof(argv[1]);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    spin_for(secs);
    pthread_join(t, NULL);
    return 0;
}
