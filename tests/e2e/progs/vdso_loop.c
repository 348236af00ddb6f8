/* vdso_loop: calls clock_gettime in a tight loop; its time is in the vDSO. */
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + (argc > 1 ? atof(argv[1]) : 1.0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 >= end)
            break;
    }
    return 0;
}
