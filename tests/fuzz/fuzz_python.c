/* The Python reader on a fake interpreter in this process's memory, read
 * through process_vm_readv as tprof reads a real one. Input: one byte
 * choosing the version (3.10 + b % 4), then the memory image. In the image,
 * an aligned word 0xfeed0000_0000XXXX with XXXX inside the image becomes a
 * pointer to that offset; the words 0xfeee0000_0000000{1,2,3} become the
 * code, str and bytes type pointers. The runtime is at offset 0, the
 * thread id to read is the image's word at offset 8, and the sample's
 * registers and stack copy are the image's last 160 bytes and the image
 * itself. Also: both line-table decoders on the raw input; and the image
 * taken as a record of the kernel program (struct pyframes_rec and its
 * frames, its pid, tid, time and registration made the sample's), joined
 * and turned into a stack as a real one is (and before it, taken as a code
 * snapshot of the kernel program). */
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "../../src/python/internal.h"
#include "tprof/xalloc.h"

static uint8_t types[3][16];

static int k_set_proc(void *arg, uint32_t pid, const struct pyframes_proc *c)
{
    (void)arg, (void)pid, (void)c;
    return 0;
}
static void k_forget_proc(void *arg, uint32_t pid)
{
    (void)arg, (void)pid;
}
static int k_set_thread(void *arg, uint32_t tid, uint64_t ts)
{
    (void)arg, (void)tid, (void)ts;
    return 0;
}
static void k_forget_thread(void *arg, uint32_t tid)
{
    (void)arg, (void)tid;
}

/* The image as a kernel record for a sample of TID at time 1000. */
static void kernel_pass(struct python *py, struct py_proc *pp, uint8_t *m, size_t n, uint32_t tid)
{
    if (n < sizeof(struct pyframes_rec))
        return;
    /* first as a code snapshot, then as a stack record */
    size_t fixed = offsetof(struct pyframes_code, table);
    if (n >= fixed) {
        struct pyframes_code *k = xmalloc(n);
        memcpy(k, m, n);
        k->kind = PYFRAMES_REC_CODE;
        k->pid = pp->pid;
        k->gen = pp->kgen;
        python_kernel_record(py, k, n);
        free(k);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "code snapshots named: %" PRIu64 "\n", py->kst.snapshots);
    }
    struct pyframes_rec r;
    memcpy(&r, m, sizeof(r));
    r.kind = PYFRAMES_REC_STACK;
    r.pid = pp->pid;
    r.tid = tid;
    r.time = 1000;
    r.gen = pp->kgen;
    memcpy(m, &r, sizeof(r));
    /* A frame's identity hash cannot be in the image (its pointers are
     * placed at run time): one given as 0 becomes the hash of the window
     * its code pointer points to in the image, as the kernel reads it. */
    uint64_t base = (uint64_t)(uintptr_t)m;
    size_t nf = (n - sizeof(r)) / sizeof(struct pyframes_frame);
    for (size_t i = 0; i < nf && i < r.nframes; i++) {
        struct pyframes_frame f;
        uint8_t *at = m + sizeof(r) + i * sizeof(f);
        memcpy(&f, at, sizeof(f));
        uint64_t off = f.code - base + pp->kcfg.co_sig;
        if (f.ident || f.code < base || off > n || n - off < PYFRAMES_SIG_BYTES)
            continue;
        __u64 w[4], fw[PYFRAMES_FILE_BYTES / 8];
        memcpy(w, m + off, sizeof(w));
        uint64_t file = w[(pp->kcfg.co_filename - pp->kcfg.co_sig) / 8 & 3] + PYFRAMES_FILE_OFF;
        memset(fw, 0, sizeof(fw));
        if (file >= base && file - base <= n && n - (file - base) >= sizeof(fw))
            memcpy(fw, m + (file - base), sizeof(fw));
        f.ident = pyframes_ident(w, pp->kcfg.co_sig_words, fw);
        memcpy(at, &f, sizeof(f));
    }
    python_kernel_record(py, m, n);
    struct py_sample s = {pp->pid, tid, NULL, 0, NULL, NULL, 0, 1000};
    struct py_stack *st = xmalloc(sizeof(*st));
    enum py_kernel_take k = py_kernel_take(py, pp, &s, st);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "kernel: %s, frames %zu\n",
                k == PYK_OK ? "ok" : k == PYK_BAD ? "bad" : "none", k == PYK_OK ? st->nframes : 0);
    if (k == PYK_OK)
        for (size_t i = 0; i < st->nframes; i++) {
            struct py_name *nm = py_frame_name(py, pp, &st->frames[i]);
            if (nm)
                (void)strlen(nm->name);
        }
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int line = python_line_311(data, size, 1, size > 3 ? data[1] : 0);
    line += python_line_310(data, size, 1, size > 3 ? data[2] : 0);
    (void)line;
    size_t n = (size - 1) & ~(size_t)7;
    if (n < 16 || n > (1u << 16))
        return 0;
    uint8_t *m = xmalloc(n);
    memcpy(m, data + 1, n);
    uint64_t base = (uint64_t)(uintptr_t)m;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v;
        memcpy(&v, m + i, 8);
        if ((v >> 32) == 0xfeed0000u && (v & 0xffffffffu) < n)
            v = base + (v & 0xffffffffu);
        else if ((v >> 32) == 0xfeee0000u && (v & 0xffffffffu) >= 1 && (v & 0xffffffffu) <= 3)
            v = (uint64_t)(uintptr_t)types[(v & 3) - 1];
        memcpy(m + i, &v, 8);
    }
    struct python_config cfg = {.lines = data[0] & 0x80};
    struct python *py = python_new(&cfg, NULL);
    struct py_proc *pp = xcalloc(1, sizeof(*pp));
    pp->pid = (uint32_t)getpid();
    pp->state = PY_FOUND;
    pp->off = *py_offsets_builtin(10 + data[0] % 4);
    pp->runtime = base;
    pp->code_type = (uint64_t)(uintptr_t)types[0];
    pp->unicode_type = (uint64_t)(uintptr_t)types[1];
    pp->bytes_type = (uint64_t)(uintptr_t)types[2];
    pp->pthread_tid_off = -1;
    uint64_t tid;
    memcpy(&tid, m + 8, 8);
    struct py_stack *st = xmalloc(sizeof(*st));
    for (int pass = 0; pass < 2 && n >= 160; pass++) {
        struct py_snap snap = {(const uint64_t *)(m + n - 160), m, n};
        py_read_stack(py, pp, (uint32_t)tid, st, pass ? &snap : NULL, 0);
        if (getenv("FUZZ_VERBOSE")) /* (to check a seed reaches the frames) */
            fprintf(stderr, "pass %d: present %d valid %d frames %zu runs %zu\n", pass,
                    st->present, st->valid, st->nframes, st->nruns);
        if (st->valid)
            for (size_t i = 0; i < st->nframes; i++) {
                struct py_name *nm = py_frame_name(py, pp, &st->frames[i]);
                if (nm)
                    (void)strlen(nm->name);
            }
    }
    free(st);
    struct python_kernel ops = {NULL, k_set_proc, k_forget_proc, k_set_thread, k_forget_thread};
    python_set_read(py, PYTHON_READ_KERNEL, &ops, NULL);
    HASH_ADD(hh, py->procs, pid, sizeof(pp->pid), pp);
    py_kernel_register(py, pp);
    kernel_pass(py, pp, m, n, (uint32_t)tid);
    python_free(py); /* (and PP, now in its table) */
    free(m);
    return 0;
}
