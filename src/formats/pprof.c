/*
 * pprof: profile.proto (github.com/google/pprof), gzip-compressed on disk,
 * through protobuf-c (the message code is generated at build time from
 * the .proto Debian ships) and zlib.
 *
 * Written: one sample per stack of the tree (a node with self weight),
 * locations leaf first; a location and a function per frame, the function
 * named as the frame, its system_name as folded output names it (a
 * _[k]/_[j]/_[i] suffix: kinds come back when read); a mapping per module, so
 * modules come back too. Samples are samples/count, or cpu/nanoseconds for
 * a profile in seconds (pstats). A stack's root (a recording's process or
 * thread, "comm-PID/TID") is not a location but the sample's labels, as
 * pprof means them: comm (a string), pid and tid (numbers).
 *
 * Read: the sample type asked for (--sample-type), else the file's
 * default, else the last, as go tool pprof does; each location expanded
 * into its lines, inlined functions first in the file and so last here
 * (callers first), each line but the last a frame of kind inlined; a
 * location with no line named after its mapping; time units as seconds.
 * Every id is looked up, every string index checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "tprof/export.h"
#include "tprof/filter.h"
#include "tprof/folded.h"
#include "tprof/xalloc.h"

typedef Perftools__Profiles__Profile PProfile;
typedef Perftools__Profiles__Sample PSample;
typedef Perftools__Profiles__Location PLocation;
typedef Perftools__Profiles__Function PFunction;
typedef Perftools__Profiles__Mapping PMapping;
typedef Perftools__Profiles__Line PLine;
typedef Perftools__Profiles__ValueType PValueType;
typedef Perftools__Profiles__Label PLabel;

/* The reader's work bounds, each proportional to its input (a 522-byte
 * file once asked for 8 GiB: one location of 100k lines named 20,000
 * times by one sample):
 *   - inflated size: 64 times the compressed file, 64 MiB allowed to any
 *     file, 1 GiB at most (tprof's and Go's files inflate 3-8 times);
 *   - lines (inlined functions) of one location: MAX_LINES;
 *   - frames of one sample: MAX_DEPTH;
 *   - frames of all samples together: FRAMES_PER_BYTE per byte of the
 *     message, and 16M to any file.
 * Past one, the file is refused with one line that says which. */
#define MAX_INFLATED ((size_t)1 << 30)
#define MIN_INFLATED ((size_t)64 << 20)
#define INFLATE_RATIO 64
#define MAX_LINES 1024
#define MAX_DEPTH 65536
#define FRAMES_PER_BYTE 64
#define MIN_FRAMES ((size_t)16 << 20)
/*   - before protobuf-c unpacks it (a struct and a pointer per message,
 *     eight bytes per packed id: 500M empty samples asked for 5.2 GB):
 *     MAX_MESSAGES samples, locations, functions, mappings and strings
 *     together, MAX_IDS location ids in all samples */
#define MAX_MESSAGES ((size_t)4 << 20)
#define MAX_IDS ((size_t)32 << 20)

/* ----- writing ----- */

struct str_entry {
    UT_hash_handle hh;
    int64_t index;
    char s[];
};

struct strings {
    struct str_entry *map;
    VEC(char *) v;
};

static int64_t intern(struct strings *st, const char *s)
{
    struct str_entry *e;
    size_t n = strlen(s);
    HASH_FIND(hh, st->map, s, n, e);
    if (e)
        return e->index;
    e = xmalloc(sizeof(*e) + n + 1);
    memcpy(e->s, s, n + 1);
    e->index = (int64_t)st->v.n;
    HASH_ADD(hh, st->map, s[0], n, e);
    VEC_PUSH(st->v, e->s);
    return e->index;
}

static void strings_free(struct strings *st)
{
    struct str_entry *e, *tmp;
    HASH_ITER(hh, st->map, e, tmp)
    {
        HASH_DEL(st->map, e);
        free(e);
    }
    VEC_FREE(st->v);
}

/* Gzip LEN bytes of BUF to OUT: 0, or -1 on a write error. */
static int gzip_to(const uint8_t *buf, size_t len, FILE *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t chunk[1 << 16];
    z.next_in = (uint8_t *)buf;
    int rc = Z_OK;
    size_t left = len;
    do {
        /* avail_in is 32 bits: feed at most 1 GiB at a time */
        if (z.avail_in == 0 && left) {
            uInt take = left > (1u << 30) ? 1u << 30 : (uInt)left;
            z.avail_in = take;
            left -= take;
        }
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        rc = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
        size_t have = sizeof(chunk) - z.avail_out;
        if (have && fwrite(chunk, 1, have, out) != have) {
            deflateEnd(&z);
            return -1;
        }
    } while (rc != Z_STREAM_END && rc != Z_STREAM_ERROR);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* A root frame's labels: comm's string index, pid and tid (-1: none). */
struct root_labels {
    int64_t comm;
    int64_t pid, tid;
};

struct samples {
    VEC(PSample *) v;
    bool secs;
    const struct root_labels *roots; /* per frame; comm 0: not a root */
    int64_t k_comm, k_pid, k_tid;    /* the label keys' strings */
};

static PLabel *new_label(int64_t key, int64_t str, int64_t num)
{
    PLabel *l = xmalloc(sizeof(*l));
    perftools__profiles__label__init(l);
    l->key = key;
    l->str = str;
    l->num = num;
    return l;
}

/* A stack as a sample: its locations leaf first (a frame's is its id + 1),
 * its root as labels. */
static void add_sample(void *arg, const uint32_t *frames, size_t n, double self)
{
    struct samples *ss = arg;
    double v = ss->secs ? self * 1e9 : self;
    if (v < 0.5)
        return;
    PSample *s = xmalloc(sizeof(*s));
    perftools__profiles__sample__init(s);
    const struct root_labels *rl = n > 1 && ss->roots[frames[0]].comm ? &ss->roots[frames[0]]
                                                                      : NULL;
    if (rl) {
        frames++;
        n--;
        s->label = xcalloc(3, sizeof(PLabel *));
        s->label[s->n_label++] = new_label(ss->k_comm, rl->comm, 0);
        if (rl->pid >= 0)
            s->label[s->n_label++] = new_label(ss->k_pid, 0, rl->pid);
        if (rl->tid >= 0)
            s->label[s->n_label++] = new_label(ss->k_tid, 0, rl->tid);
    }
    s->n_location_id = n;
    s->location_id = xmalloc(n * sizeof(uint64_t));
    for (size_t i = 0; i < n; i++)
        s->location_id[i] = (uint64_t)frames[n - 1 - i] + 1;
    s->n_value = 1;
    s->value = xmalloc(sizeof(int64_t));
    s->value[0] = v < 9.2e18 ? (int64_t)(v + 0.5) : INT64_MAX;
    VEC_PUSH(ss->v, s);
}

long pprof_write(const struct profile *p, FILE *out)
{
    const struct frames *fr = profile_frames_const(p);
    bool secs = profile_unit(p) == PROFILE_SECONDS;
    struct strings st = {0};
    intern(&st, "");
    PProfile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
    PValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
    vt.type = intern(&st, secs ? "cpu" : "samples");
    vt.unit = intern(&st, secs ? "nanoseconds" : "count");
    PValueType *vts[1] = {&vt};
    prof.n_sample_type = 1;
    prof.sample_type = vts;

    /* a mapping per module, a function and a location per frame */
    size_t nf = frames_count(fr);
    PFunction *funcs = xcalloc(nf + 1, sizeof(*funcs));
    PLocation *locs = xcalloc(nf + 1, sizeof(*locs));
    PLine *lines = xcalloc(nf + 1, sizeof(*lines));
    PLine **linep = xcalloc(nf + 1, sizeof(*linep));
    PFunction **funcp = xcalloc(nf + 1, sizeof(*funcp));
    PLocation **locp = xcalloc(nf + 1, sizeof(*locp));
    VEC(PMapping *) maps = {0};
    VEC(int64_t) map_names = {0}; /* string index of each mapping's file */
    /* roots: a recording's processes and threads, as labels */
    struct root_labels *roots = xcalloc(nf + 1, sizeof(*roots));
    for (size_t i = 0; i < nf; i++) {
        const struct frame *f = frames_get(fr, (uint32_t)i);
        if (f->kind != FRAME_ROOT)
            continue;
        char comm[256], proc[256];
        roots[i].pid = roots[i].tid = -1;
        if (filter_root_name(f->name, ROOTS_MERGED, comm, sizeof(comm))) {
            roots[i].comm = intern(&st, comm);
            bool thread = filter_root_name(f->name, ROOTS_PROCESS, proc, sizeof(proc));
            const char *pn = thread ? proc : f->name;
            roots[i].pid = strtoll(pn + strlen(comm) + 1, NULL, 10);
            if (thread)
                roots[i].tid = strtoll(f->name + strlen(proc) + 1, NULL, 10);
        } else {
            roots[i].comm = intern(&st, f->name);
        }
    }
    /* (a root's function and location are written too: a transform such
     * as invert can put a root anywhere in a stack, and only a stack's
     * first frame becomes labels) */
    for (size_t i = 0; i < nf; i++) {
        const struct frame *f = frames_get(fr, (uint32_t)i);
        perftools__profiles__function__init(&funcs[i]);
        funcs[i].id = i + 1;
        funcs[i].name = intern(&st, f->name);
        char *sys = xasprintf("%s%s", f->name, frames_kind_suffix(f->kind));
        funcs[i].system_name = intern(&st, sys);
        free(sys);
        perftools__profiles__line__init(&lines[i]);
        lines[i].function_id = i + 1;
        linep[i] = &lines[i];
        perftools__profiles__location__init(&locs[i]);
        locs[i].id = i + 1;
        locs[i].n_line = 1;
        locs[i].line = &linep[i];
        if (*f->module) {
            int64_t name = intern(&st, f->module);
            size_t m = 0;
            while (m < maps.n && map_names.v[m] != name)
                m++;
            if (m == maps.n) {
                PMapping *mp = xmalloc(sizeof(*mp));
                perftools__profiles__mapping__init(mp);
                mp->id = m + 1;
                mp->filename = name;
                mp->has_functions = 1;
                VEC_PUSH(maps, mp);
                VEC_PUSH(map_names, name);
            }
            locs[i].mapping_id = m + 1;
        }
        funcp[i] = &funcs[i];
        locp[i] = &locs[i];
    }
    prof.n_function = nf;
    prof.function = funcp;
    prof.n_location = nf;
    prof.location = locp;
    prof.n_mapping = maps.n;
    prof.mapping = maps.v;

    struct samples samples = {.secs = secs,
                              .roots = roots,
                              .k_comm = intern(&st, "comm"),
                              .k_pid = intern(&st, "pid"),
                              .k_tid = intern(&st, "tid")};
    profile_each_stack(p, add_sample, &samples);
    prof.n_sample = samples.v.n;
    prof.sample = samples.v.v;
    prof.n_string_table = st.v.n;
    prof.string_table = st.v.v;

    size_t len = perftools__profiles__profile__get_packed_size(&prof);
    uint8_t *buf = xmalloc(len ? len : 1);
    perftools__profiles__profile__pack(&prof, buf);
    int rc = gzip_to(buf, len, out);
    long count = (long)samples.v.n;

    free(buf);
    free(roots);
    for (size_t i = 0; i < samples.v.n; i++) {
        for (size_t k = 0; k < samples.v.v[i]->n_label; k++)
            free(samples.v.v[i]->label[k]);
        free(samples.v.v[i]->label);
        free(samples.v.v[i]->location_id);
        free(samples.v.v[i]->value);
        free(samples.v.v[i]);
    }
    VEC_FREE(samples.v);
    for (size_t i = 0; i < maps.n; i++)
        free(maps.v[i]);
    VEC_FREE(maps);
    VEC_FREE(map_names);
    free(funcs);
    free(locs);
    free(lines);
    free(linep);
    free(funcp);
    free(locp);
    strings_free(&st);
    return rc < 0 || ferror(out) ? -1 : count;
}

/* ----- reading ----- */

bool pprof_detect(const void *head, size_t n)
{
    const unsigned char *p = head;
    /* gzip, or a raw message starting with its first sample type (field
     * 1, length-delimited) or a sample (field 2), and holding a NUL byte
     * (string_table[0] is "": 0x32 0x00), which text never does */
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return true;
    return n >= 2 && (p[0] == 0x0a || p[0] == 0x12) && memchr(p, '\0', n);
}

/* BUF inflated when it is gzip (into *OWNED), else BUF itself. */
static const uint8_t *inflate_all(const uint8_t *buf, size_t len, size_t *out_len,
                                  uint8_t **owned, char *err, size_t errlen)
{
    *owned = NULL;
    if (len < 2 || buf[0] != 0x1f || buf[1] != 0x8b) {
        *out_len = len;
        return buf;
    }
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        snprintf(err, errlen, "zlib cannot start");
        return NULL;
    }
    size_t limit = len > MAX_INFLATED / INFLATE_RATIO ? MAX_INFLATED : len * INFLATE_RATIO;
    if (limit < MIN_INFLATED)
        limit = MIN_INFLATED;
    size_t cap = len * 4 + 4096, have = 0;
    if (cap > limit)
        cap = limit;
    uint8_t *o = xmalloc(cap);
    z.next_in = (uint8_t *)buf;
    z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
    int rc;
    for (;;) {
        if (have == cap) {
            if (cap >= limit) {
                snprintf(err, errlen, "it inflates to more than %zu MiB (%d times its size, "
                         "%zu MiB for any file, at most)", limit >> 20, INFLATE_RATIO,
                         MIN_INFLATED >> 20);
                inflateEnd(&z);
                free(o);
                return NULL;
            }
            cap = cap * 2 > limit ? limit : cap * 2;
            o = xrealloc(o, cap);
        }
        z.next_out = o + have;
        z.avail_out = (uInt)(cap - have > UINT32_MAX ? UINT32_MAX : cap - have);
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        have += before - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) {
            snprintf(err, errlen, "its gzip data is damaged (%s)", z.msg ? z.msg : "truncated");
            inflateEnd(&z);
            free(o);
            return NULL;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            snprintf(err, errlen, "its gzip data ends early");
            inflateEnd(&z);
            free(o);
            return NULL;
        }
    }
    inflateEnd(&z);
    *owned = o;
    *out_len = have;
    return o;
}

struct id_entry {
    UT_hash_handle hh;
    uint64_t id;
    size_t index;
};

static bool index_ids(struct id_entry **map, struct id_entry *pool, size_t n, uint64_t (*id)(
                          const void *, size_t),
                      const void *arr, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        struct id_entry *e = &pool[i], *dup;
        e->id = id(arr, i);
        e->index = i;
        HASH_FIND(hh, *map, &e->id, sizeof(e->id), dup);
        if (e->id == 0 || dup) {
            snprintf(err, errlen, "%s id %llu is %s", what, (unsigned long long)e->id,
                     e->id == 0 ? "zero" : "not unique");
            return false;
        }
        HASH_ADD(hh, *map, id, sizeof(e->id), e);
    }
    return true;
}

static uint64_t loc_id(const void *a, size_t i)
{
    return ((PLocation *const *)a)[i]->id;
}

static uint64_t fn_id(const void *a, size_t i)
{
    return ((PFunction *const *)a)[i]->id;
}

static uint64_t map_id(const void *a, size_t i)
{
    return ((PMapping *const *)a)[i]->id;
}

static const char *S(const PProfile *pr, int64_t i)
{
    return i >= 0 && (uint64_t)i < pr->n_string_table ? pr->string_table[i] : NULL;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* A varint at B[*AT..N) into *V; false when cut or too long. */
static bool varint(const uint8_t *b, size_t n, size_t *at, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *at < n; shift += 7) {
        uint8_t c = b[(*at)++];
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return true;
    }
    return false;
}

/* The location ids of the sample message B[0..N) (field 1, packed or not). */
static size_t sample_ids(const uint8_t *b, size_t n)
{
    size_t at = 0, ids = 0;
    uint64_t key, v;
    while (at < n && varint(b, n, &at, &key)) {
        unsigned wt = key & 7;
        if (wt == 0) {
            ids += key >> 3 == 1;
            if (!varint(b, n, &at, &v))
                break;
        } else if (wt == 2) {
            if (!varint(b, n, &at, &v) || v > n - at)
                break;
            if (key >> 3 == 1) /* packed: one id per byte with its high bit clear */
                for (size_t i = 0; i < v; i++)
                    ids += !(b[at + i] & 0x80);
            at += v;
        } else if ((wt == 1 || wt == 5) && (wt == 1 ? 8u : 4u) <= n - at) {
            at += wt == 1 ? 8 : 4;
        } else {
            break;
        }
    }
    return ids;
}

/* The message B[0..N) within the bounds above, before it is unpacked;
 * false with ERR when not. (A malformed message is left to the unpacker
 * to refuse.) */
static bool within_bounds(const uint8_t *b, size_t n, char *err, size_t errlen)
{
    size_t at = 0, messages = 0, ids = 0;
    uint64_t key, v;
    while (at < n && varint(b, n, &at, &key)) {
        unsigned wt = key & 7, field = (unsigned)(key >> 3);
        if (wt == 0) {
            if (!varint(b, n, &at, &v))
                return true;
        } else if (wt == 2) {
            if (!varint(b, n, &at, &v) || v > n - at)
                return true;
            if (field >= 2 && field <= 6) /* sample, mapping, location, function, string */
                messages++;
            if (field == 2)
                ids += sample_ids(b + at, v);
            at += v;
        } else if ((wt == 1 || wt == 5) && (wt == 1 ? 8u : 4u) <= n - at) {
            at += wt == 1 ? 8 : 4;
        } else {
            return true;
        }
        if (messages > MAX_MESSAGES || ids > MAX_IDS) {
            snprintf(err, errlen, "it holds more than %zu samples, locations, functions and "
                     "strings, or %zu location ids, in all: more than tprof reads",
                     MAX_MESSAGES, MAX_IDS);
            return false;
        }
    }
    return true;
}

struct profile *pprof_read(const void *data, size_t len, const char *sample_type, char *note,
                           size_t cap, char *err, size_t errlen)
{
    note[0] = '\0';
    uint8_t *owned;
    size_t n;
    const uint8_t *buf = inflate_all(data, len, &n, &owned, err, errlen);
    if (!buf)
        return NULL;
    if (!within_bounds(buf, n, err, errlen)) {
        free(owned);
        return NULL;
    }
    PProfile *pr = perftools__profiles__profile__unpack(NULL, n, buf);
    free(owned);
    if (!pr) {
        snprintf(err, errlen, "not a profile.proto message");
        return NULL;
    }
    struct profile *p = NULL;
    struct id_entry *locs = NULL, *fns = NULL, *maps = NULL;
    struct id_entry *lpool = xcalloc(pr->n_location + 1, sizeof(*lpool));
    struct id_entry *fpool = xcalloc(pr->n_function + 1, sizeof(*fpool));
    struct id_entry *mpool = xcalloc(pr->n_mapping + 1, sizeof(*mpool));
    uint32_t **loc_frames = NULL;
    size_t *loc_nframes = NULL;
    VEC(uint32_t) stack = {0};
    if (pr->n_string_table == 0 || pr->string_table[0][0] != '\0') {
        snprintf(err, errlen, "its string table does not start with \"\"");
        goto out;
    }
    if (pr->n_sample_type == 0) {
        snprintf(err, errlen, "it has no sample types");
        goto out;
    }
    /* the value to read */
    size_t vi = pr->n_sample_type - 1;
    const char *want = sample_type ? sample_type : S(pr, pr->default_sample_type);
    if (want && *want) {
        size_t k = 0;
        while (k < pr->n_sample_type && !(S(pr, pr->sample_type[k]->type) &&
                                          strcmp(S(pr, pr->sample_type[k]->type), want) == 0))
            k++;
        if (k == pr->n_sample_type && sample_type) {
            char types[300] = "";
            size_t w = 0;
            for (size_t j = 0; j < pr->n_sample_type && w < sizeof(types); j++) {
                const char *t = S(pr, pr->sample_type[j]->type);
                int r = snprintf(types + w, sizeof(types) - w, "%s%s", j ? ", " : "",
                                 t ? t : "?");
                w += r > 0 ? (size_t)r : 0;
            }
            snprintf(err, errlen, "--sample-type %s: the file's types are %s", sample_type,
                     types);
            goto out;
        }
        if (k < pr->n_sample_type)
            vi = k;
    }
    const char *vtype = S(pr, pr->sample_type[vi]->type), *vunit = S(pr, pr->sample_type[vi]->unit);
    if (!vtype || !vunit) {
        snprintf(err, errlen, "sample type %zu names a string past the table", vi + 1);
        goto out;
    }
    double scale = 1;
    bool secs = true;
    if (strcmp(vunit, "nanoseconds") == 0)
        scale = 1e-9;
    else if (strcmp(vunit, "microseconds") == 0)
        scale = 1e-6;
    else if (strcmp(vunit, "milliseconds") == 0)
        scale = 1e-3;
    else if (strcmp(vunit, "seconds") != 0)
        secs = false;

    if (!index_ids(&locs, lpool, pr->n_location, loc_id, pr->location, "location", err, errlen) ||
        !index_ids(&fns, fpool, pr->n_function, fn_id, pr->function, "function", err, errlen) ||
        !index_ids(&maps, mpool, pr->n_mapping, map_id, pr->mapping, "mapping", err, errlen))
        goto out;

    p = profile_new();
    profile_set_unit(p, secs ? PROFILE_SECONDS : PROFILE_SAMPLES);
    struct frames *fr = profile_frames(p);
    /* each location's frames, callers first */
    loc_frames = xcalloc(pr->n_location + 1, sizeof(*loc_frames));
    loc_nframes = xcalloc(pr->n_location + 1, sizeof(*loc_nframes));
    for (size_t i = 0; i < pr->n_location; i++) {
        const PLocation *l = pr->location[i];
        const char *module = "";
        if (l->mapping_id) {
            struct id_entry *e;
            HASH_FIND(hh, maps, &l->mapping_id, sizeof(l->mapping_id), e);
            const char *f = e ? S(pr, pr->mapping[e->index]->filename) : NULL;
            if (!e || !f) {
                snprintf(err, errlen, "location %llu names mapping %llu, which is not in the file",
                         (unsigned long long)l->id, (unsigned long long)l->mapping_id);
                goto fail;
            }
            module = base(f);
        }
        if (l->n_line > MAX_LINES) {
            snprintf(err, errlen, "location %llu has %zu lines (inlined functions), more than %d",
                     (unsigned long long)l->id, l->n_line, MAX_LINES);
            goto fail;
        }
        loc_frames[i] = xcalloc(l->n_line + 1, sizeof(uint32_t));
        if (l->n_line == 0) { /* not symbolised: the mapping's name, or the address */
            char *name = *module ? xasprintf("[%s]", module)
                                 : xasprintf("0x%llx", (unsigned long long)l->address);
            loc_frames[i][0] = folded_intern_frame(fr, name, strlen(name), module);
            loc_nframes[i] = 1;
            free(name);
            continue;
        }
        for (size_t k = 0; k < l->n_line; k++) {
            struct id_entry *e;
            uint64_t fid = l->line[k]->function_id;
            HASH_FIND(hh, fns, &fid, sizeof(fid), e);
            if (!e) {
                snprintf(err, errlen, "location %llu names function %llu, which is not in the file",
                         (unsigned long long)l->id, (unsigned long long)fid);
                goto fail;
            }
            const PFunction *f = pr->function[e->index];
            const char *sys = S(pr, f->system_name), *name = S(pr, f->name);
            if (!sys || !name) {
                snprintf(err, errlen, "function %llu names a string past the table",
                         (unsigned long long)fid);
                goto fail;
            }
            /* tprof's own files keep the kind in system_name's suffix */
            size_t nl = strlen(name), sl = strlen(sys);
            bool kind = sl == nl + 4 && strncmp(sys, name, nl) == 0 &&
                        (strcmp(sys + nl, "_[k]") == 0 || strcmp(sys + nl, "_[j]") == 0 ||
                         strcmp(sys + nl, "_[i]") == 0);
            const char *use = kind ? sys : *name ? name : sys;
            uint32_t id;
            if (k + 1 < l->n_line && !kind) /* a line before the last: inlined there */
                id = frames_intern(fr, *use ? use : "[unknown]", *use ? strlen(use) : 9,
                                   FRAME_INLINE, module);
            else
                id = folded_intern_frame(fr, *use ? use : "[unknown]", *use ? strlen(use) : 9,
                                         module);
            loc_frames[i][l->n_line - 1 - k] = id;
        }
        loc_nframes[i] = l->n_line;
    }
    uint64_t skipped = 0;
    size_t budget = n > MIN_FRAMES / FRAMES_PER_BYTE ? n * FRAMES_PER_BYTE : MIN_FRAMES;
    for (size_t i = 0; i < pr->n_sample; i++) {
        const PSample *s = pr->sample[i];
        if (s->n_value != pr->n_sample_type) {
            snprintf(err, errlen, "sample %zu has %zu values for %zu sample types", i + 1,
                     s->n_value, pr->n_sample_type);
            goto fail;
        }
        stack.n = 0;
        for (size_t k = s->n_location_id; k-- > 0;) {
            struct id_entry *e;
            uint64_t id = s->location_id[k];
            HASH_FIND(hh, locs, &id, sizeof(id), e);
            if (!e) {
                snprintf(err, errlen, "sample %zu names location %llu, which is not in the file",
                         i + 1, (unsigned long long)id);
                goto fail;
            }
            size_t nl = loc_nframes[e->index];
            if (stack.n + nl > MAX_DEPTH) {
                snprintf(err, errlen, "sample %zu is deeper than %d frames", i + 1, MAX_DEPTH);
                goto fail;
            }
            if (nl > budget) {
                snprintf(err, errlen, "its samples name more than %zu frames in all (%d per byte "
                         "of the message)", n > MIN_FRAMES / FRAMES_PER_BYTE ? n * FRAMES_PER_BYTE
                                                                              : MIN_FRAMES,
                         FRAMES_PER_BYTE);
                goto fail;
            }
            budget -= nl;
            for (size_t j = 0; j < nl; j++)
                VEC_PUSH(stack, loc_frames[e->index][j]);
        }
        int64_t v = s->value[vi];
        if (v <= 0 || stack.n == 0) {
            skipped += v < 0;
            continue;
        }
        /* labels comm, pid, tid (tprof's, perf's converters'): the root */
        const char *comm = NULL;
        int64_t pid = -1, tid = -1;
        for (size_t k = 0; k < s->n_label; k++) {
            const PLabel *l = s->label[k];
            const char *key = S(pr, l->key), *str = S(pr, l->str);
            if (!key || !str) {
                snprintf(err, errlen, "sample %zu has a label naming a string past the table",
                         i + 1);
                goto fail;
            }
            if (strcmp(key, "comm") == 0 && *str)
                comm = str;
            else if (strcmp(key, "pid") == 0 && l->num >= 0)
                pid = l->num;
            else if (strcmp(key, "tid") == 0 && l->num >= 0)
                tid = l->num;
        }
        uint32_t node = PROFILE_ROOT;
        if (comm) {
            char root[320];
            int rl = pid < 0   ? snprintf(root, sizeof(root), "%.255s", comm)
                     : tid < 0 ? snprintf(root, sizeof(root), "%.255s-%lld", comm, (long long)pid)
                               : snprintf(root, sizeof(root), "%.255s-%lld/%lld", comm,
                                          (long long)pid, (long long)tid);
            node = profile_child(p, node, frames_intern(fr, root, (size_t)rl, FRAME_ROOT, ""));
        }
        for (size_t k = 0; k < stack.n; k++)
            node = profile_child(p, node, stack.v[k]);
        profile_add_at(p, node, (double)v * scale);
    }
    if (pr->n_sample_type > 1 || skipped)
        snprintf(note, cap, "pprof, %s/%s of %zu sample types%s%s", vtype, vunit,
                 pr->n_sample_type, pr->n_sample_type > 1 ? " (--sample-type NAME for another)" : "",
                 skipped ? "; samples with a negative value left out" : "");
    goto out;
fail:
    profile_free(p);
    p = NULL;
out:
    for (size_t i = 0; loc_frames && i < pr->n_location; i++)
        free(loc_frames[i]);
    free(loc_frames);
    free(loc_nframes);
    VEC_FREE(stack);
    HASH_CLEAR(hh, locs);
    HASH_CLEAR(hh, fns);
    HASH_CLEAR(hh, maps);
    free(lpool);
    free(fpool);
    free(mpool);
    perftools__profiles__profile__free_unpacked(pr, NULL);
    return p;
}
