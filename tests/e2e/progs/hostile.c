/* hostile: programs that once crashed or hung the profiler watching them.
 *   hostile badrbp SECS      code with no unwind info runs with %rbp = -1
 *                            (libunwind's frame-pointer fallback then asks
 *                            for the word at 0xffffffffffffffff)
 *   hostile jit SECS NAMELEN anonymous code named in /tmp/perf-PID.map by a
 *                            name NAMELEN bytes long
 *   hostile fifo SECS DIR    code mapped from DIR/code, the file then
 *                            replaced by a FIFO (opening it blocks)
 *   hostile cfiend SECS      spins in a function whose CFI says it is the
 *                            outermost frame (.cfi_undefined rip): the
 *                            unwinder stops there, short of _start
 *   hostile jitgrow SECS [BIG]  anonymous code that its perf map never
 *                            names, the map growing by a line (other code)
 *                            every millisecond: every sample misses the map;
 *                            with BIG, its first line is a name BIG bytes
 *                            long (for other code too)
 *   hostile relib SECS LIB   dlopen()s LIB, runs its plugin_compute a few
 *                            milliseconds and dlclose()s it, over and over
 *                            (the test rewrites LIB meanwhile, as cp of a
 *                            new build over a library does)
 *   hostile term FILE        handles SIGTERM: counts the signals it gets and,
 *                            a second after the first, writes the count to
 *                            FILE and exits 0
 * Every mode spins in hot code until SECS have passed (term: until told). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* No .cfi directives: no FDE covers this function. */
__asm__(".text\n"
        ".globl spin_badrbp\n"
        ".type spin_badrbp, @function\n"
        "spin_badrbp:\n"
        "    push %rbp\n"
        "    mov $-1, %rbp\n"
        "    mov %rdi, %rcx\n"
        "1:  dec %rcx\n"
        "    jnz 1b\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size spin_badrbp, .-spin_badrbp\n");
void spin_badrbp(uint64_t n);

/* CFI that ends the walk here, as a JIT or hand-written code may have. */
__asm__(".text\n"
        ".globl spin_cfiend\n"
        ".type spin_cfiend, @function\n"
        "spin_cfiend:\n"
        "    .cfi_startproc\n"
        "    .cfi_undefined rip\n"
        "    mov %rdi, %rcx\n"
        "1:  dec %rcx\n"
        "    jnz 1b\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size spin_cfiend, .-spin_cfiend\n");
void spin_cfiend(uint64_t n);

/* mov $imm64, %rcx; 1: dec %rcx; jnz 1b; ret -- with %rbp = -1 around it */
static const uint8_t spin_code[] = {
    0x55,                                     /* push %rbp */
    0x48, 0xc7, 0xc5, 0xff, 0xff, 0xff, 0xff, /* mov $-1, %rbp */
    0x48, 0x89, 0xf9,                         /* mov %rdi, %rcx */
    0x48, 0xff, 0xc9,                         /* 1: dec %rcx */
    0x75, 0xfb,                               /* jnz 1b */
    0x5d,                                     /* pop %rbp */
    0xc3,                                     /* ret */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_for(void (*fn)(uint64_t), double secs)
{
    double end = now() + secs;
    while (now() < end)
        fn(2000000);
}

static volatile uint64_t sink;
static void spin_c(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        sink += i;
}

static volatile sig_atomic_t terms;
static void on_term(int sig)
{
    (void)sig;
    terms++;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* The spinning code, copied to anonymous executable memory, and its
 * process's perf map opened for writing (*MAP; its path in map_path). */
static char map_path[64];
static uint8_t *jit_code(FILE **map)
{
    uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED)
        die("mmap");
    memcpy(code, spin_code, sizeof(spin_code));
    snprintf(map_path, sizeof(map_path), "/tmp/perf-%d.map", (int)getpid());
    if (!(*map = fopen(map_path, "w")))
        die(map_path);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hostile badrbp|jit|fifo|cfiend|relib|term ...\n");
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "term") == 0) {
        signal(SIGTERM, on_term);
        while (!terms)
            spin_c(1000000);
        double end = now() + 1.0;
        while (now() < end)
            spin_c(1000000);
        FILE *f = fopen(argv[2], "w");
        if (!f)
            die(argv[2]);
        fprintf(f, "%d\n", (int)terms);
        fclose(f);
        return 0;
    }
    double secs = atof(argv[2]);
    if (strcmp(mode, "cfiend") == 0) {
        run_for(spin_cfiend, secs);
        return 0;
    }
    if (strcmp(mode, "badrbp") == 0) {
        run_for(spin_badrbp, secs);
        return 0;
    }
    if (strcmp(mode, "jit") == 0 && argc > 3) {
        size_t len = strtoul(argv[3], NULL, 10);
        FILE *f;
        uint8_t *code = jit_code(&f);
        fprintf(f, "%lx %zx ", (unsigned long)(uintptr_t)code, sizeof(spin_code));
        for (size_t i = 0; i < len; i++)
            fputc('J', f);
        fputc('\n', f);
        fclose(f);
        run_for((void (*)(uint64_t))(uintptr_t)code, secs);
        unlink(map_path);
        return 0;
    }
    if (strcmp(mode, "fifo") == 0 && argc > 3) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/code", argv[3]);
        FILE *f = fopen(path, "w");
        if (!f)
            die(path);
        char page[4096] = {0};
        memcpy(page, spin_code, sizeof(spin_code));
        fwrite(page, 1, sizeof(page), f);
        fclose(f);
        FILE *r = fopen(path, "r");
        if (!r)
            die(path);
        void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(r), 0);
        if (code == MAP_FAILED)
            die("mmap");
        fclose(r);
        unlink(path);
        if (mkfifo(path, 0600) < 0)
            die("mkfifo");
        run_for((void (*)(uint64_t))(uintptr_t)code, secs);
        unlink(path);
        return 0;
    }
    if (strcmp(mode, "jitgrow") == 0) {
        FILE *f;
        uint8_t *code = jit_code(&f);
        void (*fn)(uint64_t) = (void (*)(uint64_t))(uintptr_t)code;
        size_t big = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
        if (big) {
            fprintf(f, "%lx 10 ", 0x0f000000ul);
            for (size_t i = 0; i < big; i++)
                fputc('B', f);
            fputc('\n', f);
            fflush(f);
        }
        double end = now() + secs, next = now();
        for (unsigned long i = 0; now() < end; i++) {
            fn(20000); /* (about a tenth of a millisecond) */
            if (now() >= next) { /* a line for code elsewhere, each ms */
                fprintf(f, "%lx 10 other_%lu\n", 0x10000000ul + i * 0x10, i);
                fflush(f);
                next += 0.001;
            }
        }
        fclose(f);
        unlink(map_path);
        return 0;
    }
    if (strcmp(mode, "relib") == 0 && argc > 3) {
        double end = now() + secs;
        while (now() < end) {
            void *h = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
            uint64_t (*fn)(uint64_t) =
                h ? (uint64_t(*)(uint64_t))(uintptr_t)dlsym(h, "plugin_compute") : NULL;
            if (fn)
                sink += fn(3000000);
            else
                spin_c(3000000); /* (caught half written) */
            if (h)
                dlclose(h);
        }
        return 0;
    }
    fprintf(stderr, "hostile: unknown mode %s\n", mode);
    return 2;
}
