/* shortthreads: N threads one after another (default 5000), each computing
 * for about USEC microseconds of its own CPU time (default 200) in
 * short_work, as a server with a thread per request does. Prints the CPU
 * time its threads spent in short_work, measured by each thread
 * (CLOCK_THREAD_CPUTIME_ID), as "work_s=S".
 *   shortthreads [N [USEC]] */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;
static double usec = 200;
static double work_total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void short_work(void)
{
    double t0 = thread_cpu(), end = t0 + usec / 1e6;
    while (thread_cpu() < end)
        for (int i = 0; i < 2000; i++)
            sink += (uint64_t)i * 2654435761u;
    double spent = thread_cpu() - t0;
    pthread_mutex_lock(&lock);
    work_total += spent;
    pthread_mutex_unlock(&lock);
}

static void *run(void *arg)
{
    (void)arg;
    short_work();
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000;
    if (argc > 2)
        usec = atof(argv[2]);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run, NULL) != 0)
            return 1;
        pthread_join(t, NULL);
    }
    printf("work_s=%.4f\n", work_total);
    return 0;
}
