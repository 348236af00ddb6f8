/* t0: prints the wall-clock time at which it started running (after the
 * dynamic loader), for the start-up bench: how long after tprof's own
 * start a program it launches gets to run. */
#include <stdio.h>
#include <time.h>

int main(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("%ld.%09ld\n", (long)t.tv_sec, t.tv_nsec);
    return 0;
}
