/* halfsleep: for SECS seconds, alternately compute for 5 ms (compute) and
 * sleep for 5 ms (wait_for_peer), so a wall-clock profile shows the sleeping
 * stack in about half the samples and an on-CPU profile hardly at all. With
 * a second argument "thread", a second thread blocks in read() on a pipe the
 * whole time (wall mode: one more sampled stack, in read).
 *   halfsleep SECS [thread] */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

__attribute__((noinline)) static void compute(double secs)
{
    double end = now() + secs;
    while (now() < end)
        for (int i = 0; i < 1000; i++)
            sink += (unsigned long)i * 2654435761u;
}

__attribute__((noinline)) static void wait_for_peer(double secs)
{
    struct timespec ts = {0, (long)(secs * 1e9)};
    nanosleep(&ts, NULL);
}

static int pipefd[2];

__attribute__((noinline)) static void *blocked_reader(void *arg)
{
    (void)arg;
    char c;
    while (read(pipefd[0], &c, 1) < 0)
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    pthread_t t;
    bool thread = argc > 2 && strcmp(argv[2], "thread") == 0;
    if (thread) {
        if (pipe(pipefd) < 0 || pthread_create(&t, NULL, blocked_reader, NULL) != 0)
            return 1;
    }
    double end = now() + secs;
    while (now() < end) {
        compute(0.005);
        wait_for_peer(0.005);
    }
    if (thread) {
        if (write(pipefd[1], "x", 1) != 1)
            return 1;
        pthread_join(t, NULL);
    }
    return 0;
}
