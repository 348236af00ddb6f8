/* forkexec: the parent forks a child that computes in child_work, then execs
 * the program given in argv[2..] (e.g. hot); the parent computes in
 * parent_work meanwhile and waits. The work is fixed (parent 2, child 1;
 * argv[1] scales it, 1.0 is about 2 s of CPU here), so shares do not depend
 * on scheduling. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t churn(uint64_t n, uint64_t x)
{
    for (uint64_t i = 0; i < n; i++)
        x = x * 2862933555777941757ULL + 3037000493ULL;
    return x;
}

__attribute__((noinline)) void parent_work(long reps)
{
    for (long i = 0; i < reps; i++)
        sink += churn(200000, (uint64_t)i);
}

__attribute__((noinline)) void child_work(long reps)
{
    for (long i = 0; i < reps; i++)
        sink += churn(200000, (uint64_t)i + 7);
}

int main(int argc, char **argv)
{
    long reps = (long)((argc > 1 ? atof(argv[1]) : 1.0) * 6000);
    pid_t pid = fork();
    if (pid == 0) {
        child_work(reps / 2);
        if (argc > 2) {
            execv(argv[2], argv + 2);
            _exit(127);
        }
        _exit(0);
    }
    parent_work(reps);
    int st;
    waitpid(pid, &st, 0);
    return 0;
}
