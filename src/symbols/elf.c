/*
 * elf: what tprof needs from one ELF file, read with libelf.
 *
 * A dso is opened once per (path, build-id) and kept mapped for the whole
 * run: the unwinder reads .eh_frame_hdr and .eh_frame straight from the
 * mapped image (libunwind's access_mem serves file bytes), and symbols are
 * loaded lazily on the first lookup, so libraries that are mapped but never
 * sampled cost one open and one mmap.
 *
 * Symbol choice follows ENGINE-NOTES: STT_FUNC and STT_GNU_IFUNC with their
 * sizes, and, as perf, untyped labels in code sections; aliases at one
 * address are resolved deterministically, preferring the name a user calls: exported (global or weak) over local, then fewer
 * leading underscores (getpid, not __getpid; qsort_r, not perf's pick
 * __GI___qsort_r), then the longer name (as perf: the memmove over the memcpy
 * alias of __memmove_avx512_unaligned_erms), then byte order.
 */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uthash.h>

#include "tprof/bounds.h"
#include "tprof/clock.h"
#include "tprof/cache.h"
#include "tprof/dwcache.h"
#include "tprof/elf.h"
#include "tprof/fileutil.h"
#include "tprof/xalloc.h"

struct sym {
    uint64_t addr, size;
    uint64_t sec_end; /* the end of its section (what an unsized one may cover) */
    char *name;
    int rank; /* lower is preferred among aliases */
};

struct load_seg {
    uint64_t offset, vaddr, filesz;
};

struct dso {
    UT_hash_handle hh;
    struct dso_cache *cache;
    char *key;
    char *path;
    const char *base;
    char error[128];
    bool ok;
    bool loaded; /* opened on first use: many mappings are never sampled */
    uint8_t want_bid[20];
    size_t want_bid_size;
    bool is_vdso; /* the vDSO: image is a malloc'd copy, not mmap'd */
    volatile sig_atomic_t changed; /* a mapping of its file or debug file
                                      read past the file's end (map_file) */
    bool changed_said;
    /* its unwind info copied out of the mapping (dso_cfi_prepare) */
    bool cfi_done;
    uint8_t *cfi;
    uint64_t cfi_vaddr;
    size_t cfi_size;
    uint8_t *image;
    size_t image_size;
    Elf *elf;
    uint8_t build_id[20];
    size_t build_id_size;
    VEC(struct load_seg) loads;
    bool have_hdr;
    uint64_t hdr_vaddr, hdr_table_off, fde_count;
    /* symbols, loaded on first use */
    bool syms_loaded;
    VEC(struct sym) syms;
    char *sym_source;
    /* DWARF (inlined functions, source lines), opened on first use */
    bool dw_tried;
    Dwarf *dw; /* owned by the cache's dwarfs */
};

/* The DWARF of one build (or, without a build id, one path), shared by
 * every dso of it: a debug file's DWARF is decompressed once. */
struct dwarf_entry {
    UT_hash_handle hh;
    char *key;
    Dwarf *dw;
    Elf *elf;  /* a separate debug file's, or NULL */
    void *map; /* its mapping */
    size_t maplen;
};

/* A build id asked of debuginfod this run, and the answer. */
struct fetched {
    UT_hash_handle hh;
    char hex[41];
    char *path; /* NULL: the servers have none */
};

struct dso_cache {
    struct dso *by_key;
    struct dwarf_entry *dwarfs;
    struct fetched *fetched;
    debuginfod_client *client;
    bool client_failed;
    int progress_fd;   /* -1: no progress line */
    bool progressed;   /* a progress line was written for this fetch */
    char fetching[64]; /* the file whose debug info is being fetched */
    char note[512];    /* a note to show once (the DWARF cache not written) */
    bool noted;        /* (once per run) */
};

/* ----- files that change under tprof -----
 * Files are read through private mappings, and a file truncated while
 * mapped (cp of a new build over a library during `tprof -p`) turns the
 * next read past its new end into SIGBUS, which killed tprof with the
 * profile unwritten. Every mapping is registered here; the handler maps
 * zeros over the rest of the mapping that faulted, marks its dso changed
 * and returns, so the read that faulted sees zeros. A changed dso is not
 * used again: its frames are "[module]", and dso_error says why. A SIGBUS
 * anywhere else is left to kill the process as before. */
#define MAX_GUARDS 4096
struct guard {
    uintptr_t lo, hi;
    volatile sig_atomic_t *hit; /* NULL: a free slot */
};
static struct guard guards[MAX_GUARDS];
static uintptr_t page_mask;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (size_t i = 0; i < MAX_GUARDS; i++) {
        struct guard *g = &guards[i];
        if (!g->hit || a < g->lo || a >= g->hi)
            continue;
        uintptr_t page = a & ~page_mask;
        if (mmap((void *)page, g->hi - page, PROT_READ | PROT_WRITE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
            *g->hit = 1;
            return;
        }
        break;
    }
    signal(sig, SIG_DFL); /* not ours: the access faults again, and kills */
}

/* SIZE bytes of FD mapped (copy-on-write: libdw decompresses compressed
 * debug sections through libelf, which rewrites their headers in place),
 * guarded for HIT; MAP_FAILED with errno. */
static void *map_file(int fd, size_t size, volatile sig_atomic_t *hit)
{
    page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
    struct sigaction old;
    /* (checked at each mapping: a sanitizer or a test harness may have
     * put its own handler in place since) */
    if (sigaction(SIGBUS, NULL, &old) == 0 &&
        (!(old.sa_flags & SA_SIGINFO) || old.sa_sigaction != on_sigbus)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, NULL);
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return m;
    for (size_t i = 0; i < MAX_GUARDS; i++)
        if (!guards[i].hit) {
            guards[i].lo = (uintptr_t)m;
            guards[i].hi = ((uintptr_t)m + size + page_mask) & ~page_mask;
            guards[i].hit = hit; /* (last: the handler reads a slot whole) */
            return m;
        }
    return m; /* (4096 files mapped at once: this one unguarded) */
}

static void unmap_file(void *m, size_t size)
{
    for (size_t i = 0; i < MAX_GUARDS; i++)
        if (guards[i].hit && guards[i].lo == (uintptr_t)m)
            guards[i].hit = NULL;
    munmap(m, size);
}

struct dso_cache *dso_cache_new(void)
{
    elf_version(EV_CURRENT);
    struct dso_cache *c = xcalloc(1, sizeof(struct dso_cache));
    c->progress_fd = -1;
    return c;
}

static void dso_free(struct dso *d)
{
    if (d->elf)
        elf_end(d->elf);
    if (d->image) {
        if (d->is_vdso)
            free(d->image);
        else
            unmap_file(d->image, d->image_size);
    }
    free(d->cfi);
    for (size_t i = 0; i < d->syms.n; i++)
        free(d->syms.v[i].name);
    VEC_FREE(d->syms);
    VEC_FREE(d->loads);
    free(d->sym_source);
    free(d->path);
    free(d->key);
    free(d);
}

/* libdebuginfod, opened at the first fetch (as libdw does): linked, it
 * brought libcurl and some thirty libraries more into every start of
 * tprof (a third of the time before the program could start). */
static struct {
    bool tried;
    void *lib;
    char why[256]; /* why it could not be loaded */
    debuginfod_client *(*begin)(void);
    void (*end)(debuginfod_client *);
    void (*set_user_data)(debuginfod_client *, void *);
    void *(*get_user_data)(debuginfod_client *);
    void (*set_progressfn)(debuginfod_client *, debuginfod_progressfn_t);
    int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
} dbgd;

void dso_cache_free(struct dso_cache *c)
{
    if (!c)
        return;
    struct dso *d, *tmp;
    HASH_ITER(hh, c->by_key, d, tmp)
    {
        HASH_DEL(c->by_key, d);
        dso_free(d);
    }
    struct dwarf_entry *w, *wtmp;
    HASH_ITER(hh, c->dwarfs, w, wtmp)
    {
        HASH_DEL(c->dwarfs, w);
        if (w->dw)
            dwarf_end(w->dw);
        if (w->elf)
            elf_end(w->elf);
        if (w->map)
            unmap_file(w->map, w->maplen);
        free(w->key);
        free(w);
    }
    struct fetched *f, *ftmp;
    HASH_ITER(hh, c->fetched, f, ftmp)
    {
        HASH_DEL(c->fetched, f);
        free(f->path);
        free(f);
    }
    if (c->client)
        dbgd.end(c->client);
    free(c);
}

void dso_cache_set_progress_fd(struct dso_cache *c, int fd)
{
    c->progress_fd = fd;
}

/* ----- opening ----- */

/* The GNU build-id note in DATA (a run of notes) into OUT; its length or 0. */
static size_t build_id_note(Elf_Data *data, uint8_t out[20])
{
    GElf_Nhdr nh;
    size_t off = 0, noff, doff;
    while (data && (off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            memcmp((char *)data->d_buf + noff, "GNU", 4) == 0) {
            size_t n = nh.n_descsz > 20 ? 20 : nh.n_descsz;
            memcpy(out, (char *)data->d_buf + doff, n);
            return n;
        }
    }
    return 0;
}

/* The NT_GNU_BUILD_ID of ELF into OUT; its length, 0 when none. */
static size_t read_build_id(Elf *elf, uint8_t out[20])
{
    size_t phnum, n;
    if (elf_getphdrnum(elf, &phnum) == 0) {
        for (size_t i = 0; i < phnum; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_NOTE &&
                (n = build_id_note(elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
                                                        ELF_T_NHDR),
                                   out)))
                return n;
        }
    }
    /* Separate debug files keep the note only as a section. */
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
            (n = build_id_note(elf_getdata(scn, NULL), out)))
            return n;
    }
    return 0;
}

static Elf_Scn *find_section(Elf *elf, const char *want, GElf_Shdr *out)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (name && strcmp(name, want) == 0) {
            *out = sh;
            return scn;
        }
    }
    return NULL;
}

/* Read .eh_frame_hdr's layout: version 1, then eh_frame_ptr and fde_count in
 * the encodings every toolchain emits (pcrel|sdata4, udata4), then the
 * (datarel|sdata4) search table libunwind binary-searches. */
static void read_eh_frame_hdr(struct dso *d)
{
    GElf_Shdr sh;
    uint64_t off, vaddr, size;
    if (find_section(d->elf, ".eh_frame_hdr", &sh) && sh.sh_type != SHT_NOBITS) {
        off = sh.sh_offset;
        vaddr = sh.sh_addr;
        size = sh.sh_size;
    } else {
        /* Section headers may be stripped; PT_GNU_EH_FRAME always points at it. */
        size_t phnum;
        bool found = false;
        if (elf_getphdrnum(d->elf, &phnum) == 0)
            for (size_t i = 0; i < phnum && !found; i++) {
                GElf_Phdr ph;
                if (gelf_getphdr(d->elf, (int)i, &ph) && ph.p_type == PT_GNU_EH_FRAME) {
                    off = ph.p_offset;
                    vaddr = ph.p_vaddr;
                    size = ph.p_filesz;
                    found = true;
                }
            }
        if (!found)
            return;
    }
    /* (offsets come from the file: 0xfffffffffffffff8 + 12 must not wrap) */
    if (size < 12 || !bounds_ok(off, size, d->image_size))
        return;
    const uint8_t *h = d->image + off;
    /* version 1; eh_frame_ptr pcrel|sdata4 (0x1b); fde_count udata4 (0x03);
     * table datarel|sdata4 (0x3b) */
    if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
        return;
    uint32_t count;
    memcpy(&count, h + 8, 4);
    if (12 + (uint64_t)count * 8 > size)
        return;
    d->have_hdr = true;
    d->hdr_vaddr = vaddr;
    d->hdr_table_off = 12;
    d->fde_count = count;
}

static int open_image(struct dso *d)
{
    if (strcmp(d->path, "[vdso]") == 0) {
        /* Same kernel, same vDSO: read tprof's own (its size from the ELF). */
        unsigned long base = getauxval(AT_SYSINFO_EHDR);
        if (!base) {
            snprintf(d->error, sizeof(d->error), "no vDSO");
            return -1;
        }
        const Elf64_Ehdr *eh = (const void *)base;
        size_t size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
        if (size < 4096)
            size = 4096;
        d->image = xmalloc(size);
        memcpy(d->image, (const void *)base, size);
        d->image_size = size;
        d->is_vdso = true;
        return 0;
    }
    struct stat st;
    int fd = fileutil_open_regular(d->path, &st);
    if (fd < 0) {
        snprintf(d->error, sizeof(d->error), "%s",
                 errno == EINVAL ? "not a regular ELF file" : strerror(errno));
        return -1;
    }
    if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        snprintf(d->error, sizeof(d->error), "not a regular ELF file");
        close(fd);
        return -1;
    }
    void *m = map_file(fd, (size_t)st.st_size, &d->changed);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(d->error, sizeof(d->error), "mmap: %s", strerror(errno));
        return -1;
    }
    d->image = m;
    d->image_size = (size_t)st.st_size;
    return 0;
}

static void dso_load_now(struct dso *d, const uint8_t *want_bid, size_t want_bid_size)
{
    if (open_image(d) < 0)
        return;
    d->elf = elf_memory((char *)d->image, d->image_size);
    if (!d->elf || elf_kind(d->elf) != ELF_K_ELF) {
        snprintf(d->error, sizeof(d->error), "not an ELF file");
        return;
    }
    d->build_id_size = read_build_id(d->elf, d->build_id);
    if (want_bid_size && d->build_id_size &&
        (want_bid_size != d->build_id_size || memcmp(want_bid, d->build_id, want_bid_size))) {
        /* The file on disk is not the one that was mapped (replaced since). */
        snprintf(d->error, sizeof(d->error), "build-id differs from the mapped file");
        return;
    }
    size_t phnum;
    if (elf_getphdrnum(d->elf, &phnum) != 0) {
        snprintf(d->error, sizeof(d->error), "no program headers");
        return;
    }
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(d->elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
            struct load_seg s = {ph.p_offset, ph.p_vaddr, ph.p_filesz};
            VEC_PUSH(d->loads, s);
        }
    }
    read_eh_frame_hdr(d);
    d->ok = true;
}

/* (loads are set-up: see setupclock.c) */
static void dso_load(struct dso *d, const uint8_t *want_bid, size_t want_bid_size)
{
    setup_begin();
    dso_load_now(d, want_bid, want_bid_size);
    setup_end();
}

struct dso *dso_cache_get(struct dso_cache *c, const char *path, const uint8_t *build_id,
                          size_t build_id_size)
{
    char key[4096 + 48];
    size_t n = (size_t)snprintf(key, sizeof(key), "%s", path);
    for (size_t i = 0; i < build_id_size && n + 3 < sizeof(key); i++)
        n += (size_t)snprintf(key + n, sizeof(key) - n, "%s%02x", i ? "" : "@", build_id[i]);
    struct dso *d;
    HASH_FIND_STR(c->by_key, key, d);
    if (d)
        return d;
    d = xcalloc(1, sizeof(*d));
    d->cache = c;
    d->key = xstrdup(key);
    d->path = xstrdup(path);
    const char *slash = strrchr(d->path, '/');
    d->base = slash ? slash + 1 : d->path;
    d->want_bid_size = build_id_size > 20 ? 20 : build_id_size;
    if (d->want_bid_size)
        memcpy(d->want_bid, build_id, d->want_bid_size);
    HASH_ADD_KEYPTR(hh, c->by_key, d->key, strlen(d->key), d);
    return d;
}

static void ensure(const struct dso *cd)
{
    struct dso *d = (struct dso *)cd; /* loading is invisible to callers */
    if (!d->loaded) {
        d->loaded = true;
        dso_load(d, d->want_bid, d->want_bid_size);
    }
}

/* D can be used: read, and its file not changed under tprof since. */
static bool usable(const struct dso *d)
{
    return d->ok && !d->changed;
}

size_t dso_build_id(const struct dso *d, uint8_t out[20])
{
    ensure(d);
    if (!usable(d))
        return 0;
    memcpy(out, d->build_id, d->build_id_size);
    return d->build_id_size;
}

bool dso_ok(const struct dso *d)
{
    ensure(d);
    return usable(d);
}

const char *dso_path(const struct dso *d)
{
    return d->path;
}

const char *dso_basename(const struct dso *d)
{
    return d->base;
}

const char *dso_error(const struct dso *d)
{
    ensure(d);
    if (d->ok && d->changed)
        return "the file changed on disk while tprof read it (rewritten or truncated)";
    return d->error;
}

bool dso_take_changed_note(struct dso *d)
{
    if (!d->ok || !d->changed || d->changed_said)
        return false;
    d->changed_said = true;
    return true;
}

const uint8_t *dso_image(const struct dso *d, size_t *size)
{
    ensure(d);
    *size = usable(d) ? d->image_size : 0;
    return usable(d) ? d->image : NULL;
}

int dso_offset_to_vaddr(const struct dso *d, uint64_t off, uint64_t *vaddr)
{
    ensure(d);
    for (size_t i = 0; i < d->loads.n; i++) {
        const struct load_seg *s = &d->loads.v[i];
        /* A mapping's pgoff is page-aligned, so it may start before p_offset
         * in the same page: accept the page containing the segment start. */
        uint64_t lo = s->offset & ~(uint64_t)4095;
        if (off >= lo && (off < s->offset || off - s->offset < s->filesz)) {
            *vaddr = off - s->offset + s->vaddr;
            return 0;
        }
    }
    if (d->loads.n) {
        /* Past every segment: use the first one's mapping (like perf). */
        *vaddr = off - d->loads.v[0].offset + d->loads.v[0].vaddr;
        return 0;
    }
    return -1;
}

bool dso_entry(const struct dso *d, uint64_t *vaddr)
{
    ensure(d);
    GElf_Ehdr eh;
    if (!usable(d) || !gelf_getehdr(d->elf, &eh) || eh.e_entry == 0)
        return false;
    *vaddr = eh.e_entry;
    return true;
}

int dso_eh_frame_hdr(const struct dso *d, uint64_t *hdr_vaddr, uint64_t *table_off,
                     uint64_t *fde_count)
{
    ensure(d);
    if (!usable(d) || !d->have_hdr)
        return -1;
    *hdr_vaddr = d->hdr_vaddr;
    *table_off = d->hdr_table_off;
    *fde_count = d->fde_count;
    return 0;
}

/* ----- symbols ----- */

static int leading_underscores(const char *s)
{
    int n = 0;
    while (s[n] == '_')
        n++;
    return n;
}

static int cmp_sym(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* Preferred alias first: sized, then rank, underscores, length, bytes. */
    if ((x->size == 0) != (y->size == 0))
        return x->size == 0 ? 1 : -1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    int ux = leading_underscores(x->name), uy = leading_underscores(y->name);
    if (ux != uy)
        return ux - uy;
    size_t lx = strlen(x->name), ly = strlen(y->name);
    if (lx != ly) /* the longer, more specific name (perf's rule) */
        return lx > ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Call FN with each defined symbol (in a section, at a non-zero address) of
 * ELF's sections of TYPE and its name (never NULL or empty); stop when FN
 * returns true. */
typedef bool (*symbol_fn)(void *ctx, Elf *elf, const GElf_Sym *s, const char *name);

static void each_symbol(Elf *elf, Elf64_Word type, symbol_fn fn, void *ctx)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || sh.sh_entsize == 0)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data)
            continue;
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < count; i++) {
            GElf_Sym s;
            if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
                s.st_shndx >= SHN_LORESERVE || s.st_value == 0)
                continue;
            const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
            if (name && *name && fn(ctx, elf, &s, name))
                return;
        }
    }
}

struct add_ctx {
    struct dso *d;
    size_t added;
};

static bool add_one(void *ctx, Elf *elf, const GElf_Sym *s, const char *name)
{
    struct add_ctx *a = ctx;
    int t = GELF_ST_TYPE(s->st_info);
    /* Besides functions, the untyped labels of hand-written entry code
     * (ld.so's _start), as perf takes them: in code sections only, and
     * after any function at the same address. */
    if (t != STT_FUNC && t != STT_GNU_IFUNC && t != STT_NOTYPE)
        return false;
    GElf_Shdr in;
    Elf_Scn *at_scn = elf_getscn(elf, s->st_shndx);
    if (!at_scn || !gelf_getshdr(at_scn, &in))
        return false;
    bool label = t == STT_NOTYPE;
    if (label && !(in.sh_flags & SHF_EXECINSTR))
        return false;
    /* (the linker's section bounds are not code) */
    if (label && (strncmp(name, "__start_", 8) == 0 || strncmp(name, "__stop_", 7) == 0))
        return false;
    int b = GELF_ST_BIND(s->st_info);
    /* Debug files name versioned symbols "f@@GLIBC_2.34": drop the version. */
    const char *at = strchr(name + 1, '@');
    int rank = b == STB_GLOBAL || b == STB_WEAK ? 0 : 1;
    /* In the vDSO, __vdso_clock_gettime says where the time went; its
     * alias clock_gettime would read as libc's wrapper twice. */
    if (a->d->is_vdso && strncmp(name, "__vdso_", 7) != 0)
        rank = 2;
    if (label)
        rank = 3;
    struct sym sy = {s->st_value, s->st_size, in.sh_addr + in.sh_size,
                     at ? xstrndup(name, (size_t)(at - name)) : xstrdup(name), rank};
    VEC_PUSH(a->d->syms, sy);
    a->added++;
    return false;
}

/* Add the function symbols of ELF's section of TYPE; returns how many. */
static size_t add_symbols(struct dso *d, Elf *elf, Elf64_Word type)
{
    struct add_ctx a = {d, 0};
    each_symbol(elf, type, add_one, &a);
    return a.added;
}

/* ----- PLT stubs, named NAME@plt as perf names them ----- */

struct got_slot {
    uint64_t addr;
    const char *name; /* in the ELF's string table */
};

typedef VEC(struct got_slot) slot_vec;

static int cmp_slot(const void *a, const void *b)
{
    const struct got_slot *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The GOT slots the relocations of section NAME fill with a named symbol's
 * address (JUMP_SLOT in .rela.plt, GLOB_DAT in .rela.dyn). */
static void got_slots(Elf *elf, const char *name, slot_vec *out)
{
    GElf_Shdr sh, symsh;
    Elf_Scn *scn = find_section(elf, name, &sh);
    if (!scn || sh.sh_type != SHT_RELA || sh.sh_entsize == 0)
        return;
    Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
    Elf_Data *rd = elf_getdata(scn, NULL), *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
    if (!rd || !sd || !gelf_getshdr(symscn, &symsh))
        return;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; i++) {
        GElf_Rela r;
        GElf_Sym s;
        if (!gelf_getrela(rd, (int)i, &r))
            break;
        unsigned type = GELF_R_TYPE(r.r_info);
        if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) || !GELF_R_SYM(r.r_info) ||
            !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s))
            continue;
        const char *nm = elf_strptr(elf, symsh.sh_link, s.st_name);
        if (nm && *nm) {
            struct got_slot g = {r.r_offset, nm};
            VEC_PUSH(*out, g);
        }
    }
}

/* Name each stub of .plt, .plt.sec and .plt.got after the function whose
 * GOT slot its "jmp *disp(%rip)" (ff 25, after an endbr64 or bnd prefix)
 * goes through: the code says which, whatever the linker's layout (lazy or
 * not, with or without IBT). PLT0 and unknown slots stay unnamed. */
static void add_plt_symbols(struct dso *d)
{
    slot_vec slots = {0};
    got_slots(d->elf, ".rela.plt", &slots);
    got_slots(d->elf, ".rela.dyn", &slots);
    if (!slots.n) {
        VEC_FREE(slots);
        return;
    }
    VEC_SORT(slots, cmp_slot);
    static const char *const plts[] = {".plt", ".plt.sec", ".plt.got"};
    for (size_t k = 0; k < sizeof(plts) / sizeof(plts[0]); k++) {
        GElf_Shdr sh;
        if (!find_section(d->elf, plts[k], &sh) || sh.sh_type != SHT_PROGBITS ||
            !(sh.sh_flags & SHF_EXECINSTR) || !bounds_ok(sh.sh_offset, sh.sh_size, d->image_size))
            continue;
        uint64_t step = sh.sh_entsize == 8 || sh.sh_entsize == 16 ? sh.sh_entsize : 16;
        const uint8_t *code = d->image + sh.sh_offset;
        for (uint64_t off = 0; off + step <= sh.sh_size; off += step) {
            for (uint64_t j = 0; j + 6 <= step; j++) {
                if (code[off + j] != 0xff || code[off + j + 1] != 0x25)
                    continue;
                int32_t disp;
                memcpy(&disp, code + off + j + 2, 4);
                uint64_t slot = sh.sh_addr + off + j + 6 + (uint64_t)(int64_t)disp;
                struct got_slot key = {slot, NULL}, *hit =
                    bsearch(&key, slots.v, slots.n, sizeof(key), cmp_slot);
                if (hit) {
                    const char *at = strchr(hit->name + 1, '@');
                    size_t len = at ? (size_t)(at - hit->name) : strlen(hit->name);
                    struct sym sy = {sh.sh_addr + off, step, sh.sh_addr + sh.sh_size,
                                     xasprintf("%.*s@plt", (int)len, hit->name), 0};
                    VEC_PUSH(d->syms, sy);
                }
                break;
            }
        }
    }
    VEC_FREE(slots);
}

/* A debug file for D at PATH: an ELF of D's build (a debug file for
 * another build would name the wrong functions). Its Elf, mapping in MAP. */
static Elf *try_debug_file(struct dso *d, const char *path, void **map, size_t *maplen)
{
    if (strcmp(path, d->path) == 0)
        return NULL;
    struct stat st;
    int fd = fileutil_open_regular(path, &st);
    if (fd < 0)
        return NULL;
    void *m = MAP_FAILED;
    if (st.st_size > 0)
        m = map_file(fd, (size_t)st.st_size, &d->changed);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    Elf *e = elf_memory(m, (size_t)st.st_size);
    uint8_t bid[20];
    size_t bl = e ? read_build_id(e, bid) : 0;
    if (e && elf_kind(e) == ELF_K_ELF &&
        (!d->build_id_size || (bl == d->build_id_size && !memcmp(bid, d->build_id, bl)))) {
        *map = m;
        *maplen = (size_t)st.st_size;
        return e;
    }
    if (e)
        elf_end(e);
    unmap_file(m, (size_t)st.st_size);
    return NULL;
}


static bool debuginfod_load(void)
{
    if (dbgd.tried)
        return dbgd.lib != NULL;
    dbgd.tried = true;
    void *h = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(dbgd.why, sizeof(dbgd.why), "%s", e ? e : "dlopen failed");
        return false;
    }
    *(void **)&dbgd.begin = dlsym(h, "debuginfod_begin");
    *(void **)&dbgd.end = dlsym(h, "debuginfod_end");
    *(void **)&dbgd.set_user_data = dlsym(h, "debuginfod_set_user_data");
    *(void **)&dbgd.get_user_data = dlsym(h, "debuginfod_get_user_data");
    *(void **)&dbgd.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
    *(void **)&dbgd.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
    if (!dbgd.begin || !dbgd.end || !dbgd.set_user_data || !dbgd.get_user_data ||
        !dbgd.set_progressfn || !dbgd.find_debuginfo) {
        snprintf(dbgd.why, sizeof(dbgd.why), "a debuginfod_* function is missing from it");
        dlclose(h);
        return false;
    }
    dbgd.lib = h;
    return true;
}

static int fetch_progress(debuginfod_client *client, long done, long total)
{
    struct dso_cache *c = dbgd.get_user_data(client);
    if (c->progress_fd >= 0 && total > 0) {
        char line[300];
        int n = snprintf(line, sizeof(line), "\rtprof: debuginfod: %s debug info: %ld/%ld KB",
                         c->fetching, done / 1024, total > 0 ? total / 1024 : 0);
        if (n > 0 && write(c->progress_fd, line, (size_t)n) == n)
            c->progressed = true;
    }
    return 0;
}

/* The debug file of build id HEX from the debuginfod servers of
 * DEBUGINFOD_URLS (libdebuginfod: its own cache on disk, a progress line on
 * the progress descriptor), asked once per build id per run. Its path
 * (owned by the cache) or NULL. */
static const char *fetch_debuginfo(struct dso *d, const char *hex)
{
    struct dso_cache *c = d->cache;
    const char *urls = getenv("DEBUGINFOD_URLS");
    if (!c || !urls || !*urls)
        return NULL;
    struct fetched *f;
    HASH_FIND_STR(c->fetched, hex, f);
    if (f)
        return f->path;
    f = xcalloc(1, sizeof(*f));
    snprintf(f->hex, sizeof(f->hex), "%s", hex);
    HASH_ADD_STR(c->fetched, hex, f);
    if (!c->client && !c->client_failed) {
        if (!debuginfod_load()) {
            c->client_failed = true;
            if (c->progress_fd >= 0)
                dprintf(c->progress_fd, "tprof: DEBUGINFOD_URLS is set but libdebuginfod.so.1 "
                                        "cannot be loaded: %s\n", dbgd.why);
            return NULL;
        }
        c->client = dbgd.begin();
        c->client_failed = !c->client;
        if (c->client) {
            dbgd.set_user_data(c->client, c);
            dbgd.set_progressfn(c->client, fetch_progress);
        }
    }
    if (!c->client)
        return NULL;
    snprintf(c->fetching, sizeof(c->fetching), "%s", d->base);
    c->progressed = false;
    char *path = NULL;
    int fd = dbgd.find_debuginfo(c->client, (const unsigned char *)hex, 0, &path);
    if (c->progressed && c->progress_fd >= 0 && write(c->progress_fd, "\n", 1) < 0)
        c->progressed = false;
    if (fd >= 0) {
        close(fd);
        f->path = path;
    } else {
        free(path);
    }
    return f->path;
}

/* A separate debug file for D with a .symtab. Searched as perf and gdb do:
 * by build id under /usr/lib/debug/.build-id, in perf's build-id cache
 * (~/.debug/.build-id/xx/REST/{debug,elf}), in debuginfod's client cache;
 * then by .gnu_debuglink next to the file, in its .debug directory and
 * under /usr/lib/debug; last, when FETCH, from debuginfod when DEBUGINFOD_URLS
 * is set. Returns its Elf (and mapping, to unmap) or NULL. */
static Elf *open_debug_file(struct dso *d, bool fetch, void **map, size_t *maplen, char **where)
{
    char *cand[12];
    int nc = 0;
    char hex[41] = "";
    if (d->build_id_size >= 2) {
        char rest[41];
        for (size_t i = 0; i < d->build_id_size; i++)
            snprintf(hex + 2 * i, 3, "%02x", d->build_id[i]);
        snprintf(rest, sizeof(rest), "%s", hex + 2);
        cand[nc++] = xasprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", hex, rest);
        const char *home = getenv("HOME");
        if (home && *home) {
            cand[nc++] = xasprintf("%s/.debug/.build-id/%.2s/%s/debug", home, hex, rest);
            cand[nc++] = xasprintf("%s/.debug/.build-id/%.2s/%s/elf", home, hex, rest);
        }
        const char *dc = getenv("DEBUGINFOD_CACHE_PATH"), *xdg = getenv("XDG_CACHE_HOME");
        if (dc && *dc)
            cand[nc++] = xasprintf("%s/%s/debuginfo", dc, hex);
        else if (xdg && *xdg)
            cand[nc++] = xasprintf("%s/debuginfod_client/%s/debuginfo", xdg, hex);
        else if (home && *home)
            cand[nc++] = xasprintf("%s/.cache/debuginfod_client/%s/debuginfo", home, hex);
    }
    GElf_Shdr sh;
    Elf_Scn *scn = find_section(d->elf, ".gnu_debuglink", &sh);
    if (scn) {
        Elf_Data *data = elf_getdata(scn, NULL);
        if (data && data->d_size > 0 && memchr(data->d_buf, '\0', data->d_size)) {
            const char *link = data->d_buf;
            char *dir = xstrdup(d->path);
            char *slash = strrchr(dir, '/');
            if (slash)
                *slash = '\0';
            cand[nc++] = xasprintf("%s/.debug/%s", slash ? dir : ".", link);
            cand[nc++] = xasprintf("/usr/lib/debug%s/%s", slash ? dir : "", link);
            cand[nc++] = xasprintf("%s/%s", slash ? dir : ".", link);
            free(dir);
        }
    }
    Elf *found = NULL;
    for (int i = 0; i < nc && !found; i++)
        if ((found = try_debug_file(d, cand[i], map, maplen)))
            *where = xstrdup(cand[i]);
    for (int i = 0; i < nc; i++)
        free(cand[i]);
    if (!found && hex[0] && fetch) {
        const char *got = fetch_debuginfo(d, hex);
        if (got && (found = try_debug_file(d, got, map, maplen)))
            *where = xstrdup(got);
    }
    return found;
}

static void load_symbols_now(struct dso *d)
{
    ensure(d);
    d->syms_loaded = true;
    if (!usable(d))
        return;
    GElf_Shdr sh;
    if (find_section(d->elf, ".symtab", &sh) && add_symbols(d, d->elf, SHT_SYMTAB)) {
        d->sym_source = xstrdup(d->path);
    } else {
        void *map = NULL;
        size_t len = 0;
        char *where = NULL;
        Elf *dbg = open_debug_file(d, true, &map, &len, &where);
        if (dbg && add_symbols(d, dbg, SHT_SYMTAB)) {
            d->sym_source = where;
            where = NULL;
        }
        free(where);
        if (dbg) {
            elf_end(dbg);
            unmap_file(map, len);
        }
        if (!d->syms.n) {
            add_symbols(d, d->elf, SHT_DYNSYM);
            d->sym_source = xstrdup(d->path);
        }
    }
    if (!d->is_vdso)
        add_plt_symbols(d);
    VEC_SORT(d->syms, cmp_sym);
    /* Keep the preferred alias per address (it sorts first). */
    size_t w = 0;
    for (size_t i = 0; i < d->syms.n; i++) {
        if (w > 0 && d->syms.v[w - 1].addr == d->syms.v[i].addr) {
            free(d->syms.v[i].name);
            continue;
        }
        d->syms.v[w++] = d->syms.v[i];
    }
    d->syms.n = w;
}

struct find_ctx {
    const char *want;
    uint64_t vaddr, size;
    bool found;
};

static void load_symbols(struct dso *d)
{
    setup_begin();
    load_symbols_now(d);
    setup_end();
}

static bool find_one(void *ctx, Elf *elf, const GElf_Sym *s, const char *name)
{
    struct find_ctx *f = ctx;
    (void)elf;
    if (strcmp(name, f->want) != 0)
        return false;
    f->vaddr = s->st_value;
    f->size = s->st_size;
    f->found = true;
    return true;
}

static int find_in_table(Elf *elf, Elf64_Word type, const char *want, uint64_t *vaddr,
                         uint64_t *size)
{
    struct find_ctx f = {want, 0, 0, false};
    each_symbol(elf, type, find_one, &f);
    if (!f.found)
        return -1;
    *vaddr = f.vaddr;
    *size = f.size;
    return 0;
}

int dso_find_symbol(struct dso *d, const char *name, uint64_t *vaddr, uint64_t *size)
{
    ensure(d);
    if (!usable(d))
        return -1;
    if (find_in_table(d->elf, SHT_DYNSYM, name, vaddr, size) == 0 ||
        find_in_table(d->elf, SHT_SYMTAB, name, vaddr, size) == 0)
        return 0;
    /* static names (f.cold) of a stripped file are in its debug file (one
     * at hand: this looks in every library, it must not fetch for each) */
    void *map = NULL;
    size_t len = 0;
    char *where = NULL;
    Elf *dbg = open_debug_file(d, false, &map, &len, &where);
    int rc = dbg ? find_in_table(dbg, SHT_SYMTAB, name, vaddr, size) : -1;
    free(where);
    if (dbg) {
        elf_end(dbg);
        unmap_file(map, len);
    }
    return rc;
}

int dso_find_section(struct dso *d, const char *name, uint64_t *vaddr, uint64_t *size)
{
    ensure(d);
    GElf_Shdr sh;
    if (!usable(d) || !find_section(d->elf, name, &sh) || !(sh.sh_flags & SHF_ALLOC))
        return -1;
    *vaddr = sh.sh_addr;
    *size = sh.sh_size;
    return 0;
}

const char *dso_symbol(struct dso *d, uint64_t vaddr, uint64_t *start)
{
    if (!d->syms_loaded)
        load_symbols(d);
    size_t lo = 0, hi = d->syms.n;
    while (lo < hi) { /* first symbol with addr > vaddr */
        size_t mid = (lo + hi) / 2;
        if (d->syms.v[mid].addr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct sym *s = &d->syms.v[lo - 1];
    if (s->size > 0) {
        if (vaddr >= s->addr + s->size)
            return NULL;
    } else {
        /* An unsized symbol (hand-written assembly) counts when the CFI
         * says a function starts exactly there and covers VADDR, or, as in
         * perf, up to the next symbol when no CFI covers VADDR at all (entry
         * code such as ld.so's _start has none); not when the CFI says
         * another function starts between them, nor past its section (the
         * PLT after an unsized _init). */
        uint64_t fs, fe;
        if (vaddr >= s->sec_end || (dso_fde_range(d, vaddr, &fs, &fe) == 0 && fs != s->addr))
            return NULL;
    }
    if (start)
        *start = s->addr;
    return s->name;
}

/* File offset of VADDR, through the PT_LOAD that contains it. */
static int vaddr_to_offset(const struct dso *d, uint64_t vaddr, uint64_t *off)
{
    for (size_t i = 0; i < d->loads.n; i++) {
        const struct load_seg *s = &d->loads.v[i];
        if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
            *off = vaddr - s->vaddr + s->offset;
            return 0;
        }
    }
    return -1;
}

/* ----- unwind info for libunwind -----
 * libunwind reads .eh_frame_hdr and .eh_frame with every signal blocked
 * (its global cache's lock), and a SIGBUS that comes while it is blocked
 * kills the process whatever its handler: a file truncated under tprof
 * killed it there. So libunwind reads a copy, made here between walks
 * (where a truncated file's SIGBUS is caught, map_file), never the
 * mapping. */

bool dso_cfi_ready(const struct dso *d)
{
    return d->loaded && d->cfi_done;
}

static void cfi_prepare_now(struct dso *d);

void dso_cfi_prepare(struct dso *d)
{
    ensure(d);
    if (d->cfi_done)
        return;
    d->cfi_done = true;
    setup_begin();
    cfi_prepare_now(d);
    setup_end();
}

static void cfi_prepare_now(struct dso *d)
{
    if (!usable(d) || !d->have_hdr)
        return;
    /* [.eh_frame_hdr, the end of .eh_frame), whichever comes first; without
     * section headers, the rest of the segment that holds the header */
    uint64_t lo = d->hdr_vaddr, hi = 0;
    GElf_Shdr sh;
    if (find_section(d->elf, ".eh_frame_hdr", &sh) && sh.sh_addr == lo)
        hi = sh.sh_addr + sh.sh_size;
    if (find_section(d->elf, ".eh_frame", &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size) {
        lo = sh.sh_addr < lo ? sh.sh_addr : lo;
        hi = sh.sh_addr + sh.sh_size > hi ? sh.sh_addr + sh.sh_size : hi;
    }
    for (size_t i = 0; i < d->loads.n && hi <= lo; i++) {
        const struct load_seg *g = &d->loads.v[i];
        if (lo >= g->vaddr && lo - g->vaddr < g->filesz)
            hi = g->vaddr + g->filesz;
    }
    uint64_t off, end;
    if (hi <= lo || hi - lo > ((uint64_t)256 << 20) || vaddr_to_offset(d, lo, &off) < 0 ||
        vaddr_to_offset(d, hi - 1, &end) < 0 || end - off != hi - lo - 1 ||
        !bounds_ok(off, hi - lo, d->image_size))
        return; /* (not one contiguous stretch of the file: no table) */
    d->cfi = xmalloc(hi - lo);
    memcpy(d->cfi, d->image + off, hi - lo);
    d->cfi_vaddr = lo;
    d->cfi_size = hi - lo;
    if (d->changed) { /* (the copy read zeros: the file changed meanwhile) */
        free(d->cfi);
        d->cfi = NULL;
    }
}

const uint8_t *dso_cfi(const struct dso *d, uint64_t *vaddr, size_t *size)
{
    if (!d->cfi || !usable(d))
        return NULL;
    *vaddr = d->cfi_vaddr;
    *size = d->cfi_size;
    return d->cfi;
}

const uint8_t *dso_bytes(struct dso *d, uint64_t vaddr, size_t len)
{
    ensure(d);
    uint64_t off;
    if (!usable(d) || vaddr_to_offset(d, vaddr, &off) < 0 || !bounds_ok(off, len, d->image_size))
        return NULL;
    return d->image + off;
}

static int32_t read_s32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The FDE covering VADDR, found with .eh_frame_hdr's sorted table (the same
 * search libunwind does): the entry with the greatest initial location not
 * above VADDR, then that FDE's pc_begin and pc_range. The FDE is trusted only
 * when its pc_begin (pcrel|sdata4, what GCC and clang emit) agrees with the
 * table, so another encoding gives "unknown", never a wrong range. */
int dso_fde_range(struct dso *d, uint64_t vaddr, uint64_t *start, uint64_t *end)
{
    ensure(d);
    uint64_t hdr_off;
    if (!usable(d) || !d->have_hdr || vaddr_to_offset(d, d->hdr_vaddr, &hdr_off) < 0 ||
        !bounds_ok(hdr_off, d->hdr_table_off + d->fde_count * 8, d->image_size))
        return -1;
    const uint8_t *table = d->image + hdr_off + d->hdr_table_off;
    size_t lo = 0, hi = d->fde_count;
    while (lo < hi) { /* first entry whose start is above VADDR */
        size_t mid = (lo + hi) / 2;
        if (d->hdr_vaddr + (uint64_t)(int64_t)read_s32(table + mid * 8) <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    uint64_t init = d->hdr_vaddr + (uint64_t)(int64_t)read_s32(table + (lo - 1) * 8);
    uint64_t fde = d->hdr_vaddr + (uint64_t)(int64_t)read_s32(table + (lo - 1) * 8 + 4);
    uint64_t fde_off;
    if (vaddr_to_offset(d, fde, &fde_off) < 0 || !bounds_ok(fde_off, 16, d->image_size))
        return -1;
    const uint8_t *f = d->image + fde_off;
    uint32_t len;
    memcpy(&len, f, 4);
    if (len == 0xffffffffu || len < 12)
        return -1;
    uint64_t pc_begin = fde + 8 + (uint64_t)(int64_t)read_s32(f + 8);
    uint32_t pc_range;
    memcpy(&pc_range, f + 12, 4);
    if (pc_begin != init || vaddr >= init + pc_range)
        return -1;
    *start = init;
    *end = init + pc_range;
    return 0;
}

size_t dso_symbol_count(struct dso *d)
{
    if (!d->syms_loaded)
        load_symbols(d);
    return d->syms.n;
}

const char *dso_symbol_source(const struct dso *d)
{
    return d->sym_source ? d->sym_source : "";
}

/* A DWARF handle of E when it has debug info (a stripped file keeps an
 * empty .debug_info of type NOBITS, or none). */
static Dwarf *begin_dwarf(Elf *e)
{
    GElf_Shdr sh;
    if (!find_section(e, ".debug_info", &sh) || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
        return NULL;
    return dwarf_begin_elf(e, DWARF_C_READ, NULL);
}

/* The DWARF cache's entry for D into W, if there is a good one. */
static bool cached_dwarf(struct dso *d, struct dwarf_entry *w)
{
    char *path = d->build_id_size ? dwcache_path(d->build_id, d->build_id_size) : NULL;
    Elf *e = path ? try_debug_file(d, path, &w->map, &w->maplen) : NULL;
    free(path);
    if (e && dwcache_valid(e, d->build_id, d->build_id_size) && (w->dw = begin_dwarf(e))) {
        w->elf = e;
        return true;
    }
    if (e) {
        elf_end(e);
        unmap_file(w->map, w->maplen);
        w->map = NULL;
    }
    return false;
}

/* D's DWARF into W: its own, else its debug file's; compressed, from the
 * DWARF cache, or inflated and then written there for the next run. */
static void open_dwarf(struct dso *d, struct dwarf_entry *w)
{
    GElf_Shdr sh;
    bool own = find_section(d->elf, ".debug_info", &sh) && sh.sh_type != SHT_NOBITS;
    if (own && !dwcache_compressed(d->elf)) {
        w->dw = begin_dwarf(d->elf);
        return;
    }
    if (cached_dwarf(d, w))
        return;
    Elf *e = d->elf;
    if (!own) {
        char *where = NULL;
        e = open_debug_file(d, true, &w->map, &w->maplen, &where);
        free(where);
    }
    bool compressed = e && dwcache_compressed(e);
    if (e && (w->dw = begin_dwarf(e))) {
        if (e != d->elf)
            w->elf = e;
        char err[300];
        if (compressed && d->build_id_size && cache_enabled() &&
            dwcache_store(d->build_id, d->build_id_size, e, err, sizeof(err)) < 0 &&
            !d->cache->noted) {
            d->cache->noted = true;
            snprintf(d->cache->note, sizeof(d->cache->note),
                     "the DWARF cache was not written (%s): debug files are inflated at each "
                     "run; --no-cache says not to try", err);
        }
    } else if (e && e != d->elf) {
        elf_end(e);
        unmap_file(w->map, w->maplen);
        w->map = NULL;
    }
}

bool dso_cache_take_note(struct dso_cache *c, char *buf, size_t len)
{
    if (!c->note[0])
        return false;
    snprintf(buf, len, "%s", c->note);
    c->note[0] = '\0';
    return true;
}

Dwarf *dso_dwarf(struct dso *d)
{
    ensure(d);
    if (d->dw_tried || !usable(d) || d->is_vdso)
        return d->dw;
    d->dw_tried = true;
    /* another dso of the same build may have opened it */
    char *key;
    if (d->build_id_size) {
        char hex[41];
        for (size_t i = 0; i < d->build_id_size; i++)
            snprintf(hex + 2 * i, 3, "%02x", d->build_id[i]);
        key = xasprintf("b%s", hex);
    } else {
        key = xasprintf("p%s", d->path);
    }
    struct dwarf_entry *w;
    HASH_FIND_STR(d->cache->dwarfs, key, w);
    if (w) {
        free(key);
        return d->dw = w->dw;
    }
    w = xcalloc(1, sizeof(*w));
    w->key = key;
    setup_begin();
    open_dwarf(d, w);
    setup_end();
    HASH_ADD_KEYPTR(hh, d->cache->dwarfs, w->key, strlen(w->key), w);
    return d->dw = w->dw;
}
