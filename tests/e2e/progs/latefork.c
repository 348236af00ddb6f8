/* latefork: idles for argv[1] seconds (default 0.5: time to attach), then
 * starts a thread (late_thread_work) and forks a child (late_child_work),
 * each computing for argv[2] seconds (default 1.5), and waits for both. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static double secs = 1.5;

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
        for (int i = 0; i < 10000; i++)
            sink = sink * 31 + (uint64_t)i;
}

/* (the empty asm keeps each a real frame: no tail call into spin_for) */
__attribute__((noinline)) void late_thread_work(void)
{
    spin_for(secs);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void late_child_work(void)
{
    spin_for(secs);
    __asm__ volatile("" ::: "memory");
}

static void *thread_main(void *arg)
{
    (void)arg;
    late_thread_work();
    return NULL;
}

int main(int argc, char **argv)
{
    double idle = argc > 1 ? atof(argv[1]) : 0.5;
    secs = argc > 2 ? atof(argv[2]) : 1.5;
    struct timespec ts = {(time_t)idle, (long)((idle - (time_t)idle) * 1e9)};
    nanosleep(&ts, NULL);
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        late_child_work();
        _exit(0);
    }
    pthread_join(t, NULL);
    waitpid(pid, NULL, 0);
    return 0;
}
