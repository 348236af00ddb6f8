/* jitmap: a tiny JIT. It writes a spin loop into anonymous executable
 * memory (keeping a frame pointer, as JIT runtimes do, and with no CFI) and
 * calls it from main for argv[1] seconds (default 2). argv[2] says how it
 * names the code:
 *   map [UID]  /tmp/perf-PID.map, chowned to UID when given (node
 *              --perf-basic-prof, python -X perf)
 *   dump       jit-PID.dump in the current directory, mapped into the
 *              process as runtimes do, its code-load record written only at
 *              exit (node --perf-prof, python -X perf_jit buffer theirs)
 *   cfi        jit-PID.dump written before the code runs, naming
 *              jit_cfi: code that keeps no frame pointer and that tprof
 *              cannot decode (push %rbx), with its CFI in an
 *              unwinding-info record (CPython 3.13 -X perf_jit, node
 *              --perf-prof-unwinding-info): only that CFI leads to main
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

/* jit_cfi: the same loop with no frame pointer; 20 bytes. */
static const uint8_t cfi_code[] = {
    0x53,                         /* 0: push %rbx */
    0x48, 0x83, 0xec, 0x10,       /* 1: sub $0x10,%rsp */
    0xb9, 0x00, 0x00, 0x10, 0x00, /* 5: mov $0x100000,%ecx */
    0xff, 0xc9,                   /* 10: dec %ecx */
    0x75, 0xfc,                   /* 12: jnz 10 */
    0x48, 0x83, 0xc4, 0x10,       /* 14: add $0x10,%rsp */
    0x5b,                         /* 18: pop %rbx */
    0xc3,                         /* 19: ret */
};

/* Its .eh_frame, placed (as CPython places its own) at the code's size
 * rounded up to 32, then its .eh_frame_hdr: a CIE (CFA = rsp+8, return
 * address at CFA-8) and one FDE following the pushes. */
#define EH_GAP 32
static const uint8_t eh_frame[56] = {
    /* CIE: length 20, id 0, version 1, "zR", code align 1, data align -8,
     * RA column 16, augmentation 1 byte: FDE pointers pcrel|sdata4 */
    0x14, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b,
    0x0c, 7, 8, /* def_cfa rsp+8 */
    0x90, 1,    /* offset r16 (RA) at CFA-8 */
    0, 0,       /* nop nop */
    /* FDE at 24: length 28, CIE pointer 28 back, pc_begin -64 (pcrel: from
     * byte 32 of this .eh_frame to the code), pc_range 20, no augmentation */
    0x1c, 0, 0, 0, 0x1c, 0, 0, 0, 0xc0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0,
    0x41, 0x0e, 16, /* at 1: CFA = rsp+16 */
    0x83, 2,        /* rbx at CFA-16 */
    0x44, 0x0e, 32, /* at 5: CFA = rsp+32 */
    0x4d, 0x0e, 16, /* at 18: CFA = rsp+16 */
    0x41, 0x0e, 8,  /* at 19: CFA = rsp+8 */
    0,              /* nop */
};
static const uint8_t eh_frame_hdr[20] = {
    1, 0x1b, 0x03, 0x3b,
    0xc4, 0xff, 0xff, 0xff, /* eh_frame_ptr: -60, pcrel from byte 4 */
    1, 0, 0, 0,             /* one FDE */
    0xa8, 0xff, 0xff, 0xff, /* its code: -88 (EH_GAP + 56) from the hdr */
    0xe0, 0xff, 0xff, 0xff, /* the FDE: -32 */
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

/* A jitdump's header. */
static void dump_header(FILE *f)
{
    uint32_t h[6] = {0x4A695444, 1, 40, 62, 0, (uint32_t)getpid()};
    uint64_t h2[2] = {0, 0};
    put(f, h, sizeof(h));
    put(f, h2, sizeof(h2));
}

/* A code-load record: NAME for the LEN bytes of CODE at AT. */
static void dump_load(FILE *f, const char *name, const uint8_t *at, const uint8_t *code,
                      size_t len)
{
    size_t nl = strlen(name) + 1;
    uint32_t r[2] = {0, (uint32_t)(16 + 40 + nl + len)};
    uint64_t ts = 0;
    uint32_t ids[2] = {(uint32_t)getpid(), (uint32_t)getpid()};
    uint64_t fx[4] = {(uint64_t)(uintptr_t)at, (uint64_t)(uintptr_t)at, len, 0};
    put(f, r, sizeof(r));
    put(f, &ts, sizeof(ts));
    put(f, ids, sizeof(ids));
    put(f, fx, sizeof(fx));
    put(f, name, nl);
    put(f, code, len);
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
        dump_header(dump);
        fflush(dump);
        if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(dump), 0) == MAP_FAILED)
            return 1;
    } else if (strcmp(how, "cfi") == 0) {
        memcpy(jit, cfi_code, sizeof(cfi_code));
        snprintf(path, sizeof(path), "jit-%d.dump", (int)getpid());
        FILE *f = fopen(path, "w+");
        if (!f)
            return 1;
        dump_header(f);
        /* unwinding info: 16 + 24 + 76 bytes, padded to 8 */
        uint32_t u[2] = {4, 120};
        uint64_t ufix[4] = {0, sizeof(eh_frame) + sizeof(eh_frame_hdr), sizeof(eh_frame_hdr), 0};
        put(f, u, sizeof(u));
        put(f, ufix, sizeof(ufix));
        put(f, eh_frame, sizeof(eh_frame));
        put(f, eh_frame_hdr, sizeof(eh_frame_hdr));
        put(f, "\0\0\0\0", 4);
        dump_load(f, "jit_cfi", jit, cfi_code, sizeof(cfi_code));
        fflush(f);
        if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fileno(f), 0) == MAP_FAILED)
            return 1;
    }
    void (*fn)(void) = (void (*)(void))(uintptr_t)jit;
    double end = now() + secs;
    while (now() < end)
        fn();
    if (dump) {
        dump_load(dump, "jit_spin", jit, code, sizeof(code));
        fclose(dump);
    }
    /* (a map left behind, chowned to 12345, made a later process of this
     * PID, python3.12 -X perf appending to it, have its map refused) */
    if (strcmp(how, "map") == 0)
        unlink(path);
    return 0;
}
