/* dlopen_main: loads argv[2] (libplugin.so) with dlopen after start-up and
 * spends its time in the plugin's plugin_compute. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    double end = now() + atof(argv[1]);
    void *h = dlopen(argv[2], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    uint64_t (*fn)(uint64_t) = (uint64_t(*)(uint64_t))dlsym(h, "plugin_compute");
    while (now() < end)
        sink += fn(500000);
    dlclose(h);
    return 0;
}
