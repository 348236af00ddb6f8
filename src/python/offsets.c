/*
 * The byte offsets of the interpreter structures tprof reads, per CPython
 * version, for x86-64 release builds. Taken with `gdb -batch -ex 'ptype /o
 * struct _ts'` (and _PyInterpreterFrame, PyCodeObject, _PyCFrame, struct
 * _frame) on the DWARF of pyenv's 3.10.13, 3.11.7, 3.12.1 and 3.13.0
 * builds, and for 3.11 also on Debian's python3.11 (PYTHON-NOTES.md §2):
 * the layouts do not change within a minor version. 3.13 describes itself
 * at the start of _PyRuntime (_Py_DebugOffsets), which wins over the table
 * when it is there.
 */
#include <string.h>

#include "internal.h"

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
