/*
 * symbols: the resolver. An address goes pid -> mapping (maps) -> file
 * offset -> ELF vaddr (PT_LOAD math, the same for PIE, shared objects and
 * fixed executables) -> symbol. Every answer is cached per (dso, vaddr), so
 * the per-sample cost after warm-up is a map lookup and one hash probe.
 *
 * What an address is called when no symbol covers it matters: a stripped
 * library's internal functions are not the exported symbol before them. Such
 * an address is named "module+0xSTART" with START the function start from
 * the .eh_frame CFI (so its samples still aggregate per function), or the
 * address itself when even the CFI does not cover it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/demangle.h"
#include "tprof/elf.h"
#include "tprof/jitdump.h"
#include "tprof/clock.h"
#include "tprof/kallsyms.h"
#include "tprof/perfmap.h"
#include "tprof/srcinfo.h"
#include "tprof/symbols.h"
#include "tprof/xalloc.h"

struct addr_key {
    const void *dso;
    uint64_t vaddr;
};

struct addr_entry {
    UT_hash_handle hh;
    struct addr_key key;
    struct symref *ref;
    struct symref **chain; /* symbols_user_frames' answer, once asked */
    size_t nchain;
};

struct name_entry { /* JIT and kernel names, and fixed names */
    UT_hash_handle hh;
    struct symref *ref;
    char key[];
};

/* What a process says about its JIT code: its perf map, its jitdump (found
 * by its mapping), and the perf trampoline of its Python, if it has one. */
struct pid_jit {
    UT_hash_handle hh;
    uint32_t pid;
    struct jit_trust trust;
    struct perfmap *pm;
    struct jitdump *jd;
    bool warned_pm, warned_jd;
    size_t tramp_maps; /* the mappings when last searched (a search that
                          found nothing is done again when they change) */
    const uint8_t *tramp; /* the template's bytes, in its dso's image */
    size_t tramp_len;
    size_t tramp_ret; /* the offset after its call instruction, or 0 */
};

/* A JIT address its jitdump did not name yet: runtimes buffer their dumps
 * (node --perf-prof, python -X perf_jit write them out at exit), so its
 * frame is "[jit 0xADDR]" until the name arrives, then renamed. */
struct pending_jit {
    UT_hash_handle hh;
    struct pending_key {
        uint64_t addr;
        uint32_t pid;
        uint32_t zero; /* (no padding in a hashed key) */
    } key;
    struct symref *ref;
};

struct symbols {
    struct symbols_opts opts;
    struct maps *maps;
    struct dso_cache *dsos;
    struct kallsyms *kallsyms;
    struct kallsyms_job *kjob; /* reading it, in a thread */
    struct srcinfo *src; /* inlined functions and lines, by compilation unit */
    struct addr_entry *by_addr;
    struct name_entry *by_name;
    struct pid_jit *jits;
    struct pending_jit *pending;
    uint64_t jit_unnamed; /* lookups in JIT code nothing names */
    VEC(struct symref *) renamed; /* named late, for symbols_take_renamed */
    VEC(struct symref *) refs; /* all, for freeing */
    char warning[PATH_MAX + 160];
    VEC(struct dso *) cfi_wanted; /* met by a walk before their unwind info
                                     was copied (symbols_unwind_prepare) */
};

struct symbols *symbols_new(const struct symbols_opts *opts)
{
    struct symbols *s = xcalloc(1, sizeof(*s));
    s->opts.perfmap_dir = opts && opts->perfmap_dir ? opts->perfmap_dir : "/tmp";
    s->opts.kallsyms_path = opts && opts->kallsyms_path ? opts->kallsyms_path : "/proc/kallsyms";
    s->opts.jit_any_owner = opts && opts->jit_any_owner;
    s->opts.inlined = opts && opts->inlined;
    s->opts.lines = opts && opts->lines;
    s->maps = maps_new();
    s->dsos = dso_cache_new();
    return s;
}

void symbols_free(struct symbols *s)
{
    if (!s)
        return;
    VEC_FREE(s->cfi_wanted);
    struct addr_entry *a, *atmp;
    HASH_ITER(hh, s->by_addr, a, atmp)
    {
        HASH_DEL(s->by_addr, a);
        free(a->chain);
        free(a);
    }
    struct name_entry *n, *ntmp;
    HASH_ITER(hh, s->by_name, n, ntmp)
    {
        HASH_DEL(s->by_name, n);
        free(n);
    }
    struct pending_jit *q, *qtmp;
    HASH_ITER(hh, s->pending, q, qtmp)
    {
        HASH_DEL(s->pending, q);
        free(q);
    }
    VEC_FREE(s->renamed);
    struct pid_jit *p, *ptmp;
    HASH_ITER(hh, s->jits, p, ptmp)
    {
        HASH_DEL(s->jits, p);
        perfmap_free(p->pm);
        jitdump_free(p->jd);
        free(p);
    }
    for (size_t i = 0; i < s->refs.n; i++) {
        free((char *)s->refs.v[i]->name);
        free(s->refs.v[i]);
    }
    VEC_FREE(s->refs);
    if (s->kjob)
        kallsyms_free(kallsyms_join(s->kjob));
    kallsyms_free(s->kallsyms);
    srcinfo_free(s->src); /* (before the dsos its DWARF belongs to) */
    dso_cache_free(s->dsos);
    maps_free(s->maps);
    free(s);
}

static struct symref *new_ref(struct symbols *s, char *name, const char *module,
                              enum sym_kind kind)
{
    struct symref *r = xmalloc(sizeof(*r));
    r->name = name;
    r->module = module;
    r->kind = kind;
    r->cookie = UINT32_MAX;
    r->entry = false;
    r->nosym = false;
    VEC_PUSH(s->refs, r);
    return r;
}

/* Where every process and thread stack begins (glibc, musl, ld.so). */
static bool is_entry_name(const char *n)
{
    static const char *const roots[] = {"_start", "__libc_start_main", "__libc_start_call_main",
                                        "clone", "clone3", "__clone", "__clone3",
                                        "start_thread", "_dl_start", "_dl_start_user"};
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
        if (strcmp(n, roots[i]) == 0)
            return true;
    return false;
}

/* The symref named NAME of KIND in MODULE, shared by every address that
 * gets it. */
static struct symref *named_ref(struct symbols *s, const char *name, const char *module,
                                enum sym_kind kind)
{
    /* The key ("KIND MODULE \0 NAME") is built in the entry itself: a name's
     * length comes from a perf map, the kernel or DWARF, so nothing is
     * sized on the stack by it. */
    size_t len = strlen(name), ml = strlen(module), kl = 1 + ml + 1 + len;
    struct name_entry *e = xmalloc(sizeof(*e) + kl + 1), *found;
    e->key[0] = (char)('0' + kind);
    memcpy(e->key + 1, module, ml + 1);
    memcpy(e->key + 2 + ml, name, len + 1);
    HASH_FIND(hh, s->by_name, e->key, kl, found);
    if (found) {
        free(e);
        return found->ref;
    }
    e->ref = new_ref(s, xstrdup(name), module, kind);
    HASH_ADD(hh, s->by_name, key, kl, e);
    return e->ref;
}

static struct pid_jit *pid_jit(struct symbols *s, uint32_t pid)
{
    struct pid_jit *p;
    HASH_FIND(hh, s->jits, &pid, sizeof(pid), p);
    if (p)
        return p;
    p = xcalloc(1, sizeof(*p));
    p->pid = pid;
    /* The program's own files are its user's: that user is trusted. */
    char proc[32];
    struct stat st;
    snprintf(proc, sizeof(proc), "/proc/%" PRIu32, pid);
    p->trust.owner = stat(proc, &st) == 0 ? st.st_uid : (uid_t)-1;
    p->trust.any = s->opts.jit_any_owner;
    p->pm = perfmap_new(pid, s->opts.perfmap_dir, &p->trust);
    HASH_ADD(hh, s->jits, pid, sizeof(pid), p);
    return p;
}

/* A runtime maps its jit-PID.dump into itself so that perf finds it. */
static bool is_jitdump_name(const char *filename)
{
    const char *base = strrchr(filename, '/');
    unsigned pid;
    int end = 0;
    return base && sscanf(base, "/jit-%u.dump%n", &pid, &end) == 1 && base[end] == '\0';
}

void symbols_mmap(struct symbols *s, uint32_t pid, uint64_t addr, uint64_t len, uint64_t pgoff,
                  uint32_t prot, const char *filename, const uint8_t *build_id,
                  size_t build_id_size)
{
    if (is_jitdump_name(filename)) {
        struct pid_jit *p = pid_jit(s, pid);
        if (!p->jd || strcmp(jitdump_path(p->jd), filename) != 0) {
            jitdump_free(p->jd);
            p->jd = jitdump_new(filename, &p->trust);
            p->warned_jd = false;
        }
        return;
    }
    if (len == 0 || addr + len < addr) /* (from /proc or a record: never wraps) */
        return;
    struct map m = {.start = addr, .end = addr + len, .pgoff = pgoff, .prot = prot};
    if (strcmp(filename, "[vdso]") == 0) {
        m.kind = MAPPING_VDSO;
        m.dso = dso_cache_get(s->dsos, "[vdso]", NULL, 0);
    } else if (filename[0] == '/' && strncmp(filename, "//anon", 6) != 0 &&
               strncmp(filename, "/memfd:", 7) != 0 && strncmp(filename, "/dev/", 5) != 0 &&
               strncmp(filename, "/SYSV", 5) != 0) {
        m.kind = MAPPING_FILE;
        m.dso = dso_cache_get(s->dsos, filename, build_id, build_id_size);
    } else {
        m.kind = MAPPING_ANON;
    }
    maps_add(s->maps, pid, &m);
}

void symbols_fork(struct symbols *s, uint32_t ppid, uint32_t pid)
{
    maps_fork(s->maps, ppid, pid);
}

static const char *jit_find(struct symbols *s, uint32_t pid, uint64_t ip, uint64_t *start,
                            uint64_t *size);

/* Name what can be named now of PID's pending addresses (every process's
 * when PID is 0). */
static void resolve_pending(struct symbols *s, uint32_t pid)
{
    /* each dump read once, however many addresses wait on it */
    struct pid_jit *p, *ptmp;
    HASH_ITER(hh, s->jits, p, ptmp)
    {
        if (p->jd && (!pid || p->pid == pid))
            jitdump_refresh(p->jd);
    }
    struct pending_jit *q, *tmp;
    HASH_ITER(hh, s->pending, q, tmp)
    {
        if (pid && q->key.pid != pid)
            continue;
        HASH_FIND(hh, s->jits, &q->key.pid, sizeof(q->key.pid), p);
        const char *name = p && p->jd ? jitdump_lookup(p->jd, q->key.addr, NULL, NULL) : NULL;
        if (!name)
            continue;
        free((char *)q->ref->name);
        q->ref->name = xstrdup(name);
        VEC_PUSH(s->renamed, q->ref);
        HASH_DEL(s->pending, q);
        free(q);
    }
}

void symbols_set_progress_fd(struct symbols *s, int fd)
{
    dso_cache_set_progress_fd(s->dsos, fd);
}

uint64_t symbols_jit_unnamed(const struct symbols *s)
{
    return s->jit_unnamed;
}

void symbols_resolve_pending(struct symbols *s)
{
    if (s->pending)
        resolve_pending(s, 0);
}

struct symref *symbols_take_renamed(struct symbols *s)
{
    return s->renamed.n ? s->renamed.v[--s->renamed.n] : NULL;
}

void symbols_exec(struct symbols *s, uint32_t pid)
{
    /* (an exiting runtime has just written its buffered jitdump out) */
    resolve_pending(s, pid);
    struct pending_jit *q, *qtmp;
    HASH_ITER(hh, s->pending, q, qtmp)
    {
        if (q->key.pid == pid) {
            HASH_DEL(s->pending, q);
            free(q);
        }
    }
    maps_clear(s->maps, pid);
    struct pid_jit *p;
    HASH_FIND(hh, s->jits, &pid, sizeof(pid), p);
    if (p) {
        HASH_DEL(s->jits, p);
        perfmap_free(p->pm);
        jitdump_free(p->jd);
        free(p);
    }
}

void symbols_exit(struct symbols *s, uint32_t pid)
{
    symbols_exec(s, pid);
}

const struct map *symbols_find_map(struct symbols *s, uint32_t pid, uint64_t addr)
{
    return maps_find(s->maps, pid, addr);
}

const struct map *symbols_find_code(struct symbols *s, uint32_t pid, uint64_t addr)
{
    const struct map *m = maps_find(s->maps, pid, addr);
    return m && (m->prot & PROT_EXEC) ? m : NULL;
}

const struct map *symbols_maps(struct symbols *s, uint32_t pid, size_t *n)
{
    return maps_all(s->maps, pid, n);
}

/* /proc/PID/maps writes a newline in a path as \012 (and nothing else
 * escaped, not even a backslash): NAME with each \012 made a newline, in
 * place, when a file by that name exists and none by the name as written
 * does (a library named with a newline, which perf's records name as it
 * is). */
static void maps_unescape(char *name)
{
    if (!strstr(name, "\\012"))
        return;
    char *u = xstrdup(name);
    size_t w = 0;
    for (size_t r = 0; u[r]; r++) {
        if (strncmp(u + r, "\\012", 4) == 0) {
            u[w++] = '\n';
            r += 3;
        } else {
            u[w++] = u[r];
        }
    }
    u[w] = '\0';
    if (access(u, F_OK) == 0 && access(name, F_OK) != 0)
        memcpy(name, u, w + 1); /* (never longer than NAME) */
    free(u);
}

void symbols_read_maps(struct symbols *s, uint32_t pid, FILE *f)
{
    /* What the file says replaces what was known: a mapping gone since
     * (ld.so.cache, unmapped at the end of a dlopen, the new library then
     * placed where it was) must not keep its addresses. */
    maps_clear(s->maps, pid);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        uint64_t start, end, off;
        char perms[8];
        int name_at = 0;
        /* 7f1c0a000000-7f1c0a022000 r--p 00000000 08:01 1234   /usr/lib/libc.so.6 */
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &start, &end, perms,
                   &off, &name_at) < 4 || name_at == 0 || end <= start)
            continue;
        char *name = line + name_at;
        name[strcspn(name, "\n")] = '\0';
        maps_unescape(name);
        uint32_t prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                        (perms[2] == 'x' ? PROT_EXEC : 0);
        /* " (deleted)" files are gone from disk: nothing to read. */
        symbols_mmap(s, pid, start, end - start, off, prot, name, NULL, 0);
    }
    free(line);
}

int symbols_load_proc_maps(struct symbols *s, uint32_t pid, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%" PRIu32 "/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    symbols_read_maps(s, pid, f);
    fclose(f);
    return 0;
}

int symbols_unwind_find(void *ctx, uint32_t pid, uint64_t addr, struct unwind_mapping *out)
{
    struct symbols *s = ctx;
    const struct map *m = maps_find(s->maps, pid, addr);
    if (!m)
        return -1;
    memset(out, 0, sizeof(*out));
    out->start = m->start;
    out->end = m->end;
    struct pid_jit *p = NULL;
    if (m->kind == MAPPING_ANON)
        HASH_FIND(hh, s->jits, &pid, sizeof(pid), p);
    if (p && p->jd) {
        /* JIT code its jitdump gave CFI: the function alone, with its table */
        uint64_t fs, fsize;
        const struct jit_unwind *uw = jitdump_unwind(p->jd, addr, &fs, &fsize);
        if (uw) {
            out->start = fs;
            out->end = fs + fsize;
            out->has_table = true;
            out->hdr_vaddr = uw->at + uw->hdr_off;
            out->table_off = 12;
            out->fde_count = uw->fde_count;
            out->eh_data = uw->data;
            out->eh_at = uw->at;
            out->eh_size = uw->size;
        }
        return 0;
    }
    if (!m->dso)
        return 0;
    if (!dso_cfi_ready(m->dso)) {
        /* (loaded and copied between walks: symbols_unwind_prepare) */
        bool known = false;
        for (size_t i = 0; i < s->cfi_wanted.n; i++)
            known = known || s->cfi_wanted.v[i] == m->dso;
        if (!known)
            VEC_PUSH(s->cfi_wanted, m->dso);
        return 0;
    }
    if (!dso_ok(m->dso))
        return 0;
    size_t size;
    const uint8_t *img = dso_image(m->dso, &size);
    if (m->pgoff < size) {
        out->data = img + m->pgoff;
        out->data_size = size - m->pgoff;
        if (out->data_size > m->end - m->start)
            out->data_size = m->end - m->start;
    }
    uint64_t vaddr;
    if (dso_offset_to_vaddr(m->dso, m->pgoff, &vaddr) == 0) {
        out->bias = m->start - vaddr;
        out->has_table =
            dso_eh_frame_hdr(m->dso, &out->hdr_vaddr, &out->table_off, &out->fde_count) == 0;
        uint64_t cv;
        size_t cs;
        out->cfi = dso_cfi(m->dso, &cv, &cs);
        out->cfi_at = cv + out->bias;
        out->cfi_size = cs;
        out->has_table = out->has_table && out->cfi; /* (never the mapping itself) */
    }
    return 0;
}

bool symbols_unwind_prepare(void *ctx)
{
    struct symbols *s = ctx;
    if (!s || !s->cfi_wanted.n)
        return false;
    for (size_t i = 0; i < s->cfi_wanted.n; i++)
        dso_cfi_prepare(s->cfi_wanted.v[i]);
    s->cfi_wanted.n = 0;
    return true;
}

/* The JIT function covering IP: the perf map's, then the jitdump's. */
static const char *jit_find(struct symbols *s, uint32_t pid, uint64_t ip, uint64_t *start,
                            uint64_t *size)
{
    struct pid_jit *p = pid_jit(s, pid);
    const char *name = perfmap_find(p->pm, ip, start, size);
    if (!name && p->jd)
        name = jitdump_find(p->jd, ip, start, size);
    /* (each refused or broken file is said once) */
    if (*perfmap_error(p->pm) && !p->warned_pm) {
        p->warned_pm = true;
        snprintf(s->warning, sizeof(s->warning), "%s", perfmap_error(p->pm));
    } else if (p->jd && *jitdump_error(p->jd) && !p->warned_jd) {
        p->warned_jd = true;
        snprintf(s->warning, sizeof(s->warning), "%s", jitdump_error(p->jd));
    }
    return name;
}

static struct symref *resolve_jit(struct symbols *s, uint32_t pid, uint64_t ip)
{
    struct pending_key key = {ip, pid, 0};
    struct pending_jit *q;
    HASH_FIND(hh, s->pending, &key, sizeof(key), q);
    if (q)
        return q->ref;
    const char *name = jit_find(s, pid, ip, NULL, NULL);
    if (name)
        return named_ref(s, name, "[jit]", SYM_JIT);
    struct pid_jit *p = pid_jit(s, pid);
    if (!p->jd || *jitdump_error(p->jd)) {
        s->jit_unnamed++;
        return NULL;
    }
    q = xcalloc(1, sizeof(*q));
    q->key = key;
    q->ref = new_ref(s, xasprintf("[jit 0x%" PRIx64 "]", ip), "[jit]", SYM_JIT);
    HASH_ADD(hh, s->pending, key, sizeof(key), q);
    return q->ref;
}

/* CPython's perf trampoline (3.12+, -X perf and -X perf_jit): every Python
 * call goes through a copy of _Py_trampoline_func_start.._end made in
 * anonymous memory and named in the perf map or jitdump. It has no CFI and
 * keeps no frame pointer (sub $8,%rsp; call *%rcx; add $8,%rsp; ret), so
 * neither DWARF nor the frame-pointer chain can leave it; its template, in
 * the interpreter's file, tells the unwinder what each copy does. */
static void find_trampoline(struct symbols *s, struct pid_jit *p)
{
    size_t n;
    const struct map *m = maps_all(s->maps, p->pid, &n);
    p->tramp_maps = n;
    const struct dso *seen = NULL;
    for (size_t i = 0; i < n; i++) {
        struct dso *d = m[i].dso;
        if (m[i].kind != MAPPING_FILE || !d || d == seen || !(m[i].prot & PROT_EXEC) ||
            !strstr(dso_basename(d), "python"))
            continue;
        seen = d;
        uint64_t a, asz, b, bsz;
        if (dso_find_symbol(d, "_Py_trampoline_func_start", &a, &asz) < 0 ||
            dso_find_symbol(d, "_Py_trampoline_func_end", &b, &bsz) < 0 || b <= a || b - a > 64)
            continue;
        p->tramp = dso_bytes(d, a, b - a);
        if (p->tramp) {
            p->tramp_len = b - a;
            /* where its call returns: what unwind_emulate decodes, up to
             * the first call *%reg */
            for (size_t o = 0; o < p->tramp_len; o++) {
                uint64_t delta;
                int64_t saved;
                if (o + 2 <= p->tramp_len && p->tramp[o] == 0xff &&
                    (p->tramp[o + 1] & 0xf8) == 0xd0 &&
                    unwind_emulate(p->tramp, p->tramp_len, o, &delta, &saved) == 0) {
                    p->tramp_ret = o + 2;
                    break;
                }
            }
            return;
        }
    }
}

int symbols_unwind_code(void *ctx, uint32_t pid, uint64_t ip, bool ret_addr, uint64_t *start,
                        const uint8_t **code, size_t *len)
{
    struct symbols *s = ctx;
    uint64_t look = ret_addr ? ip - 1 : ip;
    const struct map *m = maps_find(s->maps, pid, look);
    if (!m || m->kind != MAPPING_ANON)
        return -1;
    struct pid_jit *p = pid_jit(s, pid);
    size_t nmaps;
    if (!p->tramp && (maps_all(s->maps, pid, &nmaps), nmaps != p->tramp_maps))
        find_trampoline(s, p);
    if (!p->tramp)
        return -1;
    uint64_t fs, fsize;
    if (jit_find(s, pid, look, &fs, &fsize)) {
        /* (a perf map or jitdump names each copy with the template's size) */
        if (fsize != p->tramp_len)
            return -1;
    } else if (ret_addr && p->tramp_ret && p->jd) {
        /* Not named yet (python -X perf_jit buffers its jitdump): in a
         * Python process writing a jitdump, a return address into unnamed
         * anonymous code is a trampoline's, just after its one call. */
        fs = ip - p->tramp_ret;
    } else {
        return -1;
    }
    *start = fs;
    *code = p->tramp;
    *len = p->tramp_len;
    return 0;
}

static struct symref *resolve_in_dso(struct symbols *s, struct dso *d, uint64_t vaddr)
{
    uint64_t start, entry;
    bool has_entry = dso_entry(d, &entry);
    struct symref *r;
    const char *raw = dso_symbol(d, vaddr, &start);
    if (raw) {
        /* (a PLT stub: its function's name, demangled, then "@plt") */
        size_t rl = strlen(raw);
        if (rl > 4 && strcmp(raw + rl - 4, "@plt") == 0) {
            char *bare = xstrndup(raw, rl - 4);
            char *dm = demangle(bare);
            r = new_ref(s, xasprintf("%s@plt", dm ? dm : bare), dso_basename(d), SYM_USER);
            free(dm);
            free(bare);
            return r;
        }
        char *dm = demangle(raw);
        r = new_ref(s, dm ? dm : xstrdup(raw), dso_basename(d), SYM_USER);
        r->entry = is_entry_name(raw) || (has_entry && start == entry);
        return r;
    }
    uint64_t fs, fe;
    if (dso_fde_range(d, vaddr, &fs, &fe) == 0)
        start = fs;
    else
        start = vaddr;
    r = new_ref(s, xasprintf("%s+0x%" PRIx64, dso_basename(d), start), dso_basename(d), SYM_USER);
    /* (a stripped program's _start is still its ELF entry point) */
    r->entry = has_entry && start == entry;
    r->nosym = true;
    return r;
}

/* The cache entry of a user address of PID in a file, or NULL with *REF
 * its symref when it is not in a readable file. */

/* A frame in D, which cannot be read: "[module]", and once, if D's file
 * changed under tprof, a note that says so. */
static void unnamed_in(struct symbols *s, struct dso *d, struct symref **ref)
{
    char buf[300];
    snprintf(buf, sizeof(buf), "[%s]", dso_basename(d));
    *ref = named_ref(s, buf, dso_basename(d), SYM_USER);
    if (dso_take_changed_note(d))
        snprintf(s->warning, sizeof(s->warning), "%s: %s; its frames are shown as [%s]",
                 dso_path(d), dso_error(d), dso_basename(d));
}

static struct addr_entry *user_entry(struct symbols *s, uint32_t pid, uint64_t ip, bool caller,
                                     struct symref **ref)
{
    uint64_t addr = caller && ip > 0 ? ip - 1 : ip;
    /* (a frame outside code is not named after what is there now) */
    const struct map *m = symbols_find_code(s, pid, addr);
    if (!m) {
        *ref = named_ref(s, "[unknown]", "", SYM_USER);
        return NULL;
    }
    if (m->kind == MAPPING_ANON) {
        struct symref *r = resolve_jit(s, pid, addr);
        *ref = r ? r : named_ref(s, "[unknown]", "", SYM_USER);
        return NULL;
    }
    struct dso *d = m->dso;
    if (!dso_ok(d)) {
        unnamed_in(s, d, ref);
        return NULL;
    }
    uint64_t vaddr;
    if (dso_offset_to_vaddr(d, addr - m->start + m->pgoff, &vaddr) < 0)
        vaddr = addr - m->start + m->pgoff;
    struct addr_key key = {d, vaddr};
    struct addr_entry *e;
    HASH_FIND(hh, s->by_addr, &key, sizeof(key), e);
    if (!e) {
        e = xcalloc(1, sizeof(*e));
        e->key = key;
        e->ref = resolve_in_dso(s, d, vaddr);
        if (!dso_ok(d)) /* (its file changed while it was read: not trusted) */
            unnamed_in(s, d, &e->ref);
        HASH_ADD(hh, s->by_addr, key, sizeof(key), e);
    }
    *ref = e->ref;
    return e;
}

struct symref *symbols_user(struct symbols *s, uint32_t pid, uint64_t ip, bool caller)
{
    struct symref *r;
    user_entry(s, pid, ip, caller, &r);
    return r;
}

/* NAME, or "NAME (FILE:LINE)" when F knows its line. */
static struct symref *line_ref(struct symbols *s, const char *name, const struct src_frame *f,
                               const char *module, enum sym_kind kind)
{
    if (!f || !f->file || !f->line)
        return named_ref(s, name, module, kind);
    char *n = xasprintf("%s (%s:%u)", name, f->file, f->line);
    struct symref *r = named_ref(s, n, module, kind);
    free(n);
    return r;
}

/* E's chain: its function, then what DWARF says is inlined there. */
static void build_chain(struct symbols *s, struct addr_entry *e)
{
    struct src_frame sf[SRCINFO_MAX];
    if (!s->src)
        s->src = srcinfo_new();
    size_t n = srcinfo_frames(s->src, (struct dso *)e->key.dso, e->key.vaddr, sf, SRCINFO_MAX);
    size_t keep = s->opts.inlined && n ? n : 1;
    e->chain = xcalloc(keep, sizeof(*e->chain));
    e->nchain = keep;
    /* The function keeps its symbol's name (the symbol table's, as every
     * frame not expanded): DWARF's may differ (an alias, a .cold part). */
    if (s->opts.lines && n) {
        e->chain[0] = line_ref(s, e->ref->name, &sf[0], e->ref->module, SYM_USER);
        e->chain[0]->entry = e->ref->entry;
    } else {
        e->chain[0] = e->ref;
    }
    for (size_t i = 1; i < keep; i++)
        e->chain[i] = line_ref(s, sf[i].name ? sf[i].name : "[unknown]",
                               s->opts.lines ? &sf[i] : NULL, e->ref->module, SYM_INLINE);
    srcinfo_clear(sf, n);
}

size_t symbols_user_frames(struct symbols *s, uint32_t pid, uint64_t ip, bool caller,
                           struct symref **out, size_t max)
{
    struct symref *r;
    struct addr_entry *e = user_entry(s, pid, ip, caller, &r);
    if (max == 0)
        return 0;
    if (!e || !(s->opts.inlined || s->opts.lines)) {
        out[0] = r;
        return 1;
    }
    if (!e->chain)
        build_chain(s, e);
    size_t n = e->nchain <= max ? e->nchain : max;
    /* too many: the function and the innermost */
    out[0] = e->chain[0];
    for (size_t i = 1; i < n; i++)
        out[i] = e->chain[e->nchain - n + i];
    return n;
}

void symbols_preload_dwarf(struct symbols *s, const char *path)
{
    if (s->opts.inlined || s->opts.lines)
        symbols_dwarf(s, path);
}

size_t symbols_build_id(struct symbols *s, const char *path, uint8_t out[20])
{
    return dso_build_id(dso_cache_get(s->dsos, path, NULL, 0), out);
}

struct Dwarf *symbols_dwarf(struct symbols *s, const char *path)
{
    return dso_dwarf(dso_cache_get(s->dsos, path, NULL, 0));
}

void symbols_kernel_soon(struct symbols *s)
{
    if (!s->kallsyms && !s->kjob)
        s->kjob = kallsyms_start(s->opts.kallsyms_path);
}

static void kernel_loaded(struct symbols *s)
{
    if (s->kallsyms)
        return;
    if (s->kjob) {
        s->kallsyms = kallsyms_join(s->kjob);
        s->kjob = NULL;
        return;
    }
    setup_begin();
    s->kallsyms = kallsyms_load(s->opts.kallsyms_path);
    setup_end();
}

void symbols_kernel_wait(struct symbols *s)
{
    if (s->kjob)
        kernel_loaded(s);
}

struct symref *symbols_kernel(struct symbols *s, uint64_t ip)
{
    kernel_loaded(s);
    if (kallsyms_partial(s->kallsyms, ip)) { /* (a module's: the file, once) */
        setup_begin();
        kallsyms_free(s->kallsyms);
        s->kallsyms = kallsyms_new(s->opts.kallsyms_path);
        setup_end();
    }
    const char *name = kallsyms_lookup(s->kallsyms, ip);
    return named_ref(s, name ? name : "[kernel]", "[kernel.kallsyms]", SYM_KERNEL);
}

bool symbols_take_warning(struct symbols *s, char *buf, size_t len)
{
    if (!s->warning[0])
        return dso_cache_take_note(s->dsos, buf, len);
    snprintf(buf, len, "%s", s->warning);
    s->warning[0] = '\0';
    return true;
}
