/*
 * codec: AMQP 1.0 values and frames, twice.
 *
 * The tuned encoder appends to one buffer that grows geometrically and is
 * reused across messages; a list or map is written in place after a 2-byte
 * (list8) header whose size is back-patched once the items are written (and
 * widened to list32 by one move in the rare case it does not fit).
 *
 * The naive encoder is the pattern every performance engineer has met in
 * Python AMQP clients: every field becomes a heap-boxed value first, every
 * value is encoded into its own little byte string, and byte strings are
 * joined by concatenation, which copies both sides every time
 * (buf_grow_by_exact). Children are encoded into temporaries and copied into
 * their parent.
 *
 * Both produce the same bytes. Decoding is one bounds-checked recursive
 * decoder with two modes: naive (every value malloc'd, every binary and
 * string copied: decode_binary_copy) and tuned (values from an arena reset
 * per message, binaries point into the frame: decode_binary_view). Encoders
 * dispatch on a table by type, the decoder on a table by constructor byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amqp.h"

#define NOINLINE __attribute__((noinline))

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "amqp-bench: out of memory\n");
        abort();
    }
    return p;
}

/* ----- arena ----- */

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (a->n + size > a->cap) {
        /* a new, bigger block; values already handed out stay valid until
         * reset because the old block is kept in a chain */
        size_t cap = a->cap ? a->cap * 2 : 65536;
        while (cap < size + 16)
            cap *= 2;
        uint8_t *blk = xmalloc(cap);
        memcpy(blk, &a->p, sizeof(a->p)); /* link to the previous block */
        a->p = blk;
        a->cap = cap;
        a->n = 16;
    }
    void *r = a->p + a->n;
    a->n += size;
    return r;
}

void arena_reset(struct arena *a)
{
    /* keep the newest block, free the older ones */
    if (!a->p)
        return;
    uint8_t *prev;
    memcpy(&prev, a->p, sizeof(prev));
    while (prev) {
        uint8_t *pp;
        memcpy(&pp, prev, sizeof(pp));
        free(prev);
        prev = pp;
    }
    uint8_t *none = NULL;
    memcpy(a->p, &none, sizeof(none));
    a->n = 16;
}

void arena_free(struct arena *a)
{
    arena_reset(a);
    free(a->p);
    memset(a, 0, sizeof(*a));
}

/* ----- tuned encoding ----- */

NOINLINE static void buf_reserve(struct buf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more)
        cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p)
        abort();
    b->cap = cap;
}

static inline void put8(struct buf *b, uint8_t v)
{
    buf_reserve(b, 1);
    b->p[b->n++] = v;
}

static inline void put_be(struct buf *b, uint64_t v, int bytes)
{
    buf_reserve(b, (size_t)bytes);
    for (int i = bytes - 1; i >= 0; i--)
        b->p[b->n++] = (uint8_t)(v >> (8 * i));
}

static void tuned_encode_value(struct buf *b, const struct amqp_value *v);

NOINLINE static void tuned_encode_binary(struct buf *b, uint8_t c8, uint8_t c32, const uint8_t *p,
                                         uint32_t n)
{
    buf_reserve(b, 5 + (size_t)n);
    if (n < 256) {
        b->p[b->n++] = c8;
        b->p[b->n++] = (uint8_t)n;
    } else {
        b->p[b->n++] = c32;
        put_be(b, n, 4);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* list or map: 8-bit header written first, back-patched (and widened to the
 * 32-bit form by one move if the body turns out too big) */
NOINLINE static void tuned_encode_compound(struct buf *b, const struct amqp_value *v, uint8_t c8,
                                           uint8_t c32)
{
    size_t at = b->n;
    buf_reserve(b, 3);
    b->p[b->n++] = c8;
    b->n += 2; /* size, count */
    for (uint32_t i = 0; i < v->u.list.n; i++)
        tuned_encode_value(b, &v->u.list.v[i]);
    size_t body = b->n - at - 3; /* items */
    if (body + 1 < 256 && v->u.list.n < 256) {
        b->p[at + 1] = (uint8_t)(body + 1);
        b->p[at + 2] = (uint8_t)v->u.list.n;
        return;
    }
    buf_reserve(b, 6);
    memmove(b->p + at + 9, b->p + at + 3, body);
    b->p[at] = c32;
    uint64_t size = body + 4;
    for (int i = 0; i < 4; i++)
        b->p[at + 1 + (size_t)i] = (uint8_t)(size >> (8 * (3 - i)));
    for (int i = 0; i < 4; i++)
        b->p[at + 5 + (size_t)i] = (uint8_t)(v->u.list.n >> (8 * (3 - i)));
    b->n += 6;
}

/* Array elements share one constructor; the 32-bit forms of each type. */
static uint8_t array_constructor(enum amqp_type t)
{
    static const uint8_t c[AT_COUNT] = {
        [AT_NULL] = C_NULL, [AT_BOOL] = C_BOOLEAN, [AT_UBYTE] = C_UBYTE, [AT_BYTE] = C_BYTE,
        [AT_USHORT] = C_USHORT, [AT_SHORT] = C_SHORT, [AT_UINT] = C_UINT, [AT_INT] = C_INT,
        [AT_ULONG] = C_ULONG, [AT_LONG] = C_LONG, [AT_FLOAT] = C_FLOAT, [AT_DOUBLE] = C_DOUBLE,
        [AT_TIMESTAMP] = C_TIMESTAMP, [AT_UUID] = C_UUID, [AT_BINARY] = C_VBIN32,
        [AT_STRING] = C_STR32, [AT_SYMBOL] = C_SYM32};
    return c[t];
}

/* An array element's bytes after its (shared) constructor. */
static void put_element(struct buf *b, const struct amqp_value *v)
{
    switch (v->type) {
    case AT_BOOL: put8(b, v->u.b); break;
    case AT_UBYTE: case AT_BYTE: put_be(b, v->u.u, 1); break;
    case AT_USHORT: case AT_SHORT: put_be(b, v->u.u, 2); break;
    case AT_UINT: case AT_INT: put_be(b, v->u.u, 4); break;
    case AT_FLOAT: { uint32_t x; memcpy(&x, &v->u.f, 4); put_be(b, x, 4); break; }
    case AT_DOUBLE: { uint64_t x; memcpy(&x, &v->u.d, 8); put_be(b, x, 8); break; }
    case AT_ULONG: case AT_LONG: case AT_TIMESTAMP: put_be(b, v->u.u, 8); break;
    case AT_UUID: buf_reserve(b, 16); memcpy(b->p + b->n, v->u.uuid, 16); b->n += 16; break;
    case AT_BINARY: case AT_STRING: case AT_SYMBOL:
        put_be(b, v->u.bin.n, 4);
        buf_reserve(b, v->u.bin.n);
        memcpy(b->p + b->n, v->u.bin.p, v->u.bin.n);
        b->n += v->u.bin.n;
        break;
    default: break;
    }
}

static void tuned_encode_array(struct buf *b, const struct amqp_value *v)
{
    struct buf tmp = {0};
    put8(&tmp, array_constructor(v->u.list.elem));
    for (uint32_t i = 0; i < v->u.list.n; i++)
        put_element(&tmp, &v->u.list.v[i]);
    if (tmp.n + 1 < 256 && v->u.list.n < 256) {
        put8(b, C_ARRAY8);
        put8(b, (uint8_t)(tmp.n + 1));
        put8(b, (uint8_t)v->u.list.n);
    } else {
        put8(b, C_ARRAY32);
        put_be(b, tmp.n + 4, 4);
        put_be(b, v->u.list.n, 4);
    }
    buf_reserve(b, tmp.n);
    memcpy(b->p + b->n, tmp.p, tmp.n);
    b->n += tmp.n;
    free(tmp.p);
}

/* Scalars, in the smallest form (shared by both encoders' tables). */
static void encode_scalar(struct buf *b, const struct amqp_value *v)
{
    switch (v->type) {
    case AT_NULL: put8(b, C_NULL); break;
    case AT_BOOL: put8(b, v->u.b ? C_TRUE : C_FALSE); break;
    case AT_UBYTE: put8(b, C_UBYTE); put_be(b, v->u.u, 1); break;
    case AT_BYTE: put8(b, C_BYTE); put_be(b, (uint64_t)v->u.i, 1); break;
    case AT_USHORT: put8(b, C_USHORT); put_be(b, v->u.u, 2); break;
    case AT_SHORT: put8(b, C_SHORT); put_be(b, (uint64_t)v->u.i, 2); break;
    case AT_UINT:
        if (v->u.u == 0) put8(b, C_UINT0);
        else if (v->u.u < 256) { put8(b, C_SMALLUINT); put8(b, (uint8_t)v->u.u); }
        else { put8(b, C_UINT); put_be(b, v->u.u, 4); }
        break;
    case AT_INT:
        if (v->u.i >= -128 && v->u.i <= 127) { put8(b, C_SMALLINT); put8(b, (uint8_t)v->u.i); }
        else { put8(b, C_INT); put_be(b, (uint64_t)v->u.i, 4); }
        break;
    case AT_ULONG:
        if (v->u.u == 0) put8(b, C_ULONG0);
        else if (v->u.u < 256) { put8(b, C_SMALLULONG); put8(b, (uint8_t)v->u.u); }
        else { put8(b, C_ULONG); put_be(b, v->u.u, 8); }
        break;
    case AT_LONG:
        if (v->u.i >= -128 && v->u.i <= 127) { put8(b, C_SMALLLONG); put8(b, (uint8_t)v->u.i); }
        else { put8(b, C_LONG); put_be(b, (uint64_t)v->u.i, 8); }
        break;
    case AT_FLOAT: { uint32_t x; memcpy(&x, &v->u.f, 4); put8(b, C_FLOAT); put_be(b, x, 4); break; }
    case AT_DOUBLE: { uint64_t x; memcpy(&x, &v->u.d, 8); put8(b, C_DOUBLE); put_be(b, x, 8); break; }
    case AT_TIMESTAMP: put8(b, C_TIMESTAMP); put_be(b, (uint64_t)v->u.i, 8); break;
    case AT_UUID: put8(b, C_UUID); buf_reserve(b, 16); memcpy(b->p + b->n, v->u.uuid, 16); b->n += 16; break;
    default: break;
    }
}

static void tuned_enc_binary(struct buf *b, const struct amqp_value *v)
{
    tuned_encode_binary(b, C_VBIN8, C_VBIN32, v->u.bin.p, v->u.bin.n);
}
static void tuned_enc_string(struct buf *b, const struct amqp_value *v)
{
    tuned_encode_binary(b, C_STR8, C_STR32, v->u.bin.p, v->u.bin.n);
}
static void tuned_enc_symbol(struct buf *b, const struct amqp_value *v)
{
    tuned_encode_binary(b, C_SYM8, C_SYM32, v->u.bin.p, v->u.bin.n);
}
static void tuned_enc_list(struct buf *b, const struct amqp_value *v)
{
    if (v->u.list.n == 0)
        put8(b, C_LIST0);
    else
        tuned_encode_compound(b, v, C_LIST8, C_LIST32);
}
static void tuned_enc_map(struct buf *b, const struct amqp_value *v)
{
    tuned_encode_compound(b, v, C_MAP8, C_MAP32);
}
static void tuned_enc_described(struct buf *b, const struct amqp_value *v)
{
    put8(b, C_DESCRIBED);
    tuned_encode_value(b, v->u.described.desc);
    tuned_encode_value(b, v->u.described.val);
}

typedef void (*encode_fn)(struct buf *, const struct amqp_value *);

/* the encode dispatch table, by type */
static const encode_fn tuned_encoders[AT_COUNT] = {
    [AT_NULL] = encode_scalar, [AT_BOOL] = encode_scalar, [AT_UBYTE] = encode_scalar,
    [AT_BYTE] = encode_scalar, [AT_USHORT] = encode_scalar, [AT_SHORT] = encode_scalar,
    [AT_UINT] = encode_scalar, [AT_INT] = encode_scalar, [AT_ULONG] = encode_scalar,
    [AT_LONG] = encode_scalar, [AT_FLOAT] = encode_scalar, [AT_DOUBLE] = encode_scalar,
    [AT_TIMESTAMP] = encode_scalar, [AT_UUID] = encode_scalar, [AT_BINARY] = tuned_enc_binary,
    [AT_STRING] = tuned_enc_string, [AT_SYMBOL] = tuned_enc_symbol, [AT_LIST] = tuned_enc_list,
    [AT_MAP] = tuned_enc_map, [AT_ARRAY] = tuned_encode_array,
    [AT_DESCRIBED] = tuned_enc_described,
};

NOINLINE static void tuned_encode_value(struct buf *b, const struct amqp_value *v)
{
    tuned_encoders[v->type](b, v);
}

/* frame: size, doff=2, type 0, channel, then the body; size back-patched */
static void frame_begin(struct buf *b, uint16_t channel, size_t *at)
{
    *at = b->n;
    buf_reserve(b, 8);
    memset(b->p + b->n, 0, 4);
    b->n += 4;
    put8(b, 2);
    put8(b, 0);
    put_be(b, channel, 2);
}

static void frame_end(struct buf *b, size_t at)
{
    uint32_t size = (uint32_t)(b->n - at);
    for (int i = 0; i < 4; i++)
        b->p[at + (size_t)i] = (uint8_t)(size >> (8 * (3 - i)));
}

/* ----- the values of a transfer ----- */

static struct amqp_value *vals(struct arena *a, uint32_t n)
{
    return arena_alloc(a, sizeof(struct amqp_value) * (n ? n : 1));
}

static struct amqp_value described(struct arena *a, uint64_t code, struct amqp_value val)
{
    struct amqp_value *d = vals(a, 2);
    d[0] = (struct amqp_value){.type = AT_ULONG, .u.u = code};
    d[1] = val;
    return (struct amqp_value){.type = AT_DESCRIBED, .u.described = {&d[0], &d[1]}};
}

static struct amqp_value str_value(enum amqp_type t, const char *s)
{
    if (!s)
        return (struct amqp_value){.type = AT_NULL};
    return (struct amqp_value){.type = t, .u.bin = {(const uint8_t *)s, (uint32_t)strlen(s)}};
}

void message_values(const struct message *m, struct arena *a, struct amqp_value *perf,
                    struct amqp_value *sections, uint32_t *nsections)
{
    /* transfer: handle, delivery-id, delivery-tag, message-format, settled */
    struct amqp_value *tf = vals(a, 5);
    tf[0] = (struct amqp_value){.type = AT_UINT, .u.u = 0};
    tf[1] = (struct amqp_value){.type = AT_UINT, .u.u = m->delivery_id};
    uint8_t *tag = arena_alloc(a, 4);
    for (int i = 0; i < 4; i++)
        tag[i] = (uint8_t)(m->delivery_id >> (8 * (3 - i)));
    tf[2] = (struct amqp_value){.type = AT_BINARY, .u.bin = {tag, 4}};
    tf[3] = (struct amqp_value){.type = AT_UINT, .u.u = 0};
    tf[4] = (struct amqp_value){.type = AT_BOOL, .u.b = false};
    *perf = described(a, D_TRANSFER, (struct amqp_value){.type = AT_LIST, .u.list = {tf, 5, 0}});

    uint32_t k = 0;
    struct amqp_value *hd = vals(a, 3);
    hd[0] = (struct amqp_value){.type = AT_BOOL, .u.b = m->durable};
    hd[1] = (struct amqp_value){.type = AT_UBYTE, .u.u = m->priority};
    hd[2] = (struct amqp_value){.type = AT_UINT, .u.u = m->ttl};
    sections[k++] = described(a, D_HEADER, (struct amqp_value){.type = AT_LIST, .u.list = {hd, 3, 0}});

    struct amqp_value *ma = vals(a, 2 * (uint32_t)m->nannotations);
    for (int i = 0; i < m->nannotations; i++) {
        ma[2 * i] = str_value(AT_SYMBOL, m->annotations[i].key);
        ma[2 * i + 1] = m->annotations[i].val;
    }
    sections[k++] = described(a, D_MESSAGE_ANNOTATIONS,
                              (struct amqp_value){.type = AT_MAP, .u.list = {ma, 2 * (uint32_t)m->nannotations, 0}});

    /* properties: message-id, user-id, to, subject, reply-to, correlation-id,
     * content-type, content-encoding, absolute-expiry-time, creation-time */
    struct amqp_value *pr = vals(a, 10);
    pr[0] = (struct amqp_value){.type = AT_ULONG, .u.u = m->message_id};
    pr[1] = (struct amqp_value){.type = AT_NULL};
    pr[2] = str_value(AT_STRING, m->to);
    pr[3] = str_value(AT_STRING, m->subject);
    pr[4] = str_value(AT_STRING, m->reply_to);
    pr[5] = (struct amqp_value){.type = AT_ULONG, .u.u = m->correlation_id};
    pr[6] = str_value(AT_SYMBOL, m->content_type);
    pr[7] = (struct amqp_value){.type = AT_NULL};
    pr[8] = (struct amqp_value){.type = AT_NULL};
    pr[9] = (struct amqp_value){.type = AT_TIMESTAMP, .u.i = m->creation_time};
    sections[k++] = described(a, D_PROPERTIES, (struct amqp_value){.type = AT_LIST, .u.list = {pr, 10, 0}});

    struct amqp_value *ap = vals(a, 2 * (uint32_t)m->napp_props);
    for (int i = 0; i < m->napp_props; i++) {
        ap[2 * i] = str_value(AT_STRING, m->app_props[i].key);
        ap[2 * i + 1] = m->app_props[i].val;
    }
    sections[k++] = described(a, D_APPLICATION_PROPERTIES,
                              (struct amqp_value){.type = AT_MAP, .u.list = {ap, 2 * (uint32_t)m->napp_props, 0}});
    sections[k++] = described(a, D_DATA, (struct amqp_value){.type = AT_BINARY,
                                                             .u.bin = {m->body, m->body_len}});
    *nsections = k;
}

NOINLINE void tuned_encode_transfer(struct buf *out, const struct message *m, uint16_t channel)
{
    /* the values live on an arena kept across messages */
    static __thread struct arena a;
    arena_reset(&a);
    struct amqp_value perf, sec[5];
    uint32_t ns;
    message_values(m, &a, &perf, sec, &ns);
    size_t at;
    frame_begin(out, channel, &at);
    tuned_encode_value(out, &perf);
    for (uint32_t i = 0; i < ns; i++)
        tuned_encode_value(out, &sec[i]);
    frame_end(out, at);
}

void encode_flow(struct buf *out, uint32_t credit)
{
    struct arena a = {0};
    struct amqp_value *f = vals(&a, 7);
    for (int i = 0; i < 7; i++)
        f[i] = (struct amqp_value){.type = AT_UINT, .u.u = 0};
    f[6].u.u = credit; /* link-credit */
    struct amqp_value perf = described(&a, D_FLOW, (struct amqp_value){.type = AT_LIST, .u.list = {f, 7, 0}});
    size_t at;
    frame_begin(out, 0, &at);
    tuned_encode_value(out, &perf);
    frame_end(out, at);
    arena_free(&a);
}

void encode_detach(struct buf *out)
{
    struct arena a = {0};
    struct amqp_value *f = vals(&a, 2);
    f[0] = (struct amqp_value){.type = AT_UINT, .u.u = 0};
    f[1] = (struct amqp_value){.type = AT_BOOL, .u.b = true};
    struct amqp_value perf = described(&a, D_DETACH, (struct amqp_value){.type = AT_LIST, .u.list = {f, 2, 0}});
    size_t at;
    frame_begin(out, 0, &at);
    tuned_encode_value(out, &perf);
    frame_end(out, at);
    arena_free(&a);
}

/* ----- naive encoding ----- */

/* an immutable byte string, as Python's bytes */
struct bytes {
    uint8_t *p;
    size_t n;
};

/* a + b as a new string: both copied, both of the old ones freed */
NOINLINE static struct bytes buf_grow_by_exact(struct bytes a, const uint8_t *p, size_t n)
{
    struct bytes r = {xmalloc(a.n + n), a.n + n};
    if (a.n)
        memcpy(r.p, a.p, a.n);
    if (n)
        memcpy(r.p + a.n, p, n);
    free(a.p);
    return r;
}

/* one field, boxed on the heap before it is encoded */
NOINLINE static struct amqp_value *value_box(const struct amqp_value *v)
{
    struct amqp_value *b = xmalloc(sizeof(*b));
    *b = *v;
    return b;
}

static struct bytes naive_encode_value(const struct amqp_value *v);

NOINLINE static struct bytes naive_encode_binary(uint8_t c8, uint8_t c32, const uint8_t *p,
                                                 uint32_t n)
{
    struct bytes r = {0};
    uint8_t hdr[5];
    if (n < 256) {
        hdr[0] = c8;
        hdr[1] = (uint8_t)n;
        r = buf_grow_by_exact(r, hdr, 2);
    } else {
        hdr[0] = c32;
        for (int i = 0; i < 4; i++)
            hdr[1 + i] = (uint8_t)(n >> (8 * (3 - i)));
        r = buf_grow_by_exact(r, hdr, 5);
    }
    /* "defensive" copy of the payload before appending it */
    uint8_t *copy = xmalloc(n);
    memcpy(copy, p, n);
    r = buf_grow_by_exact(r, copy, n);
    free(copy);
    return r;
}

NOINLINE static struct bytes naive_encode_compound(const struct amqp_value *v, uint8_t c8,
                                                   uint8_t c32)
{
    /* every child into its own temporary, joined one by one */
    struct bytes body = {0};
    for (uint32_t i = 0; i < v->u.list.n; i++) {
        struct amqp_value *boxed = value_box(&v->u.list.v[i]);
        struct bytes child = naive_encode_value(boxed);
        body = buf_grow_by_exact(body, child.p, child.n);
        free(child.p);
        free(boxed);
    }
    uint8_t hdr[9];
    size_t hn;
    if (body.n + 1 < 256 && v->u.list.n < 256) {
        hdr[0] = c8;
        hdr[1] = (uint8_t)(body.n + 1);
        hdr[2] = (uint8_t)v->u.list.n;
        hn = 3;
    } else {
        hdr[0] = c32;
        uint32_t size = (uint32_t)body.n + 4;
        for (int i = 0; i < 4; i++) {
            hdr[1 + i] = (uint8_t)(size >> (8 * (3 - i)));
            hdr[5 + i] = (uint8_t)(v->u.list.n >> (8 * (3 - i)));
        }
        hn = 9;
    }
    struct bytes r = buf_grow_by_exact((struct bytes){0}, hdr, hn);
    r = buf_grow_by_exact(r, body.p, body.n);
    free(body.p);
    return r;
}

NOINLINE static struct bytes naive_encode_value(const struct amqp_value *v)
{
    switch (v->type) {
    case AT_BINARY: return naive_encode_binary(C_VBIN8, C_VBIN32, v->u.bin.p, v->u.bin.n);
    case AT_STRING: return naive_encode_binary(C_STR8, C_STR32, v->u.bin.p, v->u.bin.n);
    case AT_SYMBOL: return naive_encode_binary(C_SYM8, C_SYM32, v->u.bin.p, v->u.bin.n);
    case AT_LIST:
        if (v->u.list.n == 0)
            return buf_grow_by_exact((struct bytes){0}, (const uint8_t[]){C_LIST0}, 1);
        return naive_encode_compound(v, C_LIST8, C_LIST32);
    case AT_MAP: return naive_encode_compound(v, C_MAP8, C_MAP32);
    case AT_DESCRIBED: {
        struct bytes r = buf_grow_by_exact((struct bytes){0}, (const uint8_t[]){C_DESCRIBED}, 1);
        struct amqp_value *d = value_box(v->u.described.desc), *x = value_box(v->u.described.val);
        struct bytes a = naive_encode_value(d), b = naive_encode_value(x);
        r = buf_grow_by_exact(r, a.p, a.n);
        r = buf_grow_by_exact(r, b.p, b.n);
        free(a.p);
        free(b.p);
        free(d);
        free(x);
        return r;
    }
    default: {
        /* scalars and arrays through the shared writer, then copied */
        struct buf tmp = {0};
        if (v->type == AT_ARRAY)
            tuned_encode_array(&tmp, v);
        else
            encode_scalar(&tmp, v);
        struct bytes r = buf_grow_by_exact((struct bytes){0}, tmp.p, tmp.n);
        free(tmp.p);
        return r;
    }
    }
}

NOINLINE void naive_encode_transfer(struct buf *out, const struct message *m, uint16_t channel)
{
    struct arena a = {0}; /* a fresh allocator per message */
    struct amqp_value perf, sec[5];
    uint32_t ns;
    message_values(m, &a, &perf, sec, &ns);
    uint8_t hdr[8] = {0, 0, 0, 0, 2, 0, (uint8_t)(channel >> 8), (uint8_t)channel};
    struct bytes frame = buf_grow_by_exact((struct bytes){0}, hdr, 8);
    struct amqp_value *boxed = value_box(&perf);
    struct bytes b = naive_encode_value(boxed);
    frame = buf_grow_by_exact(frame, b.p, b.n);
    free(b.p);
    free(boxed);
    for (uint32_t i = 0; i < ns; i++) {
        boxed = value_box(&sec[i]);
        b = naive_encode_value(boxed);
        frame = buf_grow_by_exact(frame, b.p, b.n);
        free(b.p);
        free(boxed);
    }
    for (int i = 0; i < 4; i++)
        frame.p[i] = (uint8_t)(frame.n >> (8 * (3 - i)));
    /* and into the output, once more by exact growth */
    struct bytes o = {out->p, out->n};
    o = buf_grow_by_exact(o, frame.p, frame.n);
    out->p = o.p;
    out->n = out->cap = o.n;
    free(frame.p);
    arena_free(&a);
}

/* ----- decoding ----- */

struct dctx {
    const uint8_t *p, *end;
    bool naive;
    struct arena *arena;
    const char *err;
    int depth;
};

static int fail(struct dctx *c, const char *why)
{
    if (!c->err)
        c->err = why;
    return -1;
}

static int need(struct dctx *c, size_t n)
{
    return (size_t)(c->end - c->p) < n ? fail(c, "truncated: a size goes past the end") : 0;
}

static uint64_t get_be(struct dctx *c, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | *c->p++;
    return v;
}

static struct amqp_value *alloc_values(struct dctx *c, uint32_t n)
{
    if (c->naive)
        return calloc(n ? n : 1, sizeof(struct amqp_value)); /* one heap block per list */
    return arena_alloc(c->arena, sizeof(struct amqp_value) * (n ? n : 1));
}

NOINLINE static const uint8_t *decode_binary_copy(const uint8_t *p, uint32_t n)
{
    uint8_t *copy = xmalloc(n);
    memcpy(copy, p, n);
    return copy;
}

static inline const uint8_t *decode_binary_view(const uint8_t *p)
{
    return p; /* zero-copy: points into the frame */
}

typedef int (*decode_fn)(struct dctx *c, uint8_t code, struct amqp_value *v);
static int decode_any(struct dctx *c, struct amqp_value *v);

/* fixed-width scalars: width and type by constructor */
static int dec_fixed(struct dctx *c, uint8_t code, struct amqp_value *v)
{
    switch (code) {
    case C_NULL: v->type = AT_NULL; return 0;
    case C_TRUE: case C_FALSE: v->type = AT_BOOL; v->u.b = code == C_TRUE; return 0;
    case C_UINT0: v->type = AT_UINT; v->u.u = 0; return 0;
    case C_ULONG0: v->type = AT_ULONG; v->u.u = 0; return 0;
    case C_LIST0: v->type = AT_LIST; v->u.list.n = 0; v->u.list.v = NULL; return 0;
    default: break;
    }
    int w;
    switch (code) {
    case C_UBYTE: case C_BYTE: case C_SMALLUINT: case C_SMALLULONG: case C_SMALLINT:
    case C_SMALLLONG: case C_BOOLEAN: w = 1; break;
    case C_USHORT: case C_SHORT: w = 2; break;
    case C_UINT: case C_INT: case C_FLOAT: w = 4; break;
    case C_UUID: w = 16; break;
    default: w = 8; break;
    }
    if (need(c, (size_t)w) < 0)
        return -1;
    if (code == C_UUID) {
        v->type = AT_UUID;
        memcpy(v->u.uuid, c->p, 16);
        c->p += 16;
        return 0;
    }
    uint64_t x = get_be(c, w);
    switch (code) {
    case C_UBYTE: v->type = AT_UBYTE; v->u.u = x; break;
    case C_BYTE: v->type = AT_BYTE; v->u.i = (int8_t)x; break;
    case C_SMALLUINT: v->type = AT_UINT; v->u.u = x; break;
    case C_SMALLULONG: v->type = AT_ULONG; v->u.u = x; break;
    case C_SMALLINT: v->type = AT_INT; v->u.i = (int8_t)x; break;
    case C_SMALLLONG: v->type = AT_LONG; v->u.i = (int8_t)x; break;
    case C_BOOLEAN:
        if (x > 1)
            return fail(c, "boolean byte is neither 0 nor 1");
        v->type = AT_BOOL; v->u.b = x; break;
    case C_USHORT: v->type = AT_USHORT; v->u.u = x; break;
    case C_SHORT: v->type = AT_SHORT; v->u.i = (int16_t)x; break;
    case C_UINT: v->type = AT_UINT; v->u.u = x; break;
    case C_INT: v->type = AT_INT; v->u.i = (int32_t)x; break;
    case C_FLOAT: { uint32_t f = (uint32_t)x; v->type = AT_FLOAT; memcpy(&v->u.f, &f, 4); break; }
    case C_ULONG: v->type = AT_ULONG; v->u.u = x; break;
    case C_LONG: v->type = AT_LONG; v->u.i = (int64_t)x; break;
    case C_DOUBLE: v->type = AT_DOUBLE; memcpy(&v->u.d, &x, 8); break;
    case C_TIMESTAMP: v->type = AT_TIMESTAMP; v->u.i = (int64_t)x; break;
    }
    return 0;
}

static int dec_variable(struct dctx *c, uint8_t code, struct amqp_value *v)
{
    int w = (code & 0xf0) == 0xa0 ? 1 : 4;
    if (need(c, (size_t)w) < 0)
        return -1;
    uint64_t n = get_be(c, w);
    if (need(c, n) < 0)
        return -1;
    uint8_t low = code & 0x0f;
    v->type = low == 0 ? AT_BINARY : low == 1 ? AT_STRING : AT_SYMBOL;
    v->u.bin.n = (uint32_t)n;
    v->u.bin.p = c->naive ? decode_binary_copy(c->p, (uint32_t)n) : decode_binary_view(c->p);
    c->p += n;
    return 0;
}

static int dec_compound(struct dctx *c, uint8_t code, struct amqp_value *v)
{
    int w = code == C_LIST8 || code == C_MAP8 ? 1 : 4;
    if (need(c, 2 * (size_t)w) < 0)
        return -1;
    uint64_t size = get_be(c, w);
    if (size < (uint64_t)w)
        return fail(c, "compound size smaller than its count");
    uint64_t count = get_be(c, w);
    size -= (uint64_t)w;
    if (need(c, size) < 0)
        return -1;
    if (count > size)
        return fail(c, "more items than bytes");
    bool map = code == C_MAP8 || code == C_MAP32;
    if (map && count % 2)
        return fail(c, "map with an odd number of items");
    const uint8_t *end = c->end;
    c->end = c->p + size; /* items may not read past the compound */
    v->type = map ? AT_MAP : AT_LIST;
    v->u.list.n = (uint32_t)count;
    v->u.list.v = alloc_values(c, (uint32_t)count);
    for (uint64_t i = 0; i < count; i++)
        if (decode_any(c, &v->u.list.v[i]) < 0) {
            /* keep the failed item too: it may hold what it decoded before
             * failing (the rest are zeroed: AT_NULL) */
            v->u.list.n = (uint32_t)i + 1;
            c->end = end;
            return -1;
        }
    if (c->p != c->end) {
        c->end = end;
        return fail(c, "compound size does not match its items");
    }
    c->end = end;
    return 0;
}

static const decode_fn decoders[256];

static int dec_array(struct dctx *c, uint8_t code, struct amqp_value *v)
{
    int w = code == C_ARRAY8 ? 1 : 4;
    if (need(c, 2 * (size_t)w + 1) < 0)
        return -1;
    uint64_t size = get_be(c, w);
    uint64_t count = get_be(c, w);
    if (size < (uint64_t)w + 1)
        return fail(c, "array size too small");
    size -= (uint64_t)w;
    if (need(c, size) < 0)
        return -1;
    uint8_t elem = *c->p++;
    size--;
    if (elem == C_DESCRIBED || elem == C_ARRAY8 || elem == C_ARRAY32 || !decoders[elem])
        return fail(c, "unsupported array element constructor");
    if (count > size + 1)
        return fail(c, "more array elements than bytes");
    const uint8_t *end = c->end;
    c->end = c->p + size;
    v->type = AT_ARRAY;
    v->u.list.n = (uint32_t)count;
    v->u.list.v = alloc_values(c, (uint32_t)count);
    for (uint64_t i = 0; i < count; i++) {
        int rc = decoders[elem](c, elem, &v->u.list.v[i]);
        if (rc < 0) {
            v->u.list.n = (uint32_t)i;
            c->end = end;
            return -1;
        }
        v->u.list.elem = v->u.list.v[i].type;
    }
    if (count)
        v->u.list.elem = v->u.list.v[0].type;
    if (c->p != c->end) {
        c->end = end;
        return fail(c, "array size does not match its elements");
    }
    c->end = end;
    return 0;
}

static int dec_described(struct dctx *c, uint8_t code, struct amqp_value *v)
{
    (void)code;
    struct amqp_value *d = alloc_values(c, 2);
    v->type = AT_DESCRIBED;
    v->u.described.desc = &d[0];
    v->u.described.val = &d[1];
    d[0].type = d[1].type = AT_NULL;
    if (decode_any(c, &d[0]) < 0)
        return -1;
    return decode_any(c, &d[1]);
}

/* the decode table, by constructor byte; NULL: not an AMQP constructor */
static const decode_fn decoders[256] = {
    [C_DESCRIBED] = dec_described, [C_NULL] = dec_fixed, [C_TRUE] = dec_fixed,
    [C_FALSE] = dec_fixed, [C_UINT0] = dec_fixed, [C_ULONG0] = dec_fixed, [C_LIST0] = dec_fixed,
    [C_UBYTE] = dec_fixed, [C_BYTE] = dec_fixed, [C_SMALLUINT] = dec_fixed,
    [C_SMALLULONG] = dec_fixed, [C_SMALLINT] = dec_fixed, [C_SMALLLONG] = dec_fixed,
    [C_BOOLEAN] = dec_fixed, [C_USHORT] = dec_fixed, [C_SHORT] = dec_fixed, [C_UINT] = dec_fixed,
    [C_INT] = dec_fixed, [C_FLOAT] = dec_fixed, [C_ULONG] = dec_fixed, [C_LONG] = dec_fixed,
    [C_DOUBLE] = dec_fixed, [C_TIMESTAMP] = dec_fixed, [C_UUID] = dec_fixed,
    [C_VBIN8] = dec_variable, [C_STR8] = dec_variable, [C_SYM8] = dec_variable,
    [C_VBIN32] = dec_variable, [C_STR32] = dec_variable, [C_SYM32] = dec_variable,
    [C_LIST8] = dec_compound, [C_MAP8] = dec_compound, [C_LIST32] = dec_compound,
    [C_MAP32] = dec_compound, [C_ARRAY8] = dec_array, [C_ARRAY32] = dec_array,
};

NOINLINE static int decode_any(struct dctx *c, struct amqp_value *v)
{
    v->type = AT_NULL;
    if (++c->depth > 64) {
        c->depth--;
        return fail(c, "nested too deeply");
    }
    if (need(c, 1) < 0) {
        c->depth--;
        return -1;
    }
    uint8_t code = *c->p++;
    int rc = decoders[code] ? decoders[code](c, code, v) : fail(c, "unknown constructor");
    c->depth--;
    return rc;
}

static void value_free(struct amqp_value *v)
{
    switch (v->type) {
    case AT_BINARY: case AT_STRING: case AT_SYMBOL:
        free((void *)v->u.bin.p);
        break;
    case AT_LIST: case AT_MAP: case AT_ARRAY:
        for (uint32_t i = 0; i < v->u.list.n; i++)
            value_free(&v->u.list.v[i]);
        free(v->u.list.v);
        break;
    case AT_DESCRIBED:
        value_free(v->u.described.desc);
        value_free(v->u.described.val);
        free(v->u.described.desc); /* the pair is one block */
        break;
    default:
        break;
    }
}

static int decode_frame(struct dctx *c, const uint8_t *p, size_t n, struct decoded_frame *f)
{
    memset(f, 0, sizeof(*f));
    if (n < 8)
        return fail(c, "frame shorter than its header");
    uint32_t size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (size != n)
        return fail(c, "frame size does not match");
    if (p[4] < 2 || (size_t)p[4] * 4 > n)
        return fail(c, "bad data offset");
    if (p[5] != 0)
        return fail(c, "not an AMQP frame");
    f->channel = (uint16_t)(p[6] << 8 | p[7]);
    c->p = p + p[4] * 4;
    c->end = p + n;
    struct amqp_value *all = alloc_values(c, 8);
    if (decode_any(c, &all[0]) < 0) {
        f->fields = all;
        f->nsections = 0;
        return -1;
    }
    if (all[0].type != AT_DESCRIBED || all[0].u.described.desc->type != AT_ULONG ||
        all[0].u.described.val->type != AT_LIST) {
        f->fields = all;
        return fail(c, "the body is not a performative");
    }
    f->performative = all[0].u.described.desc->u.u;
    uint32_t k = 1;
    while (c->p < c->end) {
        if (k == 8) {
            f->fields = all;
            f->nsections = k - 1;
            return fail(c, "too many sections");
        }
        if (decode_any(c, &all[k]) < 0) {
            f->fields = all;
            f->nsections = k; /* the partial one too, for freeing */
            return -1;
        }
        k++;
    }
    f->fields = all;
    f->sections = all + 1;
    f->nsections = k - 1;
    return 0;
}

NOINLINE int naive_decode_frame(const uint8_t *p, size_t n, struct decoded_frame *f,
                                const char **err)
{
    struct dctx c = {.naive = true};
    int rc = decode_frame(&c, p, n, f);
    if (rc < 0) {
        *err = c.err;
        naive_decoded_free(f);
    }
    return rc;
}

void naive_decoded_free(struct decoded_frame *f)
{
    if (!f->fields)
        return;
    for (uint32_t i = 0; i <= f->nsections; i++)
        value_free(&f->fields[i]);
    free(f->fields);
    memset(f, 0, sizeof(*f));
}

NOINLINE int tuned_decode_frame(const uint8_t *p, size_t n, struct decoded_frame *f,
                                struct arena *arena, const char **err)
{
    struct dctx c = {.naive = false, .arena = arena};
    int rc = decode_frame(&c, p, n, f);
    if (rc < 0)
        *err = c.err;
    return rc;
}

int tuned_decode_value(const uint8_t *p, size_t n, size_t *used, struct amqp_value *v,
                       struct arena *arena, const char **err)
{
    struct dctx c = {.p = p, .end = p + n, .arena = arena};
    int rc = decode_any(&c, v);
    if (rc < 0)
        *err = c.err;
    *used = (size_t)(c.p - p);
    return rc;
}

/* ----- comparing and reading back ----- */

bool value_equal(const struct amqp_value *a, const struct amqp_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case AT_NULL: return true;
    case AT_BOOL: return a->u.b == b->u.b;
    case AT_UBYTE: case AT_USHORT: case AT_UINT: case AT_ULONG: return a->u.u == b->u.u;
    case AT_BYTE: case AT_SHORT: case AT_INT: case AT_LONG: case AT_TIMESTAMP:
        return a->u.i == b->u.i;
    case AT_FLOAT: return memcmp(&a->u.f, &b->u.f, 4) == 0;
    case AT_DOUBLE: return memcmp(&a->u.d, &b->u.d, 8) == 0;
    case AT_UUID: return memcmp(a->u.uuid, b->u.uuid, 16) == 0;
    case AT_BINARY: case AT_STRING: case AT_SYMBOL:
        return a->u.bin.n == b->u.bin.n && (a->u.bin.n == 0 || memcmp(a->u.bin.p, b->u.bin.p, a->u.bin.n) == 0);
    case AT_LIST: case AT_MAP: case AT_ARRAY:
        if (a->u.list.n != b->u.list.n)
            return false;
        for (uint32_t i = 0; i < a->u.list.n; i++)
            if (!value_equal(&a->u.list.v[i], &b->u.list.v[i]))
                return false;
        return true;
    case AT_DESCRIBED:
        return value_equal(a->u.described.desc, b->u.described.desc) &&
               value_equal(a->u.described.val, b->u.described.val);
    default: return false;
    }
}

static const struct amqp_value *section(const struct decoded_frame *f, uint32_t i, uint64_t code)
{
    if (i >= f->nsections)
        return NULL;
    const struct amqp_value *s = &f->sections[i];
    if (s->type != AT_DESCRIBED || s->u.described.desc->type != AT_ULONG ||
        s->u.described.desc->u.u != code)
        return NULL;
    return s->u.described.val;
}

int message_from_frame(const struct decoded_frame *f, struct message *m, const char **err)
{
    memset(m, 0, sizeof(*m));
    const struct amqp_value *tf = f->fields ? f->fields[0].u.described.val : NULL;
    if (f->performative != D_TRANSFER || !tf || tf->u.list.n < 2 || tf->u.list.v[1].type != AT_UINT) {
        *err = "not a transfer";
        return -1;
    }
    m->delivery_id = (uint32_t)tf->u.list.v[1].u.u;
    const struct amqp_value *hd = section(f, 0, D_HEADER);
    const struct amqp_value *pr = section(f, 2, D_PROPERTIES);
    const struct amqp_value *data = section(f, 4, D_DATA);
    if (!hd || hd->type != AT_LIST || hd->u.list.n < 3 || !pr || pr->type != AT_LIST ||
        pr->u.list.n < 10 || !data || data->type != AT_BINARY) {
        *err = "transfer sections are not header, annotations, properties, app-props, data";
        return -1;
    }
    m->durable = hd->u.list.v[0].u.b;
    m->priority = (uint8_t)hd->u.list.v[1].u.u;
    m->ttl = (uint32_t)hd->u.list.v[2].u.u;
    m->message_id = pr->u.list.v[0].u.u;
    m->correlation_id = pr->u.list.v[5].u.u;
    m->creation_time = pr->u.list.v[9].u.i;
    m->body = data->u.bin.p;
    m->body_len = data->u.bin.n;
    return 0;
}

/* ----- the sample message ----- */

void sample_message(struct message *m, uint32_t i, uint8_t *body, uint32_t body_len)
{
    memset(m, 0, sizeof(*m));
    m->delivery_id = i;
    m->durable = true;
    m->priority = (uint8_t)(i % 10);
    m->ttl = 60000;
    m->annotations[0] = (struct kv){"x-opt-partition-key",
                                    {.type = AT_STRING, .u.bin = {(const uint8_t *)"orders-7", 8}}};
    m->annotations[1] = (struct kv){"x-opt-sequence-number", {.type = AT_LONG, .u.i = (int64_t)i * 7}};
    m->annotations[2] = (struct kv){"x-opt-enqueued-time", {.type = AT_TIMESTAMP, .u.i = 1700000000000LL + i}};
    m->nannotations = 3;
    m->message_id = 1000000ull + i;
    m->to = "/queues/orders";
    m->subject = "order.created";
    m->reply_to = "/queues/order-replies";
    m->correlation_id = i / 2;
    m->content_type = "application/octet-stream";
    m->creation_time = 1700000000000LL + i;
    m->app_props[0] = (struct kv){"customer", {.type = AT_STRING, .u.bin = {(const uint8_t *)"ACME Industries", 15}}};
    m->app_props[1] = (struct kv){"amount", {.type = AT_DOUBLE, .u.d = 19.99 * (i % 100)}};
    m->app_props[2] = (struct kv){"items", {.type = AT_INT, .u.i = (int64_t)(i % 300)}};
    m->app_props[3] = (struct kv){"express", {.type = AT_BOOL, .u.b = (i & 1) != 0}};
    m->app_props[4] = (struct kv){"region", {.type = AT_SYMBOL, .u.bin = {(const uint8_t *)"eu-west", 7}}};
    m->napp_props = 5;
    /* The body is the application's: filled once by the caller; each
     * message stamps its number into the first bytes. */
    for (uint32_t k = 0; k < body_len && k < 4; k++)
        body[k] = (uint8_t)(i >> (8 * k));
    m->body = body;
    m->body_len = body_len;
}

/* ----- single values (for the self-test) ----- */

void tuned_encode(struct buf *b, const struct amqp_value *v)
{
    tuned_encode_value(b, v);
}

void naive_encode(struct buf *b, const struct amqp_value *v)
{
    struct bytes r = naive_encode_value(v);
    struct bytes o = {b->p, b->n};
    o = buf_grow_by_exact(o, r.p, r.n);
    b->p = o.p;
    b->n = b->cap = o.n;
    free(r.p);
}
