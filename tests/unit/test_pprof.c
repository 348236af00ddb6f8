/* pprof: the writer read back (kinds, modules, counts, seconds), and the
 * reader on hand-built messages: inlined lines, unsymbolised locations,
 * sample types and units, and hostile messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "helpers.h"
#include "profile.pb-c.h"
#include "tprof/export.h"

static char *write_pprof(const struct profile *p, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_true(pprof_write(p, f) >= 0);
    fclose(f);
    return buf;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t r = frames_intern(fr, "prog", 4, FRAME_USER, "");
    uint32_t m = frames_intern(fr, "main", 4, FRAME_USER, "prog");
    uint32_t k = frames_intern(fr, "vfs_read", 8, FRAME_KERNEL, "[kernel.kallsyms]");
    uint32_t c = frames_intern(fr, "memcpy", 6, FRAME_USER, "libc.so.6");
    profile_add_stack(p, (uint32_t[]){r, m, k}, 3, 2);
    profile_add_stack(p, (uint32_t[]){r, m, c}, 3, 5);
    profile_add_stack(p, (uint32_t[]){r, m}, 2, 1);
    size_t len;
    char *buf = write_pprof(p, &len);
    assert_true(len > 2 && (unsigned char)buf[0] == 0x1f);
    assert_true(pprof_detect(buf, len));
    /* text that starts with a blank line (0x0a) is not a raw message */
    assert_false(pprof_detect("\nmain;f 1\n", 10));
    assert_true(pprof_detect("\n\x02\x08\x01\x32\x00", 6));
    char note[256], err[256];
    struct profile *q = pprof_read(buf, len, NULL, note, sizeof(note), err, sizeof(err));
    assert_non_null(q);
    assert_string_equal(note, "");
    char *text = folded_text(q);
    assert_string_equal(text, "prog;main 1\nprog;main;memcpy 5\nprog;main;vfs_read_[k] 2\n");
    const struct frames *qf = profile_frames_const(q);
    assert_int_not_equal(frames_find(qf, "vfs_read", FRAME_KERNEL, "[kernel.kallsyms]"), UINT32_MAX);
    assert_int_not_equal(frames_find(qf, "memcpy", FRAME_USER, "libc.so.6"), UINT32_MAX);
    free(text);
    free(buf);
    profile_free(q);
    /* seconds: cpu/nanoseconds, read back as seconds */
    profile_set_unit(p, PROFILE_SECONDS);
    buf = write_pprof(p, &len);
    q = pprof_read(buf, len, NULL, note, sizeof(note), err, sizeof(err));
    assert_non_null(q);
    assert_int_equal(profile_unit(q), PROFILE_SECONDS);
    assert_true(profile_total(q) > 8 - 1e-9 && profile_total(q) < 8 + 1e-9);
    free(buf);
    profile_free(q);
    profile_free(p);
}

/* A recording's roots (a thread each) are written as the samples' labels
 * comm, pid and tid, not as locations, and come back as roots. */
static void test_roots_as_labels(void **state)
{
    (void)state;
    struct profile *p = profile_new();
    struct frames *fr = profile_frames(p);
    uint32_t t1 = frames_intern(fr, "amqp-bench-100/101", 18, FRAME_ROOT, "");
    uint32_t t2 = frames_intern(fr, "amqp-bench-100/102", 18, FRAME_ROOT, "");
    uint32_t pr = frames_intern(fr, "sh-7", 4, FRAME_ROOT, "");
    uint32_t cm = frames_intern(fr, "cron", 4, FRAME_ROOT, "");
    uint32_t m = frames_intern(fr, "main", 4, FRAME_USER, "amqp-bench");
    profile_add_stack(p, (uint32_t[]){t1, m}, 2, 3);
    profile_add_stack(p, (uint32_t[]){t2, m}, 2, 4);
    profile_add_stack(p, (uint32_t[]){pr, m}, 2, 1);
    profile_add_stack(p, (uint32_t[]){cm, m}, 2, 2);
    size_t len;
    char *buf = write_pprof(p, &len);
    char note[256], err[256];
    struct profile *q = pprof_read(buf, len, NULL, note, sizeof(note), err, sizeof(err));
    assert_non_null(q);
    char *text = folded_text(q);
    assert_string_equal(text, "amqp-bench-100/101;main 3\namqp-bench-100/102;main 4\n"
                              "cron;main 2\nsh-7;main 1\n");
    assert_int_not_equal(frames_find(profile_frames_const(q), "cron", FRAME_ROOT, ""),
                         UINT32_MAX);
    free(text);
    profile_free(q);
    /* the message itself: samples have no location for their root, but
     * labels */
    size_t raw_len;
    uint8_t *raw = NULL;
    {
        z_stream z = {0};
        raw = malloc(1 << 20);
        assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
        z.next_in = (Bytef *)buf;
        z.avail_in = (uInt)len;
        z.next_out = raw;
        z.avail_out = 1 << 20;
        assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
        raw_len = z.total_out;
        inflateEnd(&z);
    }
    Perftools__Profiles__Profile *msg =
        perftools__profiles__profile__unpack(NULL, raw_len, raw);
    assert_non_null(msg);
    size_t with_tid = 0;
    for (size_t i = 0; i < msg->n_sample; i++) {
        assert_int_equal(msg->sample[i]->n_location_id, 1);
        for (size_t k = 0; k < msg->sample[i]->n_label; k++)
            with_tid += strcmp(msg->string_table[msg->sample[i]->label[k]->key], "tid") == 0;
    }
    assert_int_equal(with_tid, 2);
    perftools__profiles__profile__free_unpacked(msg, NULL);
    free(raw);
    free(buf);
    profile_free(p);
}

/* A message built by hand: strings, two sample types, a location with an
 * inlined function, one with no line (a mapping only). */
struct msg {
    Perftools__Profiles__Profile pr;
    Perftools__Profiles__ValueType vt[2], *vtp[2];
    Perftools__Profiles__Sample s[2], *sp[2];
    uint64_t ids0[2], ids1[1];
    int64_t v0[2], v1[2];
    Perftools__Profiles__Location l[2], *lp[2];
    Perftools__Profiles__Line ln[2], *lnp[2];
    Perftools__Profiles__Function f[2], *fp[2];
    Perftools__Profiles__Mapping map, *mapp[1];
    char *strings[9];
};

static void build(struct msg *m)
{
    static const char *const S[] = {"",         "samples", "count", "cpu",        "nanoseconds",
                                    "inlined",  "caller",  "/usr/lib/libx.so", "x"};
    memset(m, 0, sizeof(*m));
    perftools__profiles__profile__init(&m->pr);
    for (int i = 0; i < 9; i++)
        m->strings[i] = (char *)S[i];
    m->pr.n_string_table = 9;
    m->pr.string_table = m->strings;
    for (int i = 0; i < 2; i++) {
        perftools__profiles__value_type__init(&m->vt[i]);
        m->vt[i].type = i ? 3 : 1;
        m->vt[i].unit = i ? 4 : 2;
        m->vtp[i] = &m->vt[i];
        perftools__profiles__function__init(&m->f[i]);
        m->f[i].id = 10 + (uint64_t)i;
        m->f[i].name = 5 + i;
        m->fp[i] = &m->f[i];
        perftools__profiles__line__init(&m->ln[i]);
        m->ln[i].function_id = 10 + (uint64_t)i; /* line[0] inlined into line[1] */
        m->lnp[i] = &m->ln[i];
        perftools__profiles__location__init(&m->l[i]);
        m->l[i].id = 100 + (uint64_t)i;
        m->lp[i] = &m->l[i];
        perftools__profiles__sample__init(&m->s[i]);
        m->sp[i] = &m->s[i];
    }
    m->pr.n_sample_type = 2;
    m->pr.sample_type = m->vtp;
    m->pr.n_function = 2;
    m->pr.function = m->fp;
    m->l[0].n_line = 2;
    m->l[0].line = m->lnp;
    perftools__profiles__mapping__init(&m->map);
    m->map.id = 7;
    m->map.filename = 7;
    m->mapp[0] = &m->map;
    m->pr.n_mapping = 1;
    m->pr.mapping = m->mapp;
    m->l[1].mapping_id = 7; /* no line */
    m->l[1].address = 0x1234;
    m->pr.n_location = 2;
    m->pr.location = m->lp;
    /* sample 0: l[1] (leaf, unsymbolised) called from l[0]; sample 1: l[0] */
    m->ids0[0] = 101, m->ids0[1] = 100;
    m->s[0].n_location_id = 2, m->s[0].location_id = m->ids0;
    m->v0[0] = 3, m->v0[1] = 3000000000;
    m->s[0].n_value = 2, m->s[0].value = m->v0;
    m->ids1[0] = 100;
    m->s[1].n_location_id = 1, m->s[1].location_id = m->ids1;
    m->v1[0] = 1, m->v1[1] = 1000000000;
    m->s[1].n_value = 2, m->s[1].value = m->v1;
    m->pr.n_sample = 2;
    m->pr.sample = m->sp;
}

static struct profile *read_msg(struct msg *m, const char *type, char *err)
{
    size_t len = perftools__profiles__profile__get_packed_size(&m->pr);
    uint8_t *buf = malloc(len + 1);
    perftools__profiles__profile__pack(&m->pr, buf);
    char note[256];
    struct profile *p = pprof_read(buf, len, type, note, sizeof(note), err, 256);
    free(buf);
    return p;
}

static void test_hand_built(void **state)
{
    (void)state;
    struct msg m;
    char err[256] = "";
    build(&m);
    struct profile *p = read_msg(&m, NULL, err);
    if (!p)
        fail_msg("%s", err);
    char *text = folded_text(p);
    /* the last sample type (cpu, seconds); the caller before the inlined,
     * which is of kind inlined */
    assert_int_equal(profile_unit(p), PROFILE_SECONDS);
    assert_string_equal(text, "caller;inlined_[i] 1\ncaller;inlined_[i];[libx.so] 3\n");
    free(text);
    profile_free(p);
    p = read_msg(&m, "samples", err);
    assert_non_null(p);
    assert_int_equal(profile_unit(p), PROFILE_SAMPLES);
    assert_true(profile_total(p) == 4);
    profile_free(p);
    assert_null(read_msg(&m, "alloc_space", err));
    assert_string_equal(err, "--sample-type alloc_space: the file's types are samples, cpu");
}

static void test_hostile_messages(void **state)
{
    (void)state;
    struct msg m;
    char err[256];
    build(&m);
    m.l[1].id = 100; /* duplicate */
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "location id 100 is not unique");
    build(&m);
    m.ids0[0] = 555;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "sample 1 names location 555, which is not in the file");
    build(&m);
    m.ln[1].function_id = 99;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "location 100 names function 99, which is not in the file");
    build(&m);
    m.f[0].name = 1000;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "function 10 names a string past the table");
    build(&m);
    m.s[1].n_value = 1;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "sample 2 has 1 values for 2 sample types");
    build(&m);
    m.strings[0] = (char *)"x";
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "its string table does not start with \"\"");
    char note[64];
    assert_null(pprof_read("\x0a\xff\xff", 3, NULL, note, sizeof(note), err, sizeof(err)));
    assert_string_equal(err, "not a profile.proto message");
    assert_null(pprof_read("\x1f\x8b\x08\x00", 4, NULL, note, sizeof(note), err, sizeof(err)));
    assert_non_null(strstr(err, "gzip data"));
}

/* Labels that name strings past the table: one line, no crash. */
static void test_hostile_labels(void **state)
{
    (void)state;
    struct msg m;
    char err[256];
    Perftools__Profiles__Label lb, *lbp = &lb;
    for (int which = 0; which < 2; which++) {
        build(&m);
        perftools__profiles__label__init(&lb);
        lb.key = which ? 3 : 1000;
        lb.str = which ? 1000 : 3;
        m.s[0].n_label = 1;
        m.s[0].label = &lbp;
        assert_null(read_msg(&m, NULL, err));
        assert_string_equal(err, "sample 1 has a label naming a string past the table");
    }
}

/* The work bounds: a location with too many lines, a sample too deep, all
 * samples naming too many frames, a gzip that inflates too far. */
static void test_bounds(void **state)
{
    (void)state;
    struct msg m;
    char err[256];
    /* 1025 lines of the same function */
    size_t nl = 1025;
    Perftools__Profiles__Line *lines = calloc(nl, sizeof(*lines)), **lp = calloc(nl, sizeof(*lp));
    for (size_t i = 0; i < nl; i++) {
        perftools__profiles__line__init(&lines[i]);
        lines[i].function_id = 10;
        lp[i] = &lines[i];
    }
    build(&m);
    m.l[0].n_line = nl;
    m.l[0].line = lp;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "location 100 has 1025 lines (inlined functions), more than 1024");
    /* 1024 lines named 65 times: 66,560 frames */
    size_t nid = 65;
    uint64_t *ids = calloc(nid, sizeof(*ids));
    for (size_t i = 0; i < nid; i++)
        ids[i] = 100;
    build(&m);
    m.l[0].n_line = 1024;
    m.l[0].line = lp;
    m.s[1].n_location_id = nid;
    m.s[1].location_id = ids;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "sample 2 is deeper than 65536 frames");
    /* 64 times (65,536 frames) in each of 257 samples: more than 16M */
    size_t ns = 257;
    Perftools__Profiles__Sample *ss = calloc(ns, sizeof(*ss)), **ssp = calloc(ns, sizeof(*ssp));
    for (size_t i = 0; i < ns; i++) {
        ss[i] = m.s[1];
        ss[i].n_location_id = 64;
        ssp[i] = &ss[i];
    }
    m.pr.n_sample = ns;
    m.pr.sample = ssp;
    assert_null(read_msg(&m, NULL, err));
    assert_string_equal(err, "its samples name more than 16777216 frames in all (64 per byte of "
                             "the message)");
    m.pr.n_sample = 256;
    struct profile *p = read_msg(&m, NULL, err);
    assert_non_null(p);
    profile_free(p);
    free(ss);
    free(ssp);
    free(ids);
    free(lines);
    free(lp);
    /* before unpacking: 4M + 1 empty samples (2 bytes each; protobuf-c
     * would allocate ~100 bytes for each), then one sample of 32M + 1
     * packed location ids (8 bytes each once unpacked) */
    size_t ns2 = ((size_t)4 << 20) + 1;
    uint8_t *raw = malloc(2 * ns2);
    for (size_t i = 0; i < ns2; i++)
        raw[2 * i] = 0x12, raw[2 * i + 1] = 0;
    char note2[64];
    assert_null(pprof_read(raw, 2 * ns2, NULL, note2, sizeof(note2), err, sizeof(err)));
    assert_string_equal(err, "it holds more than 4194304 samples, locations, functions and "
                             "strings, or 33554432 location ids, in all: more than tprof reads");
    free(raw);
    size_t nid2 = ((size_t)32 << 20) + 1, at = 0;
    raw = calloc(1, nid2 + 16);
    raw[at++] = 0x12; /* sample, its length: 1 + 4 + nid2 */
    for (uint64_t v = 1 + 4 + nid2; v; v >>= 7)
        raw[at++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
    raw[at++] = 0x0a; /* location_id, packed, its length in 4 bytes */
    raw[at++] = (uint8_t)(0x80 | (nid2 & 0x7f));
    raw[at++] = (uint8_t)(0x80 | ((nid2 >> 7) & 0x7f));
    raw[at++] = (uint8_t)(0x80 | ((nid2 >> 14) & 0x7f));
    raw[at++] = (uint8_t)((nid2 >> 21) & 0x7f);
    memset(raw + at, 1, nid2);
    assert_null(pprof_read(raw, at + nid2, NULL, note2, sizeof(note2), err, sizeof(err)));
    assert_non_null(strstr(err, "33554432 location ids"));
    free(raw);
    /* 65 MiB of zeros, gzipped (~64 KiB): more than 64 MiB for any file */
    size_t big = (size_t)65 << 20;
    uint8_t *zeros = calloc(1, big), *gz = malloc(big / 100);
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = zeros;
    z.avail_in = (uInt)big;
    z.next_out = gz;
    z.avail_out = (uInt)(big / 100);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gl = z.total_out;
    deflateEnd(&z);
    char note[64];
    assert_null(pprof_read(gz, gl, NULL, note, sizeof(note), err, sizeof(err)));
    assert_string_equal(err, "it inflates to more than 64 MiB (64 times its size, 64 MiB for any "
                             "file, at most)");
    free(zeros);
    free(gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_roots_as_labels),
        cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_hostile_messages),
        cmocka_unit_test(test_hostile_labels),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
