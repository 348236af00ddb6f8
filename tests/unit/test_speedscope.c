/* speedscope: the writer's document, and the reader on sampled and evented
 * profiles, units, and hostile documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"
#include "tprof/export.h"

static char *render(const struct profile *p, long *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *n = speedscope_write(p, "t\xff.folded", f);
    fclose(f);
    return buf;
}

static void test_write_then_read(void **state)
{
    (void)state;
    const char *text = "prog;main;a 3\nprog;main;vfs_read_[k] 2\nprog;main 1\n";
    struct profile *p = profile_from(text);
    long n;
    char *doc = render(p, &n);
    assert_int_equal(n, 3);
    assert_non_null(strstr(doc, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
    assert_non_null(strstr(doc, "\"unit\":\"none\""));
    assert_non_null(strstr(doc, "\"endValue\":6"));
    assert_non_null(strstr(doc, "{\"name\":\"vfs_read_[k]\"}"));
    assert_non_null(strstr(doc, "\"name\":\"t\xef\xbf\xbd.folded\"")); /* bad UTF-8 replaced */
    char err[256], note[256];
    struct profile *q = speedscope_read(doc, strlen(doc), -1, note, sizeof(note), err, sizeof(err));
    assert_non_null(q);
    assert_string_equal(note, "");
    char *back = folded_text(q);
    assert_string_equal(back, "prog;main 1\nprog;main;a 3\nprog;main;vfs_read_[k] 2\n");
    /* the kernel kind came back from the suffix */
    assert_int_not_equal(frames_find(profile_frames_const(q), "vfs_read", FRAME_KERNEL, ""),
                         UINT32_MAX);
    free(back);
    free(doc);
    profile_free(q);
    profile_free(p);
}

static struct profile *read_doc(const char *doc, int which, char *err)
{
    char note[256];
    return speedscope_read(doc, strlen(doc), which, note, sizeof(note), err, 256);
}

#define HEAD "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","

static void test_units_and_positions(void **state)
{
    (void)state;
    char err[256];
    struct profile *p = read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\",\"file\":\"x.py\","
                                      "\"line\":3}]},\"profiles\":[{\"type\":\"sampled\","
                                      "\"unit\":\"microseconds\",\"samples\":[[0],[0]],"
                                      "\"weights\":[1500,500]}]}",
                                 -1, err);
    assert_non_null(p);
    assert_int_equal(profile_unit(p), PROFILE_SECONDS);
    assert_true(profile_total(p) > 0.002 - 1e-12 && profile_total(p) < 0.002 + 1e-12);
    assert_int_not_equal(frames_find(profile_frames_const(p), "f (x.py:3)", FRAME_PYTHON, ""),
                         UINT32_MAX);
    profile_free(p);
}

/* Evented: time between events to the stack open then, nested opens and
 * reopens (each event adds to the innermost open node; totals once). */
static void test_evented_nesting(void **state)
{
    (void)state;
    char err[256];
    struct profile *p = read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
                                      "\"profiles\":[{\"type\":\"evented\",\"unit\":\"none\","
                                      "\"startValue\":0,\"endValue\":7,\"events\":["
                                      "{\"type\":\"O\",\"frame\":0,\"at\":0},"
                                      "{\"type\":\"O\",\"frame\":1,\"at\":1},"
                                      "{\"type\":\"C\",\"frame\":1,\"at\":3},"
                                      "{\"type\":\"O\",\"frame\":1,\"at\":4},"
                                      "{\"type\":\"O\",\"frame\":0,\"at\":4.5},"
                                      "{\"type\":\"C\",\"frame\":0,\"at\":4.75},"
                                      "{\"type\":\"C\",\"frame\":1,\"at\":5},"
                                      "{\"type\":\"C\",\"frame\":0,\"at\":7}]}]}",
                                 -1, err);
    if (!p)
        fail_msg("%s", err);
    char *text = folded_text(p);
    assert_string_equal(text, "a 4\na;b 2.75\na;b;a 0.25\n");
    assert_true(profile_total(p) == 7);
    free(text);
    profile_free(p);
}

static void test_hostile_documents(void **state)
{
    (void)state;
    /* a weight far past any integer: written as a real (its range is
     * checked before any cast: UBSan stopped the writer there) */
    struct profile *big = profile_from("f 1\n");
    profile_add_at(big, profile_child(big, PROFILE_ROOT, 0), 1e308);
    long nb;
    char *bdoc = render(big, &nb);
    if (!strstr(bdoc, "\"weights\":[1e308]"))
        fail_msg("%s", bdoc);
    free(bdoc);
    profile_free(big);
    char err[256];
    assert_null(read_doc("{\"shared\":", -1, err));
    assert_non_null(strstr(err, "not valid JSON at line 1"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[]},\"profiles\":[]}", -1, err));
    assert_non_null(strstr(err, "no profiles"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"sampled\",\"samples\":[[0,7]],\"weights\":[1]}]}",
                         -1, err));
    assert_non_null(strstr(err, "sample 1 names frame 7, not in the frame table"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"sampled\",\"samples\":[[0]],\"weights\":[1,2]}]}",
                         -1, err));
    assert_non_null(strstr(err, "1 samples but 2 weights"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"evented\",\"events\":[{\"type\":\"O\",\"frame\":0,\"at\":5},"
                              "{\"type\":\"C\",\"frame\":0,\"at\":4}]}]}",
                         -1, err));
    assert_non_null(strstr(err, "event 2 goes back in time"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"sampled\",\"samples\":[],\"weights\":[]}]}",
                         3, err));
    assert_non_null(strstr(err, "--profile 3: the file has 1 profiles"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"sampled\",\"samples\":\"x\",\"weights\":[1]}]}",
                         -1, err));
    assert_non_null(strstr(err, "no samples array"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{\"name\":\"f\"}]},\"profiles\":[{\"type\":"
                              "\"sampled\",\"samples\":[[\"0\"]],\"weights\":[1]}]}",
                         -1, err));
    assert_non_null(strstr(err, "sample 1 holds something other than a frame index"));
    assert_null(read_doc(HEAD "\"shared\":{\"frames\":[{}]},\"profiles\":[{\"type\":\"sampled\"}]}",
                         -1, err));
    assert_non_null(strstr(err, "frame 0 has no name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_units_and_positions),
        cmocka_unit_test(test_evented_nesting),
        cmocka_unit_test(test_hostile_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
