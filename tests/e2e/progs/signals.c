/* signals: for SECS seconds, compute while a 1 ms interval timer (SIGALRM)
 * fires and the program sends itself SIGUSR1 every 100 iterations; then
 * print how many of each were sent and handled. Under a tracer that loses
 * or swallows signals the counts differ.
 *   signals SECS */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, usr1;
static volatile unsigned long sink;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1++;
}

__attribute__((noinline)) static void work(void)
{
    for (int i = 0; i < 20000; i++)
        sink += (unsigned long)i * 2654435761u;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long sent = 0;
    for (unsigned long n = 0;; n++) {
        work();
        if (n % 100 == 0) {
            raise(SIGUSR1);
            sent++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
            break;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("usr1 sent %lu handled %lu; alarms %lu\n", sent, (unsigned long)usr1,
           (unsigned long)alarms);
    return sent == (unsigned long)usr1 && alarms > 0 ? 0 : 1;
}
