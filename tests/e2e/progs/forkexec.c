/* forkexec: the parent forks a child that computes in child_work, then execs
 * the program given in argv[2..] (e.g. hot); the parent computes in
 * parent_work meanwhile and waits. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static uint64_t churn(uint64_t n, uint64_t x)
{
    for (uint64_t i = 0; i < n; i++)
        x = x * 2862933555777941757ULL + 3037000493ULL;
    return x;
}

__attribute__((noinline)) void parent_work(double secs)
{
    double end = now() + secs;
    while (now() < end)
        sink += churn(200000, 1);
}

__attribute__((noinline)) void child_work(double secs)
{
    double end = now() + secs;
    while (now() < end)
        sink += churn(200000, 2);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    pid_t pid = fork();
    if (pid == 0) {
        child_work(secs / 2);
        if (argc > 2) {
            execv(argv[2], argv + 2);
            _exit(127);
        }
        _exit(0);
    }
    parent_work(secs);
    int st;
    waitpid(pid, &st, 0);
    return 0;
}
