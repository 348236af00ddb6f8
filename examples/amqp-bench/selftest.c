/*
 * selftest: the codec's guarantees, checked on random input (fixed seed):
 * naive and tuned frames are byte-identical; decode(encode(x)) == x for
 * values of every type; truncated frames, unknown constructors, sizes past
 * the end and random corruption are rejected or decoded without reading
 * outside the frame (make check runs this under AddressSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amqp.h"

static uint64_t rs = 0x243F6A8885A308D3ULL;

static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "selftest: " __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint8_t pool[100000];

/* A random value of TYPE (compound types nest, up to DEPTH). */
static struct amqp_value random_value(struct arena *a, enum amqp_type t, int depth)
{
    struct amqp_value v = {.type = t};
    switch (t) {
    case AT_NULL: break;
    case AT_BOOL: v.u.b = rnd() & 1; break;
    case AT_UBYTE: v.u.u = rnd() & 0xff; break;
    case AT_BYTE: v.u.i = (int8_t)rnd(); break;
    case AT_USHORT: v.u.u = rnd() & 0xffff; break;
    case AT_SHORT: v.u.i = (int16_t)rnd(); break;
    case AT_UINT: v.u.u = rnd() % 3 == 0 ? 0 : rnd() % 2 ? rnd() & 0xff : (uint32_t)rnd(); break;
    case AT_INT: v.u.i = rnd() % 2 ? (int8_t)rnd() : (int32_t)rnd(); break;
    case AT_ULONG: v.u.u = rnd() % 3 == 0 ? 0 : rnd() % 2 ? rnd() & 0xff : rnd(); break;
    case AT_LONG: v.u.i = rnd() % 2 ? (int8_t)rnd() : (int64_t)rnd(); break;
    case AT_FLOAT: v.u.f = (float)(int32_t)rnd() / 7.0f; break;
    case AT_DOUBLE: v.u.d = (double)(int64_t)rnd() / 3.0; break;
    case AT_TIMESTAMP: v.u.i = (int64_t)(rnd() >> 20); break;
    case AT_UUID: for (int i = 0; i < 16; i++) v.u.uuid[i] = (uint8_t)rnd(); break;
    case AT_BINARY: case AT_STRING: case AT_SYMBOL: {
        uint32_t n = rnd() % 4 == 0 ? 256 + (uint32_t)(rnd() % 2000) : (uint32_t)(rnd() % 256);
        v.u.bin.p = pool + rnd() % (sizeof(pool) - n);
        v.u.bin.n = n;
        break;
    }
    case AT_LIST: case AT_MAP: {
        uint32_t n = depth <= 0 ? 0 : rnd() % 8 == 0 ? 256 + (uint32_t)(rnd() % 50) : (uint32_t)(rnd() % 6);
        if (t == AT_MAP)
            n *= 2;
        if (t == AT_MAP && n == 0)
            n = 2;
        v.u.list.n = n;
        v.u.list.v = arena_alloc(a, sizeof(struct amqp_value) * (n ? n : 1));
        for (uint32_t i = 0; i < n; i++)
            v.u.list.v[i] = random_value(a, (enum amqp_type)(rnd() % (depth > 1 ? AT_COUNT : AT_LIST)), depth - 1);
        break;
    }
    case AT_ARRAY: {
        static const enum amqp_type elems[] = {AT_BOOL, AT_UBYTE, AT_USHORT, AT_UINT, AT_INT,
                                               AT_ULONG, AT_LONG, AT_DOUBLE, AT_UUID,
                                               AT_STRING, AT_SYMBOL, AT_BINARY};
        enum amqp_type e = elems[rnd() % (sizeof(elems) / sizeof(elems[0]))];
        uint32_t n = 1 + (uint32_t)(rnd() % (rnd() % 5 == 0 ? 300 : 8));
        v.u.list.n = n;
        v.u.list.elem = e;
        v.u.list.v = arena_alloc(a, sizeof(struct amqp_value) * n);
        for (uint32_t i = 0; i < n; i++) {
            v.u.list.v[i] = random_value(a, e, 0);
            /* array elements take the full-width form */
            if (e == AT_UINT || e == AT_ULONG)
                v.u.list.v[i].u.u = e == AT_UINT ? (uint32_t)rnd() : rnd();
        }
        break;
    }
    case AT_DESCRIBED: {
        struct amqp_value *d = arena_alloc(a, 2 * sizeof(struct amqp_value));
        d[0] = (struct amqp_value){.type = AT_ULONG, .u.u = rnd() & 0xffff};
        d[1] = random_value(a, (enum amqp_type)(rnd() % AT_DESCRIBED), depth - 1);
        v.u.described.desc = &d[0];
        v.u.described.val = &d[1];
        break;
    }
    default: break;
    }
    return v;
}

static void test_values(void)
{
    int checked = 0;
    for (int round = 0; round < 3000; round++) {
        struct arena a = {0}, d = {0};
        enum amqp_type t = (enum amqp_type)(round % AT_COUNT);
        struct amqp_value v = random_value(&a, t, 3);
        struct buf tb = {0}, nb = {0};
        tuned_encode(&tb, &v);
        naive_encode(&nb, &v);
        CHECK(tb.n == nb.n && memcmp(tb.p, nb.p, tb.n) == 0,
              "type %d: naive and tuned encodings differ", t);
        struct amqp_value back;
        size_t used;
        const char *err = NULL;
        int rc = tuned_decode_value(tb.p, tb.n, &used, &back, &d, &err);
        CHECK(rc == 0 && used == tb.n, "type %d: decode failed: %s", t, err ? err : "size");
        CHECK(rc != 0 || value_equal(&v, &back), "type %d: decode(encode(x)) != x", t);
        checked++;
        free(tb.p);
        free(nb.p);
        arena_free(&a);
        arena_free(&d);
    }
    printf("selftest: %d random values of all %d types round-trip, naive == tuned bytes\n",
           checked, AT_COUNT);
}

static void test_frames(void)
{
    static const uint32_t sizes[] = {0, 1, 100, 255, 256, 1024, 70000};
    uint8_t *body = malloc(70000);
    int n = 0;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (uint32_t i = 0; i < 200; i++) {
            struct message m;
            sample_message(&m, i * 977, body, sizes[s]);
            m.nannotations = (int)(i % 4);
            m.napp_props = (int)(i % 6);
            if (i % 7 == 0)
                m.subject = NULL;
            struct buf t = {0}, nv = {0};
            tuned_encode_transfer(&t, &m, (uint16_t)i);
            naive_encode_transfer(&nv, &m, (uint16_t)i);
            CHECK(t.n == nv.n && memcmp(t.p, nv.p, t.n) == 0,
                  "frame %u (body %u): naive and tuned bytes differ", i, sizes[s]);
            struct decoded_frame f;
            const char *err = NULL;
            struct message back;
            CHECK(naive_decode_frame(t.p, t.n, &f, &err) == 0 && message_from_frame(&f, &back, &err) == 0 &&
                      back.delivery_id == m.delivery_id && back.body_len == m.body_len &&
                      (m.body_len == 0 || memcmp(back.body, m.body, m.body_len) == 0) &&
                      back.message_id == m.message_id && back.ttl == m.ttl,
                  "frame %u: naive decode: %s", i, err ? err : "mismatch");
            naive_decoded_free(&f);
            struct arena a = {0};
            CHECK(tuned_decode_frame(t.p, t.n, &f, &a, &err) == 0 &&
                      message_from_frame(&f, &back, &err) == 0 && back.body_len == m.body_len,
                  "frame %u: tuned decode: %s", i, err ? err : "mismatch");
            arena_free(&a);
            free(t.p);
            free(nv.p);
            n++;
        }
    free(body);
    printf("selftest: %d transfer frames identical from both encoders and decoded by both\n", n);
}

/* Decode BYTES with both decoders; true when both reject it. */
static bool rejected(const uint8_t *p, size_t n, const char **why)
{
    struct decoded_frame f;
    struct arena a = {0};
    const char *e1 = NULL, *e2 = NULL;
    int r1 = naive_decode_frame(p, n, &f, &e1);
    if (r1 == 0)
        naive_decoded_free(&f);
    int r2 = tuned_decode_frame(p, n, &f, &a, &e2);
    arena_free(&a);
    *why = e1 ? e1 : e2;
    return r1 < 0 && r2 < 0;
}

static void set_size(uint8_t *p, uint32_t n)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(n >> (8 * (3 - i)));
}

static void test_malformed(void)
{
    uint8_t body[300];
    struct message m;
    sample_message(&m, 42, body, sizeof(body));
    struct buf t = {0};
    tuned_encode_transfer(&t, &m, 0);
    const char *why;
    int cut = 0, mutated = 0;
    /* every truncation, with the size field telling the truth about the cut:
     * only a cut between whole sections may decode (then fewer sections) */
    for (size_t n = 0; n < t.n; n++) {
        uint8_t *p = malloc(n ? n : 1); /* exactly N bytes: ASan sees any overread */
        memcpy(p, t.p, n);
        if (n >= 4)
            set_size(p, (uint32_t)n);
        struct decoded_frame f;
        struct arena a = {0};
        const char *err = NULL;
        int rc = tuned_decode_frame(p, n, &f, &a, &err);
        struct message back;
        CHECK(rc < 0 || message_from_frame(&f, &back, &err) < 0,
              "a frame cut to %zu of %zu bytes decoded as a whole message", n, t.n);
        arena_free(&a);
        rejected(p, n, &why);
        free(p);
        cut++;
    }
    /* unknown constructors */
    uint8_t unk[] = {0, 0, 0, 12, 2, 0, 0, 0, 0x00, 0x53, 0x14, 0x01};
    CHECK(rejected(unk, sizeof(unk), &why) && !strcmp(why, "unknown constructor"),
          "unknown constructor 0x01 not rejected (%s)", why);
    /* sizes past the end: a vbin32 claiming 4 GiB, a list32 claiming more */
    uint8_t big[] = {0, 0, 0, 17, 2, 0, 0, 0, 0x00, 0x53, 0x14, 0xb0, 0xff, 0xff, 0xff, 0xff, 0x41};
    CHECK(rejected(big, sizeof(big), &why), "vbin32 past the end not rejected");
    uint8_t lst[] = {0, 0, 0, 19, 2, 0, 0, 0, 0x00, 0x53, 0x14, 0xd0, 0, 0, 1, 0, 0, 0, 9};
    CHECK(rejected(lst, sizeof(lst), &why), "list32 past the end not rejected");
    uint8_t odd[] = {0, 0, 0, 14, 2, 0, 0, 0, 0x00, 0x53, 0x14, 0xc1, 1, 1};
    CHECK(rejected(odd, sizeof(odd), &why), "map with an odd count not rejected");
    uint8_t deep[8 + 3 + 200];
    memcpy(deep, (uint8_t[]){0, 0, 0, sizeof(deep), 2, 0, 0, 0, 0x00, 0x53, 0x14}, 11);
    memset(deep + 11, 0x00, 200); /* described in described in ... */
    CHECK(rejected(deep, sizeof(deep), &why), "unbounded nesting not rejected");
    /* random corruption: any outcome but a crash or an overread */
    for (int i = 0; i < 20000; i++) {
        uint8_t *p = malloc(t.n);
        memcpy(p, t.p, t.n);
        for (int k = 0; k < 1 + (int)(rnd() % 4); k++)
            p[8 + rnd() % (t.n - 8)] = (uint8_t)rnd();
        rejected(p, t.n, &why);
        free(p);
        mutated++;
    }
    free(t.p);
    printf("selftest: %d truncations, 5 malformed frames and %d corrupted frames handled\n", cut,
           mutated);
}

int selftest(void)
{
    for (size_t i = 0; i < sizeof(pool); i++)
        pool[i] = (uint8_t)rnd();
    test_values();
    test_frames();
    test_malformed();
    printf("selftest: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
