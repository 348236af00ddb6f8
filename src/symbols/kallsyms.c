/*
 * kallsyms: kernel text symbols, sorted by address. /proc/kallsyms gives no
 * sizes, so a symbol runs to the next one (as in perf). When kptr_restrict
 * hides the addresses (all zero), nothing resolves and kernel frames show as
 * "[kernel]".
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/cache.h"
#include "tprof/clock.h"
#include "tprof/kallsyms.h"
#include "tprof/thread.h"
#include "tprof/xalloc.h"

struct ksym {
    uint64_t addr;
    uint32_t name;   /* offset into names */
    uint32_t module; /* a module's, or code the kernel made ([bpf]) */
};

struct kallsyms {
    VEC(struct ksym) v;
    VEC(char) names;
    bool core_only; /* from the cache: the kernel's own symbols alone */
};

/* By address; aliases (one address, several names) in the file's order,
 * which is their names' order in the table: the same name is chosen
 * whether the file needed sorting or not (a BPF program loaded puts its
 * symbols out of order), as the cache must. */
static int cmp_ksym(const void *a, const void *b)
{
    const struct ksym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->name < y->name ? -1 : x->name > y->name;
}

/* Parse "ADDR TYPE NAME [module]" by hand: the file has ~120,000 lines, and
 * with sscanf and a string per name loading took 0.11 s of CPU (now 0.06 s,
 * most of it the kernel generating the file). */
static void parse_line(struct kallsyms *k, const char *p, const char *end)
{
    uint64_t addr = 0;
    int digits = 0;
    for (; p < end && *p != ' '; p++, digits++) {
        int c = *p, v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return;
        addr = addr << 4 | (uint64_t)v;
    }
    if (!digits || addr == 0 || end - p < 4 || p[2] != ' ')
        return;
    char type = p[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W')
        return;
    const char *name = p + 3, *ne = name;
    while (ne < end && *ne != ' ' && *ne != '\t')
        ne++;
    if (ne == name)
        return;
    const char *m = ne;
    while (m < end && (*m == ' ' || *m == '\t'))
        m++;
    struct ksym s = {addr, (uint32_t)k->names.n, m < end && *m == '['};
    size_t len = (size_t)(ne - name);
    VEC_RESERVE(k->names, k->names.n + len + 1);
    memcpy(k->names.v + k->names.n, name, len);
    k->names.v[k->names.n + len] = '\0';
    k->names.n += len + 1;
    VEC_PUSH(k->v, s);
}

struct kallsyms *kallsyms_new(const char *path)
{
    struct kallsyms *k = xcalloc(1, sizeof(*k));
    FILE *f = fopen(path, "re");
    if (!f)
        return k;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0)
        parse_line(k, line, line + len - (line[len - 1] == '\n'));
    free(line);
    fclose(f);
    bool sorted = true;
    for (size_t i = 1; i < k->v.n && sorted; i++)
        sorted = k->v.v[i - 1].addr <= k->v.v[i].addr;
    if (!sorted)
        VEC_SORT(k->v, cmp_ksym);
    return k;
}

/* ----- the cache: this boot's kernel symbols -----
 * /proc/kallsyms costs 50 ms of CPU at each read (the kernel formats its
 * 120,000 lines). The kernel's own symbols do not change during a boot:
 * they are kept in tprof's cache under the boot's id, with a digest of
 * what else decides them (/proc/modules, kptr_restrict, the user). What
 * comes and goes (modules, BPF programs, ftrace trampolines) is not kept:
 * an address past the kernel's own symbols has the whole file read, once
 * (kallsyms_partial). An entry is read only if its sizes, offsets and
 * order all check. */
#define KCACHE_MAGIC "tpksym1"
#define KCACHE_MAX_SYMS (1u << 24)
#define KCACHE_MAX_NAMES (1u << 28)

struct khdr {
    char magic[8];
    uint64_t digest;
    uint64_t nsyms;
    uint64_t names_len;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t fnv_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return fnv(h, "-", 1);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    return h;
}

/* The entry's name for this boot ("kallsyms-BOOTID"), and the digest of
 * what else the symbols depend on; false when the boot has no id. */
static bool kcache_key(char name[64], uint64_t *digest)
{
    char id[40];
    if (!cache_boot_id(id, sizeof(id)))
        return false;
    snprintf(name, 64, "kallsyms-%s", id);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv_file(h, "/proc/modules");
    h = fnv_file(h, "/proc/sys/kernel/kptr_restrict");
    uid_t uid = geteuid();
    *digest = fnv(h, &uid, sizeof(uid));
    return true;
}

struct kallsyms *kallsyms_cache_read(const char *path, uint64_t digest)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    struct khdr h;
    struct kallsyms *k = NULL;
    struct stat st;
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, KCACHE_MAGIC, 8) != 0 ||
        h.digest != digest || h.nsyms == 0 || h.nsyms > KCACHE_MAX_SYMS || h.names_len == 0 ||
        h.names_len > KCACHE_MAX_NAMES || fstat(fileno(f), &st) < 0 ||
        (uint64_t)st.st_size != sizeof(h) + h.nsyms * 12 + h.names_len)
        goto out;
    k = xcalloc(1, sizeof(*k));
    k->core_only = true;
    VEC_RESERVE(k->v, h.nsyms);
    VEC_RESERVE(k->names, h.names_len);
    uint64_t *addrs = xmalloc(h.nsyms * sizeof(uint64_t));
    uint32_t *offs = xmalloc(h.nsyms * sizeof(uint32_t));
    bool ok = fread(addrs, sizeof(uint64_t), h.nsyms, f) == h.nsyms &&
              fread(offs, sizeof(uint32_t), h.nsyms, f) == h.nsyms &&
              fread(k->names.v, 1, h.names_len, f) == h.names_len &&
              k->names.v[h.names_len - 1] == '\0';
    for (uint64_t i = 0; ok && i < h.nsyms; i++) {
        ok = offs[i] < h.names_len && (i == 0 || addrs[i - 1] <= addrs[i]);
        k->v.v[i] = (struct ksym){addrs[i], offs[i], 0};
    }
    free(addrs);
    free(offs);
    if (!ok) {
        kallsyms_free(k);
        k = NULL;
        goto out;
    }
    k->v.n = h.nsyms;
    k->names.n = h.names_len;
out:
    fclose(f);
    return k;
}

static struct kallsyms *kcache_read(const char *name, uint64_t digest)
{
    char *path = cache_path(name);
    struct kallsyms *k = path ? kallsyms_cache_read(path, digest) : NULL;
    free(path);
    return k;
}

/* K's own kernel symbols (not modules') into the entry NAME; entries of
 * other boots are removed. Failing is silent: the next run reads the file. */
static void kcache_write(const struct kallsyms *k, const char *name, uint64_t digest)
{
    uint64_t n = 0, names_len = 0;
    for (size_t i = 0; i < k->v.n; i++)
        if (!k->v.v[i].module) {
            n++;
            names_len += strlen(k->names.v + k->v.v[i].name) + 1;
        }
    if (n == 0 || n > KCACHE_MAX_SYMS || names_len > KCACHE_MAX_NAMES)
        return;
    char *tmp, err[256];
    int fd = cache_create(name, &tmp, err, sizeof(err));
    if (fd < 0)
        return;
    struct khdr h = {KCACHE_MAGIC, digest, n, names_len};
    size_t size = sizeof(h) + n * 12 + names_len;
    uint8_t *buf = xmalloc(size), *a = buf + sizeof(h), *o = a + n * 8, *nm = o + n * 4;
    memcpy(buf, &h, sizeof(h));
    uint32_t off = 0;
    for (size_t i = 0, j = 0; i < k->v.n; i++) {
        if (k->v.v[i].module)
            continue;
        const char *s = k->names.v + k->v.v[i].name;
        size_t len = strlen(s) + 1;
        memcpy(a + j * 8, &k->v.v[i].addr, 8);
        memcpy(o + j * 4, &off, 4);
        memcpy(nm + off, s, len);
        off += (uint32_t)len;
        j++;
    }
    bool ok = write(fd, buf, size) == (ssize_t)size;
    free(buf);
    if (cache_commit(name, fd, tmp, ok, err, sizeof(err)) < 0)
        return;
    cache_remove_others("kallsyms-", name); /* (boots gone) */
}

struct kallsyms *kallsyms_load(const char *path)
{
    char name[64];
    uint64_t digest;
    bool keyed = strcmp(path, "/proc/kallsyms") == 0 && kcache_key(name, &digest);
    struct kallsyms *k = keyed ? kcache_read(name, digest) : NULL;
    if (k)
        return k;
    k = kallsyms_new(path);
    if (keyed)
        kcache_write(k, name, digest);
    return k;
}

bool kallsyms_partial(const struct kallsyms *k, uint64_t addr)
{
    return k->core_only && (k->v.n == 0 || addr >= k->v.v[k->v.n - 1].addr);
}

void kallsyms_free(struct kallsyms *k)
{
    if (!k)
        return;
    VEC_FREE(k->v);
    VEC_FREE(k->names);
    free(k);
}

const char *kallsyms_lookup(const struct kallsyms *k, uint64_t addr)
{
    size_t lo = 0, hi = k->v.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (k->v.v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || lo == k->v.n) /* before the first, or past the last symbol */
        return NULL;
    return k->names.v + k->v.v[lo - 1].name;
}

/* ----- in a thread of its own ----- */

/* Reading /proc/kallsyms takes 50 ms of CPU (the kernel formats each of
 * its 120,000 lines): done beside the rest of tprof's start, it costs the
 * program's start nothing. */
struct kallsyms_job {
    pthread_t thread;
    bool running;
    char *path;
    struct kallsyms *k;
    double cpu;
};

static void *job_run(void *arg)
{
    struct kallsyms_job *j = arg;
    double t0 = thread_cpu_s();
    j->k = kallsyms_load(j->path);
    j->cpu = thread_cpu_s() - t0;
    return NULL;
}

struct kallsyms_job *kallsyms_start(const char *path)
{
    struct kallsyms_job *j = xcalloc(1, sizeof(*j));
    j->path = xstrdup(path);
    j->running = thread_spawn(&j->thread, job_run, j);
    return j;
}

struct kallsyms *kallsyms_join(struct kallsyms_job *j)
{
    if (j->running)
        pthread_join(j->thread, NULL);
    else /* (no thread could be made: read here) */
        job_run(j);
    setup_add(j->cpu);
    struct kallsyms *k = j->k;
    free(j->path);
    free(j);
    return k;
}
