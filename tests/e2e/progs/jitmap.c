/* jitmap: a tiny JIT. It writes a spin loop into anonymous executable
 * memory (keeping a frame pointer, as JIT runtimes do, and with no CFI) and
 * calls it from main for argv[1] seconds (default 2). argv[2] says how it
 * names the code:
 *   map [UID]  /tmp/perf-PID.map, chowned to UID when given (node
 *              --perf-basic-prof, python -X perf)
 *   dump       jit-PID.dump in the current directory, mapped into the
 *              process as runtimes do, its code-load record written only at
 *              exit (node --perf-prof, python -X perf_jit buffer theirs)
 *   none       nothing (a runtime run without its flag) */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const uint8_t code[] = {
    0x55,                         /* push %rbp */
    0x48, 0x89, 0xe5,             /* mov %rsp,%rbp */
    0xb9, 0x00, 0x00, 0x10, 0x00, /* mov $0x100000,%ecx */
    0xff, 0xc9,                   /* 1: dec %ecx */
    0x75, 0xfc,                   /* jnz 1b */
    0x5d,                         /* pop %rbp */
    0xc3,                         /* ret */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put(FILE *f, const void *p, size_t n)
{
    if (fwrite(p, 1, n, f) != n)
        exit(1);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2;
    const char *how = argc > 2 ? argv[2] : "map";
    uint8_t *jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (jit == MAP_FAILED)
        return 1;
    memcpy(jit, code, sizeof(code));
    char path[64];
    FILE *dump = NULL;
    if (strcmp(how, "map") == 0) {
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        /* A map another process of this PID left (PIDs wrap at 32768 here)
         * keeps its owner through fopen "w": one chowned to 12345 by an
         * earlier run made tprof refuse this one's. A new file is ours. */
        unlink(path);
        FILE *f = fopen(path, "w");
        if (!f)
            return 1;
        fprintf(f, "%lx %zx jit_spin\n", (unsigned long)(uintptr_t)jit, sizeof(code));
        fclose(f);
        if (argc > 3 && chown(path, (uid_t)atoi(argv[3]), (gid_t)atoi(argv[3])) < 0)
            return 1;
    } else if (strcmp(how, "dump") == 0) {
        snprintf(path, sizeof(path), "jit-%d.dump", (int)getpid());
        dump = fopen(path, "w+");
        if (!dump)
            return 1;
        uint32_t h[6] = {0x4A695444, 1, 40, 62, 0, (uint32_t)getpid()};
        uint64_t h2[2] = {0, 0};
        put(dump, h, sizeof(h));
        put(dump, h2, sizeof(h2));
        fflush(dump);
        if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(dump), 0) == MAP_FAILED)
            return 1;
    }
    void (*fn)(void) = (void (*)(void))(uintptr_t)jit;
    double end = now() + secs;
    while (now() < end)
        fn();
    if (dump) {
        static const char name[] = "jit_spin";
        uint32_t r[2] = {0, (uint32_t)(16 + 40 + sizeof(name) + sizeof(code))};
        uint64_t ts = 0;
        uint32_t ids[2] = {(uint32_t)getpid(), (uint32_t)getpid()};
        uint64_t f[4] = {(uint64_t)(uintptr_t)jit, (uint64_t)(uintptr_t)jit, sizeof(code), 0};
        put(dump, r, sizeof(r));
        put(dump, &ts, sizeof(ts));
        put(dump, ids, sizeof(ids));
        put(dump, f, sizeof(f));
        put(dump, name, sizeof(name));
        put(dump, code, sizeof(code));
        fclose(dump);
    }
    return 0;
}
