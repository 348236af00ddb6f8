/*
 * Reading a thread's Python stack out of the running interpreter with
 * process_vm_readv: thread state, the chain of C calls of the eval loop
 * (3.11/3.12 _PyCFrame), the frames, and for each new code object its
 * names and line table (cached per process, keyed on its address). The
 * frames that sit in the thread's current data-stack chunk are copied in
 * one read; the others (generators, older chunks, 3.10's frame objects)
 * one at a time. Everything read is checked (PYTHON-NOTES.md §6): type
 * pointers, bounds, the chain of C calls agreeing with the frames' entry
 * marks. A stack that fails is not valid, and its sample keeps its native
 * frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "internal.h"
#include "tprof/bounds.h"
#include "tprof/clock.h"
#include "tprof/perf.h"
#include "tprof/xalloc.h"

#define MAX_STR 4096            /* characters of a name or file name */
#define MAX_LINETABLE (1u << 20)
#define MAX_CHUNK (1u << 20)    /* bytes of data stack copied at once */
#define MAX_CFRAMES 256
#define MAX_THREADS 4096
#define MAX_CODES 65536         /* code objects cached per process */
#define FRAME_OWNED_BY_CSTACK 3

bool py_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    if (len == 0)
        return true;
    if (addr == 0 || addr + len < addr)
        return false;
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* Code objects and their strings: from the process, or from the snapshot
 * being read (PP->snap), whose copies must hold the whole range. */
static bool code_mem(const struct py_proc *pp, uint64_t addr, void *buf, size_t len)
{
    if (!pp->snap)
        return py_read_mem((pid_t)pp->pid, addr, buf, len);
    for (size_t i = 0; i < PYFRAMES_R_N; i++) {
        uint64_t a = pp->snap->r[i].addr, n = pp->snap->r[i].len;
        if (n && addr >= a && addr - a <= n && len <= n - (addr - a)) {
            memcpy(buf, pp->snap->r[i].data + (addr - a), len);
            return true;
        }
    }
    return false;
}

static uint64_t w64(const uint8_t *b, uint32_t off)
{
    uint64_t v;
    memcpy(&v, b + off, 8);
    return v;
}

static uint32_t w32(const uint8_t *b, uint32_t off)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

/* ----- strings and code objects ----- */

static void put_utf8(char *out, size_t cap, size_t *n, uint32_t c)
{
    char b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (char)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xc0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3f));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xe0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[2] = (char)(0x80 | (c & 0x3f));
        k = 3;
    } else {
        if (c > 0x10ffff)
            c = '?';
        b[0] = (char)(0xf0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[3] = (char)(0x80 | (c & 0x3f));
        k = 4;
    }
    if (*n + k < cap) {
        memcpy(out + *n, b, k);
        *n += k;
    }
}

/* The str object at ADDR as UTF-8 (a NUL becomes '?'); NULL when it
 * is not a readable str. */
static char *read_str(const struct py_proc *pp, uint64_t addr)
{
    const struct py_offsets *o = &pp->off;
    uint8_t h[80];
    if (o->u_compact_data + 8 > sizeof(h) || !code_mem(pp, addr, h, o->u_compact_data + 8))
        return NULL;
    if (w64(h, 8) != pp->unicode_type)
        return NULL;
    uint64_t len = w64(h, 16);
    uint32_t state = w32(h, 32);
    unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
    if (o->u_has_ready && !((state >> 7) & 1))
        return NULL;
    if ((kind != 1 && kind != 2 && kind != 4) || len > MAX_STR)
        return NULL;
    uint64_t data = compact ? addr + (ascii ? o->u_ascii_data : o->u_compact_data)
                            : w64(h, o->u_compact_data);
    uint8_t *raw = xmalloc(len * kind + 1);
    if (!code_mem(pp, data, raw, len * kind)) {
        free(raw);
        return NULL;
    }
    size_t cap = len * 4 + 1, n = 0;
    char *s = xmalloc(cap);
    for (uint64_t i = 0; i < len; i++) {
        uint32_t c = kind == 1 ? raw[i] : kind == 2 ? (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8
                                                    : w32(raw, (uint32_t)(4 * i));
        if (c == 0)
            c = '?'; /* (';' becomes ':' where names are written) */
        put_utf8(s, cap, &n, c);
    }
    s[n] = '\0';
    free(raw);
    return s;
}

/* The bytes object at ADDR; NULL when it is not readable bytes. */
static uint8_t *read_bytes(const struct py_proc *pp, uint64_t addr, size_t *len)
{
    uint8_t h[32];
    if (!code_mem(pp, addr, h, sizeof(h)) || w64(h, 8) != pp->bytes_type)
        return NULL;
    uint64_t n = w64(h, 16);
    if (n > MAX_LINETABLE)
        return NULL;
    uint8_t *b = xmalloc(n + 1);
    if (!code_mem(pp, addr + 32, b, n)) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

const char *python_short_file(const char *file, const char *cwd)
{
    const char *best = NULL;
    for (const char *p = file; (p = strstr(p, "-packages/")); p++)
        if (p - file >= 4 && (strncmp(p - 4, "site", 4) == 0 || strncmp(p - 4, "dist", 4) == 0))
            best = p + 10;
    if (best && *best)
        return best;
    best = NULL;
    /* the standard library: .../lib/pythonX.Y/ */
    for (const char *p = file; (p = strstr(p, "lib/python")); p++) {
        const char *q = p + 10;
        while ((*q >= '0' && *q <= '9') || *q == '.')
            q++;
        if (q > p + 10 && *q == '/' && q[1])
            best = q + 1;
    }
    if (best)
        return best;
    /* the program's own files, relative to where tprof runs */
    size_t n = cwd ? strlen(cwd) : 0;
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/' && file[n + 1])
        return file + n + 1;
    return file;
}

void py_code_free(struct py_code *c)
{
    struct py_line *l, *tmp;
    HASH_ITER(hh, c->lines, l, tmp)
    {
        HASH_DEL(c->lines, l);
        free((char *)l->n.name);
        free(l);
    }
    free((char *)c->fn.name);
    free(c->qualname);
    free(c->file);
    free(c->linetable);
    free(c);
}

void py_code_forget(struct py_proc *pp, struct py_code *c)
{
    HASH_DEL(pp->codes, c);
    py_code_free(c);
    pp->ncodes--;
}

static void codes_free(struct py_code **table, size_t *n)
{
    struct py_code *c, *tmp;
    HASH_ITER(hh, *table, c, tmp)
    {
        HASH_DEL(*table, c);
        py_code_free(c);
    }
    *n = 0;
}

void py_codes_free(struct py_proc *pp)
{
    codes_free(&pp->codes, &pp->ncodes);
}

void py_snaps_free(struct py_proc *pp)
{
    codes_free(&pp->snaps, &pp->nsnaps);
}

/* Where the window of pointers that tells code objects apart starts:
 * co_filename, co_name, co_qualname and co_linetable (3.10: filename, name,
 * linetable), contiguous in every version. */
uint32_t py_sig_off(const struct py_offsets *o)
{
    return o->co_filename < o->co_name ? o->co_filename : o->co_name;
}

/* (3.10's co_zombieframe follows co_linetable, and changes) */
size_t py_sig_len(const struct py_offsets *o)
{
    return o->minor == 10 ? 24 : 32;
}

/* The code object at ADDR read and named (not cached); NULL when it is not
 * a readable code object. */
struct py_code *py_code_read(struct python *py, struct py_proc *pp, uint64_t addr)
{
    struct py_code *c;
    const struct py_offsets *o = &pp->off;
    uint8_t h[256];
    if (o->co_size > sizeof(h) || !code_mem(pp, addr, h, o->co_size) ||
        w64(h, 8) != pp->code_type)
        return NULL;
    char *name = read_str(pp, w64(h, o->co_qualname != PY_NO_FIELD ? o->co_qualname : o->co_name));
    char *file = name ? read_str(pp, w64(h, o->co_filename)) : NULL;
    if (!name || !file) {
        free(name);
        free(file);
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    c->addr = addr;
    c->firstlineno = (int)w32(h, o->co_firstlineno);
    int64_t units = (int64_t)w64(h, 16);
    c->ninstr = o->co_code_adaptive != PY_NO_FIELD && units > 0 && units < (1 << 28) ? (uint32_t)units : 0;
    c->qualname = name;
    c->file = file;
    if (py->cfg.lines)
        c->linetable = read_bytes(pp, w64(h, o->co_linetable), &c->linetable_len);
    char *fn = xmalloc(strlen(name) + strlen(file) + 32);
    sprintf(fn, "%s (%s:%d)", name, python_short_file(file, py->cwd), c->firstlineno);
    c->fn = (struct py_name){fn, UINT32_MAX};
    memcpy(c->sig, h + py_sig_off(o), py_sig_len(o));
    if (!code_mem(pp, w64(h, o->co_filename) + PYFRAMES_FILE_OFF, c->fwin, sizeof(c->fwin)))
        memset(c->fwin, 0xff, sizeof(c->fwin)); /* (no identity to match) */
    if (o->co_code_adaptive != PY_NO_FIELD) {
        c->instr_lo = addr + o->co_code_adaptive;
        c->instr_hi = c->instr_lo + 2 * (uint64_t)c->ninstr;
    } else { /* 3.10: the co_code bytes object */
        uint8_t b[32];
        uint64_t bytes = o->co_code != PY_NO_FIELD && o->co_code + 8 <= o->co_size ? w64(h, o->co_code) : 0;
        if (code_mem(pp, bytes, b, sizeof(b)) && w64(b, 8) == pp->bytes_type &&
            w64(b, 16) < (1u << 28)) {
            c->instr_lo = bytes + 32;
            c->instr_hi = c->instr_lo + w64(b, 16);
            c->ninstr = (uint32_t)(w64(b, 16) / 2);
        }
    }
    return c;
}

struct py_code *py_code_get(struct python *py, struct py_proc *pp, uint64_t addr)
{
    struct py_code *c;
    HASH_FIND(hh, pp->codes, &addr, sizeof(addr), c);
    if (c)
        return c;
    c = py_code_read(py, pp, addr);
    if (!c)
        return NULL;
    if (pp->ncodes >= MAX_CODES)
        py_codes_free(pp); /* names are interned by the caller: nothing is lost */
    HASH_ADD(hh, pp->codes, addr, sizeof(c->addr), c);
    pp->ncodes++;
    return c;
}

void py_snap_add(struct py_proc *pp, struct py_code *c, uint32_t ident)
{
    if (pp->nsnaps >= MAX_CODES) { /* the oldest goes: its records were taken long ago */
        struct py_code *old = pp->snaps;
        HASH_DEL(pp->snaps, old);
        py_code_free(old);
        pp->nsnaps--;
    }
    memset(&c->skey, 0, sizeof(c->skey));
    c->skey.addr = c->addr;
    c->skey.ident = ident;
    c->snap = true;
    HASH_ADD(hh, pp->snaps, skey, sizeof(c->skey), c);
    pp->nsnaps++;
}

struct py_code *py_snap_find(struct py_proc *pp, uint64_t addr, uint32_t ident)
{
    struct py_code_key k;
    memset(&k, 0, sizeof(k));
    k.addr = addr;
    k.ident = ident;
    struct py_code *c;
    HASH_FIND(hh, pp->snaps, &k, sizeof(k), c);
    return c;
}

struct py_name *py_frame_name(struct python *py, struct py_proc *pp, const struct py_frame *f)
{
    struct py_code *c = f->c ? f->c : py_code_get(py, pp, f->code);
    if (!c)
        return NULL;
    if (!py->cfg.lines)
        return &c->fn;
    int line = -2;
    if (c->linetable) {
        line = pp->off.minor >= 11
                   ? python_line_311(c->linetable, c->linetable_len, c->firstlineno, f->lasti)
                   : python_line_310(c->linetable, c->linetable_len, c->firstlineno,
                                     f->lasti < 0 ? -1 : f->lasti * 2);
    }
    if (line < 0)
        line = c->firstlineno; /* no line here (or an unreadable table): the function's */
    struct py_line *l;
    HASH_FIND_INT(c->lines, &line, l);
    if (!l) {
        l = xcalloc(1, sizeof(*l));
        l->line = line;
        char *s = xmalloc(strlen(c->qualname) + strlen(c->file) + 32);
        sprintf(s, "%s (%s:%d)", c->qualname, python_short_file(c->file, py->cwd), line);
        l->n = (struct py_name){s, UINT32_MAX};
        HASH_ADD_INT(c->lines, line, l);
    }
    return &l->n;
}

/* ----- line tables ----- */

int python_line_311(const uint8_t *t, size_t n, int firstlineno, int lasti)
{
    if (lasti < 0)
        return firstlineno;
    long line = firstlineno;
    long start = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t b = t[i++];
        if (!(b & 0x80))
            return -2;
        int code = (b >> 3) & 15;
        long end = start + (b & 7) + 1;
        if (code == 13 || code == 14) {
            uint64_t u = 0;
            unsigned shift = 0;
            for (;;) {
                if (i >= n || shift > 28)
                    return -2;
                uint8_t v = t[i++];
                u |= (uint64_t)(v & 63) << shift;
                shift += 6;
                if (!(v & 64))
                    break;
            }
            line += (u & 1) ? -(long)(u >> 1) : (long)(u >> 1);
        } else if (code >= 10 && code <= 12) {
            line += code - 10;
        }
        while (i < n && !(t[i] & 0x80))
            i++;
        if (lasti < end)
            return code == 15 ? -1 : (line < 0 || line > (1L << 30) ? -2 : (int)line);
        start = end;
    }
    return -2;
}

int python_line_310(const uint8_t *t, size_t n, int firstlineno, int off)
{
    if (off < 0)
        return firstlineno;
    long line = firstlineno, addr = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        long end = addr + t[i];
        int8_t ld = (int8_t)t[i + 1];
        if (ld != -128)
            line += ld;
        if (off >= addr && off < end)
            return ld == -128 ? -1 : (line < 0 || line > (1L << 30) ? -2 : (int)line);
        addr = end;
    }
    return -2;
}

/* ----- threads ----- */

/* 3.10 knows a thread by its pthread_t, the address of glibc's struct
 * pthread, which holds the kernel TID. Where: the offset at which the main
 * thread's struct holds the PID (0x2d0 in glibc 2.26 to 2.37). */
static uint32_t tid_of_pthread(struct py_proc *pp, uint64_t pthread)
{
    uint8_t b[1024];
    if (!py_read_mem((pid_t)pp->pid, pthread, b, sizeof(b)))
        return 0;
    if (pp->pthread_tid_off < 0) {
        if (w32(b, 0x2d0) == pp->pid) {
            pp->pthread_tid_off = 0x2d0;
        } else {
            for (uint32_t k = 0; k + 4 <= sizeof(b); k += 4)
                if (w32(b, k) == pp->pid) {
                    pp->pthread_tid_off = k;
                    break;
                }
            if (pp->pthread_tid_off < 0)
                return 0;
        }
    }
    return w32(b, (uint32_t)pp->pthread_tid_off);
}

/* Rebuild the TID -> thread state table from the interpreters' lists (and
 * hand it to the kernel program, when it reads the stacks). */
static void tids_rebuild(struct python *py, struct py_proc *pp)
{
    const struct py_offsets *o = &pp->off;
    struct py_tid *t, *tmp;
    HASH_ITER(hh, pp->tids, t, tmp)
    {
        HASH_DEL(pp->tids, t);
        free(t);
    }
    pp->tids_at = now_s();
    uint64_t interp = 0;
    if (!py_read_mem((pid_t)pp->pid, pp->runtime + o->rt_interpreters_head, &interp, 8))
        return;
    /* 3.10: the main thread first, so that its struct pthread calibrates
     * where glibc keeps the TID */
    uint64_t list[MAX_THREADS];
    size_t nlist = 0;
    uint64_t main_pthread = 0, main_ts = 0; /* the main thread's */
    for (int ni = 0; interp && ni < 64; ni++) {
        uint64_t ts = 0;
        py_read_mem((pid_t)pp->pid, interp + o->is_threads_head, &ts, 8);
        uint8_t T[512];
        for (; ts && nlist < MAX_THREADS && o->ts_size <= sizeof(T); ) {
            if (!py_read_mem((pid_t)pp->pid, ts, T, o->ts_size))
                break;
            list[nlist++] = ts;
            uint32_t tid = 0;
            if (o->ts_native_thread_id)
                tid = (uint32_t)w64(T, o->ts_native_thread_id);
            else if (pp->pthread_tid_off >= 0)
                tid = tid_of_pthread(pp, w64(T, o->ts_thread_id));
            if (tid) {
                struct py_tid *e;
                HASH_FIND(hh, pp->tids, &tid, sizeof(tid), e);
                if (!e) {
                    e = xcalloc(1, sizeof(*e));
                    e->tid = tid;
                    HASH_ADD(hh, pp->tids, tid, sizeof(tid), e);
                }
                e->tstate = ts;
                e->at = pp->tids_at;
                if (tid == pp->pid) {
                    main_pthread = w64(T, o->ts_thread_id);
                    main_ts = ts;
                }
            }
            uint64_t next = w64(T, o->ts_next);
            if (next == ts)
                break;
            ts = next;
        }
        uint64_t nx = 0;
        if (!py_read_mem((pid_t)pp->pid, interp + o->is_next, &nx, 8) || nx == interp)
            break;
        interp = nx;
    }
    if (o->ts_native_thread_id || pp->pthread_tid_off >= 0) {
        py_kernel_threads(py, pp, main_pthread, main_ts);
        return;
    }
    /* 3.10, first time: calibrate on the thread state whose pthread holds
     * the PID (the main thread), then map them all */
    uint8_t T[512];
    for (size_t i = 0; i < nlist && pp->pthread_tid_off < 0; i++)
        if (py_read_mem((pid_t)pp->pid, list[i], T, o->ts_size))
            tid_of_pthread(pp, w64(T, o->ts_thread_id));
    if (pp->pthread_tid_off >= 0)
        tids_rebuild(py, pp);
}

void py_tids_refresh(struct python *py, struct py_proc *pp)
{
    if (now_s() - pp->tids_at >= 0.01)
        tids_rebuild(py, pp);
}

static uint64_t tstate_of(struct python *py, struct py_proc *pp, uint32_t tid, bool fresh)
{
    struct py_tid *e;
    HASH_FIND(hh, pp->tids, &tid, sizeof(tid), e);
    /* A thread not in the table is looked for again at most every 50 ms:
     * native threads of a Python program have no thread state. */
    if ((!e || fresh) && now_s() - pp->tids_at >= (fresh ? 0.0 : 0.05)) {
        tids_rebuild(py, pp);
        HASH_FIND(hh, pp->tids, &tid, sizeof(tid), e);
    }
    return e ? e->tstate : 0;
}

/* ----- the stack ----- */

struct chunk {
    uint64_t start, end; /* [start, end) copied into buf */
    uint8_t *buf;
};

static bool read_frame(const struct py_proc *pp, const struct chunk *ck, uint64_t f, uint8_t *F)
{
    uint32_t size = pp->off.fr_size;
    if (ck->buf && f >= ck->start && bounds_ok(f - ck->start, size, ck->end - ck->start)) {
        memcpy(F, ck->buf + (f - ck->start), size);
        return true;
    }
    return py_read_mem((pid_t)pp->pid, f, F, size);
}

static bool walk(struct python *py, struct py_proc *pp, uint64_t ts, const uint8_t *T,
                 struct py_stack *out)
{
    const struct py_offsets *o = &pp->off;
    uint64_t cfs[MAX_CFRAMES], cfaddr[MAX_CFRAMES];
    size_t ncf = 0;
    uint64_t head;
    if (o->ts_root_cframe != PY_NO_FIELD) { /* 3.11, 3.12: the C calls */
        uint64_t root = ts + o->ts_root_cframe;
        uint64_t cf = w64(T, o->ts_frame);
        while (cf != root) {
            uint8_t C[32];
            if (!cf || ncf >= MAX_CFRAMES || !py_read_mem((pid_t)pp->pid, cf, C, o->cf_size))
                return false;
            uint64_t cur = w64(C, o->cf_current_frame), prev = w64(C, o->cf_previous);
            cfaddr[ncf] = cf;
            cfs[ncf++] = cur;
            if (prev == cf)
                return false;
            cf = prev;
        }
        head = ncf ? cfs[0] : 0;
    } else {
        head = w64(T, o->ts_frame);
    }
    if (!head)
        return true; /* no Python code running */
    out->present = true;

    struct chunk ck = {0, 0, NULL};
    if (o->ts_datastack_chunk) {
        uint64_t c = w64(T, o->ts_datastack_chunk), top = w64(T, o->ts_datastack_top);
        if (c && top > c + 24 && top - c <= MAX_CHUNK) {
            size_t len = top - c;
            if (len > py->chunkcap) {
                py->chunkbuf = xrealloc(py->chunkbuf, len);
                py->chunkcap = len;
            }
            if (py_read_mem((pid_t)pp->pid, c, py->chunkbuf, len))
                ck = (struct chunk){c, top, py->chunkbuf};
        }
    }

    uint64_t run_first[MAX_CFRAMES];
    uint32_t run_len = 0;
    bool run_open = false;
    uint64_t f = head;
    uint8_t F[128];
    for (size_t depth = 0; f; depth++) {
        if (depth >= PYTHON_MAX_FRAMES || o->fr_size > sizeof(F) || !read_frame(pp, &ck, f, F))
            return false;
        uint64_t prev = w64(F, o->fr_previous);
        if (prev == f)
            return false;
        int owner = o->fr_owner != PY_NO_FIELD ? F[o->fr_owner] : 0;
        if (o->minor >= 12 && owner == FRAME_OWNED_BY_CSTACK) {
            /* the eval call's shim: the run above it ends here */
            if (out->nruns >= MAX_CFRAMES)
                return false;
            out->anchor[out->nruns] = f;
            if (!run_open)
                run_first[out->nruns] = 0;
            out->runs[out->nruns++] = run_len;
            run_len = 0;
            run_open = false;
            f = prev;
            continue;
        }
        if (owner > 2)
            return false;
        uint64_t code = w64(F, o->fr_code);
        struct py_code *c = py_code_get(py, pp, code);
        if (!c)
            return false;
        int lasti;
        if (o->minor == 10) {
            lasti = (int)w32(F, o->fr_instr);
        } else {
            int64_t d = (int64_t)(w64(F, o->fr_instr) - (code + o->co_code_adaptive));
            if (d < -2 || d > (1LL << 30))
                return false;
            lasti = (int)(d / 2);
        }
        if (lasti < -1 || (c->ninstr && lasti >= (int)c->ninstr)) {
            /* The cache may hold a code object freed since, whose address
             * this one reuses (the signature check comes after the walk):
             * read it again before judging the frame. Kept, the stale entry
             * failed every later read of the stack (99% inconsistent, in 1
             * run of ~12 of split.py). */
            py_code_forget(pp, c);
            c = py_code_get(py, pp, code);
            if (!c || lasti < -1 || (c->ninstr && lasti >= (int)c->ninstr))
                return false;
        }
        /* frames owned by the thread sit in its data stack, callers below */
        if (owner == 0 && ck.buf && f >= ck.start && f < ck.end && prev >= ck.start &&
            prev < ck.end && prev >= f)
            return false;
        if (out->nframes >= PYTHON_MAX_FRAMES)
            return false;
        out->frames[out->nframes++] = (struct py_frame){code, lasti, NULL};
        if (!run_open) {
            if (out->nruns >= MAX_CFRAMES)
                return false;
            run_first[out->nruns] = f;
            run_open = true;
        }
        run_len++;
        bool ends = o->minor == 10;
        if (o->fr_is_entry != PY_NO_FIELD) {
            if (F[o->fr_is_entry] > 1)
                return false;
            ends = F[o->fr_is_entry];
        }
        if (ends) {
            out->anchor[out->nruns] = 0;
            out->runs[out->nruns++] = run_len;
            run_len = 0;
            run_open = false;
        }
        f = prev;
    }
    if (run_open)
        return false; /* the outermost frame must end an eval call */
    /* 3.11, 3.12: one run per C call, each starting at its current frame */
    if (o->ts_root_cframe != PY_NO_FIELD) {
        if (ncf != out->nruns)
            return false;
        for (size_t k = 0; k < ncf; k++) {
            if (run_first[k] != cfs[k] && !(o->minor >= 12 && out->runs[k] == 0))
                return false;
            out->anchor[k] = cfaddr[k];
        }
    }
    return true;
}

/* A code object freed and its address reused (imports compile and drop
 * code) would keep the old one's name: each sample's code objects are
 * compared with what the cache knows, all in one read. An entry that
 * differs is read again. */
static bool codes_current(struct python *py, struct py_proc *pp, struct py_stack *st)
{
    size_t n = st->nframes;
    if (n == 0)
        return true;
    if (!py->liov) {
        py->liov = xmalloc(PYTHON_MAX_FRAMES * sizeof(*py->liov));
        py->riov = xmalloc(PYTHON_MAX_FRAMES * sizeof(*py->riov));
        py->sigs = xmalloc(PYTHON_MAX_FRAMES * 32);
    }
    uint32_t off = py_sig_off(&pp->off);
    for (size_t i = 0; i < n; i++) {
        py->liov[i] = (struct iovec){py->sigs + 32 * i, 32};
        py->riov[i] = (struct iovec){(void *)(uintptr_t)(st->frames[i].code + off), 32};
    }
    if (process_vm_readv((pid_t)pp->pid, py->liov, n, py->riov, n, 0) != (ssize_t)(32 * n))
        return false;
    for (size_t i = 0; i < n; i++) {
        struct py_code *c;
        HASH_FIND(hh, pp->codes, &st->frames[i].code, sizeof(uint64_t), c);
        if (c && memcmp(c->sig, py->sigs + 32 * i, py_sig_len(&pp->off)) == 0)
            continue;
        if (c)
            py_code_forget(pp, c);
        if (!py_code_get(py, pp, st->frames[i].code))
            return false;
    }
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The greatest of the sorted WORDS (N) in [LO, HI), or 0: the eval loop
 * also keeps the start of the instructions (first_instr) about, and the
 * instruction pointer is at or after it. */
static uint64_t word_in(const uint64_t *w, size_t n, uint64_t lo, uint64_t hi)
{
    size_t a = 0, b = n;
    while (a < b) { /* the first word >= HI */
        size_t m = (a + b) / 2;
        if (w[m] < hi)
            a = m + 1;
        else
            b = m;
    }
    return a > 0 && w[a - 1] >= lo ? w[a - 1] : 0;
}

static void drop_frames(struct py_stack *st, size_t nf, size_t nr)
{
    memmove(st->frames, st->frames + nf, (st->nframes - nf) * sizeof(st->frames[0]));
    st->nframes -= nf;
    memmove(st->runs, st->runs + nr, (st->nruns - nr) * sizeof(st->runs[0]));
    memmove(st->anchor, st->anchor + nr, (st->nruns - nr) * sizeof(st->anchor[0]));
    st->nruns -= nr;
}

/* The thread ran on between its sample and the read: bring the stack back
 * to the sample's time. Eval calls whose anchor on the C stack lies below
 * the sample's stack pointer were entered after it: their runs go. In the
 * innermost remaining run, the sample-time frame is the innermost one whose
 * code the eval loop was executing at the sample: a pointer into its
 * instructions (the loop's next_instr) is in the sample's registers or on
 * its stack, at or under that eval call's frame. The frames above it were
 * entered after the sample. When no frame of the run qualifies the thread
 * has returned from the sample's frame since, and the stack is not valid.
 * (A sibling called from the same caller at the same address would pass
 * only if it runs the same code: the same function.) */
static bool align(struct python *py, struct py_proc *pp, struct py_stack *st,
                  const struct py_snap *snap)
{
    uint64_t sp = snap->regs[PERF_REG_SP];
    size_t nr = 0, nf = 0;
    while (nr < st->nruns && st->anchor[nr] && st->anchor[nr] < sp)
        nf += st->runs[nr++];
    if (nr == st->nruns)
        return false;
    drop_frames(st, nf, nr);
    /* the words: the registers, and the stack up to the eval call's frame */
    uint64_t end = st->anchor[0] ? st->anchor[0] + 256 : sp + 4096;
    size_t len = end - sp < snap->size ? (size_t)(end - sp) : snap->size;
    size_t n = len / 8 + 24;
    if (n > py->wordcap) {
        py->words = xrealloc(py->words, n * sizeof(uint64_t));
        py->wordcap = n;
    }
    size_t k = 0;
    for (int r = 0; r < 24; r++)
        if (r <= PERF_REG_SS || r >= PERF_REG_R8)
            py->words[k++] = snap->regs[r < PERF_REG_R8 ? r : r - 4];
    memcpy(py->words + k, snap->stack, (len / 8) * 8);
    k += len / 8;
    qsort(py->words, k, sizeof(uint64_t), cmp_u64);
    /* 3.11+ inlines Python calls in one eval call: search its run; 3.10,
     * and 3.12+ under -X perf (a trampoline per call), run each call in its
     * own, so search on outwards */
    size_t limit = pp->off.minor == 10 || pp->trampolines ? st->nframes : st->runs[0];
    for (size_t j = 0; j < limit; j++) {
        struct py_code *c;
        HASH_FIND(hh, pp->codes, &st->frames[j].code, sizeof(uint64_t), c);
        if (!c || c->instr_hi <= c->instr_lo)
            continue;
        uint64_t w = word_in(py->words, k, c->instr_lo, c->instr_hi);
        if (!w)
            continue;
        /* frames entered since: gone; the line is the sample's */
        size_t runs_gone = 0, frames_gone = j;
        while (runs_gone < st->nruns && frames_gone >= st->runs[runs_gone])
            frames_gone -= st->runs[runs_gone++];
        drop_frames(st, j, runs_gone);
        st->runs[0] -= (uint32_t)frames_gone;
        st->frames[0].lasti = (int)((w - c->instr_lo) / 2) - 1;
        return true;
    }
    return false;
}

void py_find_tls_slot(struct python *py, struct py_proc *pp, uint32_t tid, uint64_t fs_base)
{
    if (pp->tls_slot || pp->tls_tried || !fs_base)
        return;
    uint64_t ts = tstate_of(py, pp, tid, false);
    if (!ts)
        return;
    pp->tls_tried = true;
    pp->tls_slot = py_tls_slot_of(pp, fs_base, ts);
}

void py_read_stack(struct python *py, struct py_proc *pp, uint32_t tid, struct py_stack *out,
                   const struct py_snap *snap, uint64_t fs_base)
{
    out->tid = tid;
    out->valid = out->present = false;
    out->nframes = out->nruns = 0;
    const struct py_offsets *o = &pp->off;
    uint8_t T[512];
    if (o->ts_size > sizeof(T))
        return;
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t ts = tstate_of(py, pp, tid, attempt > 0);
        /* (a thread the list does not have yet: its thread-local slot,
         * checked against its TID below) */
        if (!ts && fs_base && pp->tls_slot && attempt == 0 &&
            !py_read_mem((pid_t)pp->pid, fs_base + pp->tls_slot, &ts, sizeof(ts)))
            ts = 0;
        if (!ts)
            return;
        if (!py_read_mem((pid_t)pp->pid, ts, T, o->ts_size))
            continue;
        /* a thread state freed, its memory reused, or its TID reused */
        if (o->ts_native_thread_id && w64(T, o->ts_native_thread_id) != tid)
            continue;
        out->valid = walk(py, pp, ts, T, out) && codes_current(py, pp, out);
        if (out->valid && snap && snap->regs && snap->stack)
            out->valid = align(py, pp, out, snap);
        if (!out->present)
            out->valid = false;
        return;
    }
}
