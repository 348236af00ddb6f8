/*
 * The byte offsets of the interpreter structures tprof reads, per CPython
 * version, for x86-64 release builds. Taken with `gdb -batch -ex 'ptype /o
 * struct _ts'` (and _PyInterpreterFrame, PyCodeObject, _PyCFrame, struct
 * _frame) on the DWARF of pyenv's 3.10.13, 3.11.7, 3.12.1 and 3.13.0
 * builds, and for 3.11 also on Debian's python3.11 (PYTHON-NOTES.md §2):
 * the layouts do not change within a minor version. The interpreter's own
 * DWARF, when it has some (pyenv's builds; Debian's with python3.11-dbg),
 * wins over them: read with libdw, the same fields by name. 3.13 also
 * describes itself at the start of _PyRuntime (_Py_DebugOffsets), which
 * is used when there is no DWARF.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "tprof/cache.h"
#include "tprof/xalloc.h"

static const struct py_offsets py310 = {
    .minor = 10,
    .rt_interpreters_head = 32,
    .is_next = 0,
    .is_threads_head = 8,
    .ts_size = 280,
    .ts_next = 8,
    .ts_frame = 24,
    .ts_thread_id = 176,
    .ts_native_thread_id = 0,
    .ts_datastack_chunk = 0,
    .ts_datastack_top = 0,
    .ts_root_cframe = PY_NO_FIELD,
    .fr_size = 112,
    .fr_code = 32,
    .fr_previous = 24,
    .fr_instr = 96, /* f_lasti, an int, in code units */
    .fr_owner = PY_NO_FIELD,
    .fr_is_entry = PY_NO_FIELD,
    .co_size = 176,
    .co_firstlineno = 40,
    .co_filename = 104,
    .co_name = 112,
    .co_qualname = PY_NO_FIELD, /* code objects have no qualname before 3.11 */
    .co_linetable = 120,
    .co_code_adaptive = PY_NO_FIELD,
    .co_code = 48,
    .u_ascii_data = 48,
    .u_compact_data = 72,
    .u_has_ready = true,
};

static const struct py_offsets py311 = {
    .minor = 11,
    .rt_interpreters_head = 40,
    .is_next = 0,
    .is_threads_head = 16,
    .ts_size = 360,
    .ts_next = 8,
    .ts_frame = 56,
    .ts_thread_id = 152,
    .ts_native_thread_id = 160,
    .ts_datastack_chunk = 296,
    .ts_datastack_top = 304,
    .ts_root_cframe = 336,
    .cf_size = 24,
    .cf_current_frame = 8,
    .cf_previous = 16,
    .fr_size = 72,
    .fr_code = 32,
    .fr_previous = 48,
    .fr_instr = 56, /* prev_instr */
    .fr_owner = 69,
    .fr_is_entry = 68,
    .co_size = 192,
    .co_firstlineno = 72,
    .co_filename = 112,
    .co_name = 120,
    .co_qualname = 128,
    .co_linetable = 136,
    .co_code_adaptive = 184,
    .co_code = PY_NO_FIELD,
    .u_ascii_data = 48,
    .u_compact_data = 72,
    .u_has_ready = true,
};

static const struct py_offsets py312 = {
    .minor = 12,
    .rt_interpreters_head = 40,
    .is_next = 0,
    .is_threads_head = 72,
    .ts_size = 288,
    .ts_next = 8,
    .ts_frame = 56,
    .ts_thread_id = 136,
    .ts_native_thread_id = 144,
    .ts_datastack_chunk = 232,
    .ts_datastack_top = 240,
    .ts_root_cframe = 272,
    .cf_size = 16,
    .cf_current_frame = 0,
    .cf_previous = 8,
    .fr_size = 72,
    .fr_code = 0,
    .fr_previous = 8,
    .fr_instr = 56, /* prev_instr */
    .fr_owner = 70,
    .fr_is_entry = PY_NO_FIELD,
    .co_size = 200,
    .co_firstlineno = 68,
    .co_filename = 112,
    .co_name = 120,
    .co_qualname = 128,
    .co_linetable = 136,
    .co_code_adaptive = 192,
    .co_code = PY_NO_FIELD,
    .u_ascii_data = 40,
    .u_compact_data = 56,
    .u_has_ready = false,
};

static const struct py_offsets py313 = {
    .minor = 13,
    .rt_interpreters_head = 632,
    .is_next = 7264,
    .is_threads_head = 7344,
    .ts_size = 304,
    .ts_next = 8,
    .ts_frame = 72, /* current_frame */
    .ts_thread_id = 152,
    .ts_native_thread_id = 160,
    .ts_datastack_chunk = 232,
    .ts_datastack_top = 240,
    .ts_root_cframe = PY_NO_FIELD,
    .fr_size = 72,
    .fr_code = 0, /* f_executable */
    .fr_previous = 8,
    .fr_instr = 56, /* instr_ptr: the instruction executing */
    .fr_owner = 70,
    .fr_is_entry = PY_NO_FIELD,
    .co_size = 208,
    .co_firstlineno = 68,
    .co_filename = 112,
    .co_name = 120,
    .co_qualname = 128,
    .co_linetable = 136,
    .co_code_adaptive = 200,
    .co_code = PY_NO_FIELD,
    .u_ascii_data = 40,
    .u_compact_data = 56,
    .u_has_ready = false,
};

const struct py_offsets *py_offsets_builtin(int minor)
{
    switch (minor) {
    case 10:
        return &py310;
    case 11:
        return &py311;
    case 12:
        return &py312;
    case 13:
        return &py313;
    default:
        return NULL;
    }
}

static uint64_t word(const uint8_t *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, sizeof(v));
    return v;
}

/* The fields of 3.13's _Py_DebugOffsets (Include/internal/
 * pycore_debug_offsets.h) tprof uses, as byte offsets into it. */
enum {
    DO_COOKIE = 0,
    DO_FREE_THREADED = 16,
    DO_RT_INTERPRETERS_HEAD = 40,
    DO_IS_NEXT = 64,
    DO_IS_THREADS_HEAD = 72,
    DO_TS_SIZE = 152,
    DO_TS_NEXT = 168,
    DO_TS_CURRENT_FRAME = 184,
    DO_TS_THREAD_ID = 192,
    DO_TS_NATIVE_THREAD_ID = 200,
    DO_TS_DATASTACK_CHUNK = 208,
    DO_FR_SIZE = 224,
    DO_FR_PREVIOUS = 232,
    DO_FR_EXECUTABLE = 240,
    DO_FR_INSTR_PTR = 248,
    DO_FR_OWNER = 264,
    DO_CO_SIZE = 272,
    DO_CO_FILENAME = 280,
    DO_CO_NAME = 288,
    DO_CO_QUALNAME = 296,
    DO_CO_LINETABLE = 304,
    DO_CO_FIRSTLINENO = 312,
    DO_CO_CODE_ADAPTIVE = 344,
    DO_END = 352,
};

bool py_debug_free_threaded(const uint8_t *buf, size_t len)
{
    return len >= DO_END && memcmp(buf + DO_COOKIE, "xdebugpy", 8) == 0 &&
           word(buf, DO_FREE_THREADED) != 0;
}

bool py_offsets_from_debug(struct py_offsets *o, const uint8_t *buf, size_t len)
{
    if (len < DO_END || memcmp(buf + DO_COOKIE, "xdebugpy", 8) != 0)
        return false;
    if (word(buf, DO_FREE_THREADED) != 0)
        return false; /* the free-threaded build's frames differ */
    /* Every offset must lie inside the size the block gives its struct. */
    static const struct {
        uint16_t at, size_at;
        uint8_t width;
    } f[] = {
        {DO_RT_INTERPRETERS_HEAD, 24, 8}, {DO_IS_NEXT, 48, 8},
        {DO_IS_THREADS_HEAD, 48, 8},     {DO_TS_NEXT, DO_TS_SIZE, 8},
        {DO_TS_CURRENT_FRAME, DO_TS_SIZE, 8}, {DO_TS_THREAD_ID, DO_TS_SIZE, 8},
        {DO_TS_NATIVE_THREAD_ID, DO_TS_SIZE, 8}, {DO_TS_DATASTACK_CHUNK, DO_TS_SIZE, 8},
        {DO_FR_PREVIOUS, DO_FR_SIZE, 8}, {DO_FR_EXECUTABLE, DO_FR_SIZE, 8},
        {DO_FR_INSTR_PTR, DO_FR_SIZE, 8}, {DO_FR_OWNER, DO_FR_SIZE, 1},
        {DO_CO_FILENAME, DO_CO_SIZE, 8}, {DO_CO_NAME, DO_CO_SIZE, 8},
        {DO_CO_QUALNAME, DO_CO_SIZE, 8}, {DO_CO_LINETABLE, DO_CO_SIZE, 8},
        {DO_CO_FIRSTLINENO, DO_CO_SIZE, 4}, {DO_CO_CODE_ADAPTIVE, DO_CO_SIZE, 1},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint64_t v = word(buf, f[i].at);
        uint64_t limit = word(buf, f[i].size_at);
        if (limit > (1u << 20) || v + f[i].width > limit)
            return false;
    }
    o->rt_interpreters_head = (uint32_t)word(buf, DO_RT_INTERPRETERS_HEAD);
    o->is_next = (uint32_t)word(buf, DO_IS_NEXT);
    o->is_threads_head = (uint32_t)word(buf, DO_IS_THREADS_HEAD);
    o->ts_size = (uint32_t)word(buf, DO_TS_SIZE);
    o->ts_next = (uint32_t)word(buf, DO_TS_NEXT);
    o->ts_frame = (uint32_t)word(buf, DO_TS_CURRENT_FRAME);
    o->ts_thread_id = (uint32_t)word(buf, DO_TS_THREAD_ID);
    o->ts_native_thread_id = (uint32_t)word(buf, DO_TS_NATIVE_THREAD_ID);
    o->ts_datastack_chunk = (uint32_t)word(buf, DO_TS_DATASTACK_CHUNK);
    /* (datastack_top is not in the block: it follows the chunk pointer) */
    o->ts_datastack_top = o->ts_datastack_chunk + 8;
    o->fr_previous = (uint32_t)word(buf, DO_FR_PREVIOUS);
    o->fr_code = (uint32_t)word(buf, DO_FR_EXECUTABLE);
    o->fr_instr = (uint32_t)word(buf, DO_FR_INSTR_PTR);
    o->fr_owner = (uint32_t)word(buf, DO_FR_OWNER);
    o->co_filename = (uint32_t)word(buf, DO_CO_FILENAME);
    o->co_name = (uint32_t)word(buf, DO_CO_NAME);
    o->co_qualname = (uint32_t)word(buf, DO_CO_QUALNAME);
    o->co_linetable = (uint32_t)word(buf, DO_CO_LINETABLE);
    o->co_firstlineno = (uint32_t)word(buf, DO_CO_FIRSTLINENO);
    o->co_code_adaptive = (uint32_t)word(buf, DO_CO_CODE_ADAPTIVE);
    o->co_size = o->co_code_adaptive;
    if (o->ts_datastack_top + 8 > o->ts_size)
        return false;
    return true;
}

/* ----- DWARF ----- */

/* The structures read, by the name of the struct or of its typedef. */
enum { S_RUNTIME, S_INTERP, S_TSTATE, S_CFRAME, S_FRAME, S_FRAME310, S_CODE, S_ASCII, S_COMPACT,
       S_COUNT };
static const char *const struct_names[S_COUNT] = {
    "pyruntimestate", "_is", "_ts", "_PyCFrame", "_PyInterpreterFrame", "_frame",
    "PyCodeObject", "PyASCIIObject", "PyCompactUnicodeObject"};

/* DIE's type with typedefs and qualifiers peeled. */
static bool peel(Dwarf_Die *die, Dwarf_Die *out)
{
    Dwarf_Die cur = *die;
    for (int i = 0; i < 16; i++) {
        int tag = dwarf_tag(&cur);
        if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
            *out = cur;
            return true;
        }
        Dwarf_Attribute a;
        if (!dwarf_attr_integrate(&cur, DW_AT_type, &a) || !dwarf_formref_die(&a, &cur))
            return false;
    }
    return false;
}

/* The offset of member NAME of struct S (and its type in *TYPE); a dotted
 * NAME goes into nested members. -1 when missing. */
static long member(Dwarf_Die *s, const char *name, Dwarf_Die *type)
{
    char part[64];
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    if (n >= sizeof(part))
        return -1;
    memcpy(part, name, n);
    part[n] = '\0';
    Dwarf_Die child;
    if (dwarf_child(s, &child) != 0)
        return -1;
    do {
        if (dwarf_tag(&child) != DW_TAG_member)
            continue;
        const char *cn = dwarf_diename(&child);
        if (!cn || strcmp(cn, part) != 0)
            continue;
        Dwarf_Attribute a;
        Dwarf_Word off;
        if (!dwarf_attr_integrate(&child, DW_AT_data_member_location, &a) ||
            dwarf_formudata(&a, &off) != 0 || off > (1u << 20))
            return -1;
        Dwarf_Die t;
        if (!dwarf_attr_integrate(&child, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
            return -1;
        if (type)
            *type = t;
        if (!dot)
            return (long)off;
        Dwarf_Die inner;
        if (!peel(&t, &inner))
            return -1;
        long rest = member(&inner, dot + 1, type);
        return rest < 0 ? -1 : (long)off + rest;
    } while (dwarf_siblingof(&child, &child) == 0);
    return -1;
}

/* Find each structure's definition among the compile units' top-level
 * entries (the headers are in many units: the first definition serves). */
static void find_structs(Dwarf *dw, Dwarf_Die found[S_COUNT], bool have[S_COUNT])
{
    Dwarf_Off off = 0, next;
    size_t hsize;
    int left = S_COUNT;
    while (left > 0 && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, die;
        if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
            do {
                int tag = dwarf_tag(&die);
                if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
                    continue;
                const char *name = dwarf_diename(&die);
                if (!name)
                    continue;
                for (int k = 0; k < S_COUNT; k++) {
                    Dwarf_Die st;
                    if (have[k] || strcmp(name, struct_names[k]) != 0 || !peel(&die, &st) ||
                        !dwarf_hasattr(&st, DW_AT_byte_size) || dwarf_child(&st, &(Dwarf_Die){0}) != 0)
                        continue;
                    found[k] = st;
                    have[k] = true;
                    left--;
                }
            } while (dwarf_siblingof(&die, &die) == 0);
        }
        off = next;
    }
}

bool py_offsets_from_dwarf(struct py_offsets *o, int minor, Dwarf *dw)
{
    bool ok = false;
    if (dw) {
        Dwarf_Die s[S_COUNT];
        bool have[S_COUNT] = {false};
        find_structs(dw, s, have);
        struct py_offsets r = *o;
        long v[32];
        int k = 0;
#define M(sid, name) (v[k++] = have[sid] ? member(&s[sid], name, NULL) : -1)
        M(S_RUNTIME, "interpreters.head");
        M(S_INTERP, "next");
        M(S_INTERP, minor == 10 ? "tstate_head" : "threads.head");
        M(S_TSTATE, "next");
        M(S_TSTATE, minor == 10 ? "frame" : minor <= 12 ? "cframe" : "current_frame");
        M(S_TSTATE, "thread_id");
        int frame_s = minor == 10 ? S_FRAME310 : S_FRAME;
        M(frame_s, minor == 10 ? "f_code" : minor <= 12 ? "f_code" : "f_executable");
        M(frame_s, minor == 10 ? "f_back" : "previous");
        M(frame_s, minor == 10 ? "f_lasti" : minor <= 12 ? "prev_instr" : "instr_ptr");
        M(S_CODE, "co_firstlineno");
        M(S_CODE, "co_filename");
        M(S_CODE, "co_name");
        M(S_CODE, "co_linetable");
        bool all = true;
        for (int i = 0; i < k; i++)
            all &= v[i] >= 0;
        Dwarf_Word tsz = 0, asz = 0, csz = 0;
        all &= have[S_TSTATE] && have[S_ASCII] && have[S_COMPACT] && have[S_CODE];
        if (all) {
            tsz = (Dwarf_Word)dwarf_bytesize(&s[S_TSTATE]);
            asz = (Dwarf_Word)dwarf_bytesize(&s[S_ASCII]);
            csz = (Dwarf_Word)dwarf_bytesize(&s[S_COMPACT]);
            all = tsz > 0 && tsz <= 512 && asz > 0 && asz < 128 && csz > 0 && csz < 128;
        }
        if (all) {
            k = 0;
            r.rt_interpreters_head = (uint32_t)v[k++];
            r.is_next = (uint32_t)v[k++];
            r.is_threads_head = (uint32_t)v[k++];
            r.ts_next = (uint32_t)v[k++];
            r.ts_frame = (uint32_t)v[k++];
            r.ts_thread_id = (uint32_t)v[k++];
            r.fr_code = (uint32_t)v[k++];
            r.fr_previous = (uint32_t)v[k++];
            r.fr_instr = (uint32_t)v[k++];
            r.co_firstlineno = (uint32_t)v[k++];
            r.co_filename = (uint32_t)v[k++];
            r.co_name = (uint32_t)v[k++];
            r.co_linetable = (uint32_t)v[k++];
            r.ts_size = (uint32_t)tsz;
            r.u_ascii_data = (uint32_t)asz;
            r.u_compact_data = (uint32_t)csz;
            long x;
            if (minor >= 11) {
                all &= (x = member(&s[S_TSTATE], "native_thread_id", NULL)) >= 0;
                r.ts_native_thread_id = (uint32_t)x;
                all &= (x = member(&s[S_TSTATE], "datastack_chunk", NULL)) >= 0;
                r.ts_datastack_chunk = (uint32_t)x;
                all &= (x = member(&s[S_TSTATE], "datastack_top", NULL)) >= 0;
                r.ts_datastack_top = (uint32_t)x;
                all &= (x = member(&s[S_FRAME], "owner", NULL)) >= 0;
                r.fr_owner = (uint32_t)x;
                all &= (x = member(&s[S_FRAME], "localsplus", NULL)) >= 0;
                r.fr_size = (uint32_t)x;
                all &= (x = member(&s[S_CODE], "co_qualname", NULL)) >= 0;
                r.co_qualname = (uint32_t)x;
                all &= (x = member(&s[S_CODE], "co_code_adaptive", NULL)) >= 0;
                r.co_code_adaptive = (uint32_t)x;
                r.co_size = (uint32_t)x + 8;
                if (minor == 11) {
                    all &= (x = member(&s[S_FRAME], "is_entry", NULL)) >= 0;
                    r.fr_is_entry = (uint32_t)x;
                }
                if (minor <= 12) {
                    all &= have[S_CFRAME] &&
                           (x = member(&s[S_TSTATE], "root_cframe", NULL)) >= 0;
                    r.ts_root_cframe = (uint32_t)x;
                    all &= (x = member(&s[S_CFRAME], "current_frame", NULL)) >= 0;
                    r.cf_current_frame = (uint32_t)x;
                    all &= (x = member(&s[S_CFRAME], "previous", NULL)) >= 0;
                    r.cf_previous = (uint32_t)x;
                    r.cf_size = (uint32_t)dwarf_bytesize(&s[S_CFRAME]);
                    all &= r.cf_size > 0 && r.cf_size <= 32;
                }
            } else {
                all &= (x = member(&s[S_CODE], "co_code", NULL)) >= 0;
                r.co_code = (uint32_t)x;
                r.co_size = (uint32_t)dwarf_bytesize(&s[S_CODE]);
                r.fr_size = r.fr_instr + 8;
            }
            /* what the reader copies must fit its buffers, and every field
             * the copy it is read from */
            all &= r.fr_size <= 128 && r.co_size <= 256 && r.u_compact_data + 8 <= 80;
            const uint32_t ts_fields[] = {r.ts_next, r.ts_frame, r.ts_thread_id,
                                          r.ts_native_thread_id, r.ts_datastack_chunk,
                                          r.ts_datastack_top};
            for (size_t i = 0; i < sizeof(ts_fields) / sizeof(ts_fields[0]); i++)
                all &= ts_fields[i] + 8 <= r.ts_size;
            const uint32_t fr_fields[] = {r.fr_code, r.fr_previous, r.fr_instr};
            for (size_t i = 0; i < sizeof(fr_fields) / sizeof(fr_fields[0]); i++)
                all &= fr_fields[i] + 8 <= r.fr_size;
            all &= (r.fr_owner == PY_NO_FIELD || r.fr_owner < r.fr_size) &&
                   (r.fr_is_entry == PY_NO_FIELD || r.fr_is_entry < r.fr_size);
            const uint32_t co_fields[] = {r.co_firstlineno, r.co_filename, r.co_name,
                                          r.co_qualname, r.co_linetable, r.co_code};
            for (size_t i = 0; i < sizeof(co_fields) / sizeof(co_fields[0]); i++)
                all &= co_fields[i] == PY_NO_FIELD || co_fields[i] + 8 <= r.co_size;
            all &= r.co_size >= 32 + (r.co_filename < r.co_name ? r.co_filename : r.co_name);
            if (minor >= 11 && minor <= 12)
                all &= r.cf_current_frame + 8 <= r.cf_size && r.cf_previous + 8 <= r.cf_size;
            if (all) {
                *o = r;
                ok = true;
            }
        }
#undef M
    }
    return ok;
}

/* ----- the cache: offsets read from an interpreter's DWARF -----
 * Finding the structures in python3.11-dbg's DWARF takes 4-11 ms, before
 * a Python program tprof launches may start. What was found is kept per
 * build id and version ("pyoff-BUILDID-3.MINOR"): the fields below in
 * this order, each checked as the DWARF's are. */
#define PYOFF_MAGIC "tppyoff1"
#define F(x) offsetof(struct py_offsets, x)
static const size_t pyoff_fields[] = {
    F(rt_interpreters_head), F(is_next),           F(is_threads_head),     F(ts_size),
    F(ts_next),              F(ts_frame),          F(ts_thread_id),        F(ts_native_thread_id),
    F(ts_datastack_chunk),   F(ts_datastack_top),  F(ts_root_cframe),      F(cf_size),
    F(cf_current_frame),     F(cf_previous),       F(fr_size),             F(fr_code),
    F(fr_previous),          F(fr_instr),          F(fr_owner),            F(fr_is_entry),
    F(co_size),              F(co_firstlineno),    F(co_filename),         F(co_name),
    F(co_qualname),          F(co_linetable),      F(co_code_adaptive),    F(co_code),
    F(u_ascii_data),         F(u_compact_data),
};
#undef F
#define PYOFF_N (sizeof(pyoff_fields) / sizeof(pyoff_fields[0]))
#define PYOFF_SIZE (8 + 4 + 4 * PYOFF_N + 1)

static char *pyoff_name(const uint8_t *bid, size_t bid_size, int minor)
{
    char hex[41];
    cache_hex(bid, bid_size, hex);
    return xasprintf("pyoff-%s-3.%d", hex, minor);
}

bool py_offsets_cache_read(const uint8_t *bid, size_t bid_size, int minor, struct py_offsets *o)
{
    if (!bid_size)
        return false;
    char *name = pyoff_name(bid, bid_size, minor);
    char *path = cache_path(name);
    free(name);
    FILE *f = path ? fopen(path, "re") : NULL;
    free(path);
    if (!f)
        return false;
    uint8_t buf[PYOFF_SIZE + 1];
    size_t got = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    int32_t m;
    memcpy(&m, buf + 8, 4);
    if (got != PYOFF_SIZE || memcmp(buf, PYOFF_MAGIC, 8) != 0 || m != minor ||
        buf[PYOFF_SIZE - 1] > 1)
        return false;
    struct py_offsets r = *o;
    r.minor = minor;
    for (size_t i = 0; i < PYOFF_N; i++) {
        uint32_t v;
        memcpy(&v, buf + 12 + 4 * i, 4);
        if (v != PY_NO_FIELD && v >= 65536)
            return false;
        memcpy((char *)&r + pyoff_fields[i], &v, 4);
    }
    /* (the sizes as py_offsets_from_dwarf takes them) */
    if (r.ts_size == 0 || r.ts_size > 512 || r.u_ascii_data == 0 || r.u_ascii_data >= 128 ||
        r.u_compact_data == 0 || r.u_compact_data >= 128)
        return false;
    r.u_has_ready = buf[PYOFF_SIZE - 1];
    *o = r;
    return true;
}

void py_offsets_cache_write(const uint8_t *bid, size_t bid_size, int minor,
                            const struct py_offsets *o)
{
    if (!bid_size || !cache_enabled())
        return;
    uint8_t buf[PYOFF_SIZE];
    memcpy(buf, PYOFF_MAGIC, 8);
    int32_t m = minor;
    memcpy(buf + 8, &m, 4);
    for (size_t i = 0; i < PYOFF_N; i++)
        memcpy(buf + 12 + 4 * i, (const char *)o + pyoff_fields[i], 4);
    buf[PYOFF_SIZE - 1] = o->u_has_ready ? 1 : 0;
    char *name = pyoff_name(bid, bid_size, minor), *tmp, err[256];
    int fd = cache_create(name, &tmp, err, sizeof(err));
    if (fd >= 0)
        cache_commit(name, fd, tmp, write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), err,
                     sizeof(err));
    free(name);
}
