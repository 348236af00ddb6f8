/* dlopen_main: loads argv[2] (libplugin.so) with dlopen after start-up and
 * spends its time in the plugin's plugin_compute.
 *   dlopen_main SECS LIB [OTHER]
 * With OTHER (a second library with a plugin_compute), first the way dlopen
 * can reuse an address that held something else: LIB is loaded to learn
 * where it goes and closed, /etc/ld.so.cache is mapped read-only there,
 * OTHER is loaded and computes for a tenth of a second (a profiler that reads
 * /proc/PID/maps then sees the cache there), everything is unmapped, and LIB
 * is loaded again; "reused" is printed when it went to the same place. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef uint64_t (*compute_fn)(uint64_t);

static volatile uint64_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static compute_fn load(const char *path, void **h)
{
    *h = dlopen(path, RTLD_NOW);
    if (!*h) {
        fprintf(stderr, "%s\n", dlerror());
        exit(1);
    }
    return (compute_fn)(uintptr_t)dlsym(*h, "plugin_compute");
}

/* The end of the loaded object whose base is DATA (a uintptr_t *), rounded
 * to a page, replaces it. */
static int object_end(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t *at = data;
    if (info->dlpi_addr != *at)
        return 0;
    uintptr_t end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && info->dlpi_addr + ph->p_vaddr + ph->p_memsz > end)
            end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    *at = (end + 4095) & ~(uintptr_t)4095;
    return 1;
}

/* Map /etc/ld.so.cache read-only over all of where LIB was (so nothing
 * loaded meanwhile takes part of that place), compute in OTHER meanwhile,
 * unmap; the address LIB's plugin_compute had. */
static uintptr_t occupy_and_leave(const char *lib, const char *other)
{
    void *h;
    compute_fn fn = load(lib, &h);
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)fn, &info))
        exit(1);
    uintptr_t base = (uintptr_t)info.dli_fbase, top = base;
    if (!dl_iterate_phdr(object_end, &top))
        exit(1);
    size_t size = top - base;
    dlclose(h);
    int fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
    void *hole = fd < 0 ? MAP_FAILED
                        : mmap((void *)base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
    if (hole == MAP_FAILED) {
        perror("dlopen_main: mmap /etc/ld.so.cache");
        exit(1);
    }
    close(fd);
    compute_fn g = load(other, &h);
    double end = now() + 0.1;
    while (now() < end)
        sink += g(100000);
    dlclose(h);
    munmap(hole, size);
    return (uintptr_t)fn;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    double end = now() + atof(argv[1]);
    uintptr_t before = argc > 3 ? occupy_and_leave(argv[2], argv[3]) : 0;
    void *h;
    compute_fn fn = load(argv[2], &h);
    if (before && (uintptr_t)fn == before)
        printf("reused\n");
    while (now() < end)
        sink += fn(500000);
    dlclose(h);
    return 0;
}
