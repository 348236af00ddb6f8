/*
 * jitdump: the jit-PID.dump files JIT runtimes write for perf (the format is
 * tools/perf/Documentation/jitdump-specification.txt in Linux). A 40-byte
 * file header, then records of { id, total_size, timestamp } and a body:
 *
 *   JIT_CODE_LOAD (0)  pid, tid, vma, code_addr, code_size, code_index,
 *                      name (NUL-terminated), then the code bytes
 *   JIT_CODE_MOVE (1)  pid, tid, vma, old_code_addr, new_code_addr,
 *                      code_size, code_index
 *   JIT_CODE_UNWINDING_INFO (4)
 *                      unwinding_size, eh_frame_hdr_size, mapped_size, then
 *                      unwinding_size bytes: .eh_frame, then .eh_frame_hdr;
 *                      they describe the code of the next code-load record
 *
 * Other records (debug info, close) are skipped by their size.
 *
 * Unwinding info. Its addresses are relative (the hdr's to itself, the FDEs'
 * to themselves), written for the code with the .eh_frame some way after
 * it: right after it for perf inject's genelf, after the code rounded up to
 * 8 for CPython 3.13. So where the bytes stand is found from the hdr's
 * first table entry, the function's start: the hdr stands where that entry
 * names the code's address. An hdr tprof does not read (another encoding
 * than the 1, 0x1b, 0x03, 0x3b every writer uses), or one that places the
 * .eh_frame over the code or far past it, leaves that code without CFI.
 *
 * The file grows while the program runs, so it is read on from where the
 * last read stopped when a lookup misses (at most every JIT_REREAD_NS, and
 * whenever jitdump_refresh asks); a record not yet wholly
 * written waits for the next read. Only a record's fixed part, name and
 * unwinding info are read, never its code. Everything in the file is the target's: sizes are
 * checked against the file and against JITDUMP_MAX_RECORD, and a record that
 * makes no sense stops the reading with an error, names kept so far stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/clock.h"
#include "tprof/fileutil.h"
#include "tprof/jitdump.h"
#include "tprof/jittab.h"
#include "tprof/xalloc.h"

#define JITDUMP_MAGIC 0x4A695444u
#define HEADER_MIN 40
#define RECORD_HEADER 16
#define LOAD_FIXED 40 /* pid, tid, vma, code_addr, code_size, code_index */
#define MOVE_FIXED 48
#define UNWIND_FIXED 24 /* unwinding_size, eh_frame_hdr_size, mapped_size */
#define EH_HDR_MIN 12   /* version, 3 encodings, eh_frame_ptr, fde_count */
#define EH_GAP_MAX 4096 /* from the code's end to its .eh_frame */

enum { JIT_CODE_LOAD = 0, JIT_CODE_MOVE = 1, JIT_CODE_UNWINDING_INFO = 4 };

struct jitdump {
    char *path;
    struct jit_trust trust;
    bool refused; /* untrusted or malformed: read no more */
    bool have_header;
    uint64_t off; /* where the next record starts */
    off_t seen_size;
    uint64_t read_at; /* when a miss last read on (now_ns) */
    struct jittab tab;
    struct jit_unwind *next_unwind; /* for the next code load */
    char error[PATH_MAX + 128];
};

/* Where bytes come from: the file (pread) or a buffer (tests, fuzzing). */
struct source {
    int fd;
    const uint8_t *buf;
    uint64_t size;
};

static bool read_at(const struct source *src, uint64_t off, void *out, size_t n)
{
    if (off > src->size || n > src->size - off)
        return false;
    if (src->buf) {
        memcpy(out, src->buf + off, n);
        return true;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(src->fd, (char *)out + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        done += (size_t)r;
    }
    return true;
}

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int32_t s32_at(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The unwinding info in DATA[0..SIZE) (taken), its hdr at HOFF; NULL when
 * its hdr is not one tprof reads. */
static struct jit_unwind *unwind_new(uint8_t *data, size_t size, size_t hoff)
{
    const uint8_t *h = data + hoff;
    uint32_t count = size - hoff >= EH_HDR_MIN ? u32_at(h + 8) : 0;
    /* (the eh_frame_ptr, pcrel from its own field, must name the
     * .eh_frame before the hdr) */
    if (size - hoff < EH_HDR_MIN || h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b ||
        (int64_t)s32_at(h + 4) != -(int64_t)hoff - 4 || count == 0 ||
        (uint64_t)count > (size - hoff - EH_HDR_MIN) / 8) {
        free(data);
        return NULL;
    }
    struct jit_unwind *uw = xcalloc(1, sizeof(*uw));
    uw->data = data;
    uw->size = size;
    uw->hdr_off = hoff;
    uw->fde_count = count;
    return uw;
}

/* Place UW for the code at [ADDR, ADDR+SIZE): the hdr's first entry, the
 * lowest function start, must be ADDR. false when that puts the .eh_frame
 * over the code or more than EH_GAP_MAX past its end. */
static bool unwind_place(struct jit_unwind *uw, uint64_t addr, uint64_t size)
{
    int64_t dist = -(int64_t)s32_at(uw->data + uw->hdr_off + EH_HDR_MIN); /* code -> hdr */
    uint64_t eh_frame, end;
    if (dist < 0 || (uint64_t)dist < uw->hdr_off || (uint64_t)dist - uw->hdr_off < size ||
        (uint64_t)dist - uw->hdr_off - size > EH_GAP_MAX ||
        __builtin_add_overflow(addr, (uint64_t)dist - uw->hdr_off, &eh_frame) ||
        __builtin_add_overflow(eh_frame, uw->size, &end))
        return false;
    uw->at = eh_frame;
    return true;
}

static struct jit_unwind *unwind_copy(const struct jit_unwind *uw, uint64_t from, uint64_t to)
{
    uint64_t at = uw->at - from + to, end; /* (modular: the distance is kept) */
    if (__builtin_add_overflow(at, uw->size, &end))
        return NULL;
    struct jit_unwind *c = xmalloc(sizeof(*c));
    *c = *uw;
    c->data = xmalloc(uw->size);
    memcpy(c->data, uw->data, uw->size);
    c->at = at;
    return c;
}

static void stop(struct jitdump *jd, const char *why, uint64_t off)
{
    snprintf(jd->error, sizeof(jd->error), "stopped reading %s at byte %llu: %s", jd->path,
             (unsigned long long)off, why);
    jd->refused = true;
}

/* Read the records from jd->off to the end of SRC; the count read. */
static size_t parse(struct jitdump *jd, const struct source *src)
{
    size_t n = 0;
    if (!jd->have_header) {
        uint8_t h[HEADER_MIN];
        if (!read_at(src, 0, h, sizeof(h)))
            return 0; /* not written yet */
        if (u32_at(h) != JITDUMP_MAGIC) {
            stop(jd,
                 u32_at(h) == __builtin_bswap32(JITDUMP_MAGIC) ? "written in the other byte order"
                                                               : "not a jitdump file",
                 0);
            return 0;
        }
        uint32_t hsize = u32_at(h + 8);
        if (hsize < HEADER_MIN || hsize > JITDUMP_MAX_RECORD) {
            stop(jd, "bad header size", 8);
            return 0;
        }
        jd->off = hsize;
        jd->have_header = true;
    }
    /* (a name is read with its record's fixed part, in one buffer) */
    static const size_t cap = MOVE_FIXED + PERFMAP_MAX_NAME + 1;
    uint8_t *body = xmalloc(cap);
    while (!jd->refused) {
        uint8_t rh[RECORD_HEADER];
        if (!read_at(src, jd->off, rh, sizeof(rh)))
            break;
        uint32_t id = u32_at(rh), total = u32_at(rh + 4);
        if (total < RECORD_HEADER || total > JITDUMP_MAX_RECORD) {
            stop(jd, "bad record size", jd->off);
            break;
        }
        if (jd->off + total > src->size)
            break; /* still being written */
        size_t blen = total - RECORD_HEADER;
        if (id == JIT_CODE_LOAD) {
            size_t want = blen < cap ? blen : cap;
            if (want < LOAD_FIXED + 1 || !read_at(src, jd->off + RECORD_HEADER, body, want)) {
                stop(jd, "short code-load record", jd->off);
                break;
            }
            uint64_t addr = u64_at(body + 16), size = u64_at(body + 24);
            const char *name = (const char *)body + LOAD_FIXED;
            size_t maxlen = want - LOAD_FIXED;
            size_t len = strnlen(name, maxlen);
            if (len == maxlen && want == blen) {
                stop(jd, "code-load name not terminated", jd->off);
                break;
            }
            /* The code follows the name: the record must hold both. */
            if (size == 0 || addr + size < addr ||
                (len < maxlen && size > blen - LOAD_FIXED - len - 1)) {
                stop(jd, "bad code-load record", jd->off);
                break;
            }
            struct jit_unwind *uw = jd->next_unwind;
            jd->next_unwind = NULL;
            if (uw && !unwind_place(uw, addr, size)) {
                jit_unwind_free(uw);
                uw = NULL;
            }
            jittab_add(&jd->tab, addr, size, name, len < PERFMAP_MAX_NAME ? len : PERFMAP_MAX_NAME,
                       uw);
        } else if (id == JIT_CODE_MOVE) {
            if (blen < MOVE_FIXED || !read_at(src, jd->off + RECORD_HEADER, body, MOVE_FIXED)) {
                stop(jd, "short code-move record", jd->off);
                break;
            }
            uint64_t from = u64_at(body + 16), to = u64_at(body + 24), size = u64_at(body + 32);
            const struct jit_entry *e = jittab_find(&jd->tab, from);
            if (size > 0 && to + size >= to && e && e->start == from) {
                char *name = xstrdup(e->name);
                struct jit_unwind *uw = e->unwind ? unwind_copy(e->unwind, from, to) : NULL;
                jittab_add(&jd->tab, to, size, name, strlen(name), uw);
                free(name);
            }
        } else if (id == JIT_CODE_UNWINDING_INFO) {
            uint8_t fx[UNWIND_FIXED];
            if (blen < UNWIND_FIXED || !read_at(src, jd->off + RECORD_HEADER, fx, sizeof(fx))) {
                stop(jd, "short unwinding-info record", jd->off);
                break;
            }
            uint64_t usize = u64_at(fx), hsize = u64_at(fx + 8);
            if (usize > blen - UNWIND_FIXED || hsize > usize) {
                stop(jd, "bad unwinding-info record", jd->off);
                break;
            }
            jit_unwind_free(jd->next_unwind);
            jd->next_unwind = NULL;
            /* (only an hdr, as node writes for code without CFI: none) */
            if (usize > hsize) {
                uint8_t *data = xmalloc(usize);
                if (!read_at(src, jd->off + RECORD_HEADER + UNWIND_FIXED, data, usize)) {
                    free(data);
                    stop(jd, "short unwinding-info record", jd->off);
                    break;
                }
                jd->next_unwind = unwind_new(data, usize, usize - hsize);
            }
        }
        jd->off += total;
        n++;
    }
    free(body);
    return n;
}

static void load(struct jitdump *jd)
{
    if (jd->refused)
        return;
    struct stat st;
    int fd = jit_file_open(jd->path, jd->seen_size, &jd->trust, &st, jd->error,
                           sizeof(jd->error));
    if (fd == -2)
        jd->refused = true;
    if (fd < 0)
        return;
    jd->seen_size = st.st_size;
    struct source src = {fd, NULL, (uint64_t)st.st_size};
    parse(jd, &src);
    close(fd);
}

struct jitdump *jitdump_new(const char *path, const struct jit_trust *trust)
{
    struct jitdump *jd = xcalloc(1, sizeof(*jd));
    jd->path = xstrdup(path);
    jd->trust = trust ? *trust : (struct jit_trust){(uid_t)-1, false};
    jd->seen_size = -1;
    load(jd);
    return jd;
}

void jitdump_free(struct jitdump *jd)
{
    if (!jd)
        return;
    jittab_free(&jd->tab);
    jit_unwind_free(jd->next_unwind);
    free(jd->path);
    free(jd);
}

const char *jitdump_path(const struct jitdump *jd)
{
    return jd->path;
}

size_t jitdump_parse(struct jitdump *jd, const uint8_t *buf, size_t len)
{
    struct source src = {-1, buf, len};
    return parse(jd, &src);
}

void jitdump_refresh(struct jitdump *jd)
{
    load(jd);
}

const char *jitdump_lookup(struct jitdump *jd, uint64_t addr, uint64_t *start, uint64_t *size)
{
    return jittab_answer(jittab_find(&jd->tab, addr), start, size);
}

/* The entry covering ADDR, reading on when none does yet. */
static const struct jit_entry *find_or_read(struct jitdump *jd, uint64_t addr)
{
    const struct jit_entry *e = jittab_find(&jd->tab, addr);
    if (!e && now_ns() - jd->read_at >= JIT_REREAD_NS) {
        jd->read_at = now_ns();
        load(jd);
        e = jittab_find(&jd->tab, addr);
    }
    return e;
}

const char *jitdump_find(struct jitdump *jd, uint64_t addr, uint64_t *start, uint64_t *size)
{
    return jittab_answer(find_or_read(jd, addr), start, size);
}

const struct jit_unwind *jitdump_unwind(struct jitdump *jd, uint64_t addr, uint64_t *start,
                                        uint64_t *size)
{
    const struct jit_entry *e = find_or_read(jd, addr);
    if (!e || !e->unwind)
        return NULL;
    *start = e->start;
    *size = e->end - e->start;
    return e->unwind;
}

const char *jitdump_error(const struct jitdump *jd)
{
    return jd->error;
}
