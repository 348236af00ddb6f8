/*
 * speedscope: the JSON file speedscope.app opens, written and read (its schema: the npm
 * package's dist/release/file-format-schema.json). One sampled profile: a
 * sample per stack of the tree (a node with self weight), frame indices
 * root first, its weight; frames named as in folded output (kernel and JIT
 * frames keep their _[k]/_[j] suffix, so a file read back keeps kinds),
 * their module as "file" where known. Built with jansson.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tprof/export.h"
#include "tprof/folded.h"
#include "tprof/utf8.h"
#include "tprof/xalloc.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* The reader's work bounds, each proportional to its input: the file at
 * most 1 GiB (import.c) and at most SPEEDSCOPE_MAX_VALUES JSON values, which
 * jansson holds at about 75 bytes each (1.2 GB at most); a sample's frames
 * and an evented profile's events are each taken once (an event goes to
 * the innermost open node, never re-walking the open stack), so the work is
 * linear in the values read. */
#define SPEEDSCOPE_MAX_VALUES ((size_t)16 << 20)

/* TEXT as a JSON string: jansson takes only valid UTF-8, so a byte that is
 * not (a symbol from a hostile binary) becomes U+FFFD. */
static json_t *jstr(const char *text)
{
    json_t *s = json_string(text);
    if (s)
        return s;
    size_t n = strlen(text);
    char *c = xmalloc(3 * n + 1), *w = c;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len) {
            memcpy(w, p + i, len);
            w += len;
            i += len;
        } else {
            memcpy(w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    *w = '\0';
    s = json_string(c);
    free(c);
    return s;
}

/* A weight: an integer when it is one (sample counts), else a real. */
static json_t *jnum(double v)
{
    /* (the range first: a cast of a double out of range is undefined) */
    if (v < 9007199254740992.0 && v > -9007199254740992.0 && v == (double)(long long)v)
        return json_integer((json_int_t)v);
    return json_real(v);
}

struct sampled {
    json_t *samples, *weights;
    long count;
};

static void add_sample(void *arg, const uint32_t *frames, size_t n, double self)
{
    struct sampled *sm = arg;
    json_t *s = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(s, json_integer(frames[i]));
    json_array_append_new(sm->samples, s);
    json_array_append_new(sm->weights, jnum(self));
    sm->count++;
}

long speedscope_write(const struct profile *p, const char *title, FILE *out)
{
    const struct frames *fr = profile_frames_const(p);
    json_t *frames = json_array();
    size_t nf = frames_count(fr);
    for (size_t i = 0; i < nf; i++) {
        const struct frame *f = frames_get(fr, (uint32_t)i);
        char *name = xasprintf("%s%s", f->name, frames_kind_suffix(f->kind));
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(name));
        if (*f->module)
            json_object_set_new(o, "file", jstr(f->module));
        json_array_append_new(frames, o);
        free(name);
    }
    struct sampled sm = {json_array(), json_array(), 0};
    profile_each_stack(p, add_sample, &sm);
    json_t *samples = sm.samples, *weights = sm.weights;
    long count = sm.count;
    json_t *prof = json_object();
    json_object_set_new(prof, "type", json_string("sampled"));
    json_object_set_new(prof, "name", jstr(title));
    json_object_set_new(prof, "unit",
                        json_string(profile_unit(p) == PROFILE_SECONDS ? "seconds" : "none"));
    json_object_set_new(prof, "startValue", json_integer(0));
    json_object_set_new(prof, "endValue", jnum(profile_total(p)));
    json_object_set_new(prof, "samples", samples);
    json_object_set_new(prof, "weights", weights);
    json_t *doc = json_object();
    json_object_set_new(doc, "$schema", json_string(SCHEMA));
    json_t *shared = json_object();
    json_object_set_new(shared, "frames", frames);
    json_object_set_new(doc, "shared", shared);
    json_t *profiles = json_array();
    json_array_append_new(profiles, prof);
    json_object_set_new(doc, "profiles", profiles);
    json_object_set_new(doc, "name", jstr(title));
    json_object_set_new(doc, "activeProfileIndex", json_integer(0));
    json_object_set_new(doc, "exporter", json_string("tprof"));
    int rc = json_dumpf(doc, out, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(doc);
    if (rc == 0)
        fputc('\n', out);
    return rc != 0 || ferror(out) ? -1 : count;
}

/* ----- reading ----- */

static double unit_scale(const char *unit, bool *secs)
{
    static const struct {
        const char *name;
        double scale;
    } units[] = {{"nanoseconds", 1e-9}, {"microseconds", 1e-6}, {"milliseconds", 1e-3},
                 {"seconds", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(unit, units[i].name) == 0) {
            *secs = true;
            return units[i].scale;
        }
    *secs = false; /* "none", "bytes": counts */
    return 1;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* Add the stack FR[0..N) (frame ids) with weight W. */
static void add(struct profile *p, const uint32_t *ids, size_t n, double w)
{
    uint32_t node = PROFILE_ROOT;
    for (size_t i = 0; i < n; i++)
        node = profile_child(p, node, ids[i]);
    profile_add_at(p, node, w);
}

static bool read_sampled(struct profile *p, json_t *prof, const uint32_t *ids, size_t nframes,
                         double scale, char *err, size_t errlen)
{
    json_t *samples = json_object_get(prof, "samples"), *weights = json_object_get(prof, "weights");
    if (!json_is_array(samples) || (weights && !json_is_array(weights)))
        return fail(err, errlen, "its profile has no samples array");
    size_t n = json_array_size(samples);
    if (weights && json_array_size(weights) != n)
        return fail(err, errlen, "%zu samples but %zu weights", n, json_array_size(weights));
    VEC(uint32_t) stack = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *s = json_array_get(samples, i);
        if (!json_is_array(s)) {
            ok = fail(err, errlen, "sample %zu is not a list of frame indices", i + 1);
            break;
        }
        stack.n = 0;
        for (size_t k = 0; k < json_array_size(s); k++) {
            json_t *x = json_array_get(s, k);
            if (!json_is_integer(x)) {
                ok = fail(err, errlen, "sample %zu holds something other than a frame index",
                          i + 1);
                break;
            }
            json_int_t v = json_integer_value(x);
            if (v < 0 || (size_t)v >= nframes) {
                ok = fail(err, errlen, "sample %zu names frame %lld, not in the frame table",
                          i + 1, (long long)v);
                break;
            }
            VEC_PUSH(stack, ids[v]);
        }
        double w = weights ? json_number_value(json_array_get(weights, i)) : 1;
        if (ok && w > 0 && stack.n)
            add(p, stack.v, stack.n, w * scale);
    }
    VEC_FREE(stack);
    return ok;
}

/* Open/close events: the time between two events goes to the stack open
 * then. A close that is not of the innermost open frame is an error, as
 * speedscope reports it. */
static bool read_evented(struct profile *p, json_t *prof, const uint32_t *ids, size_t nframes,
                         double scale, char *err, size_t errlen)
{
    json_t *events = json_object_get(prof, "events");
    if (!json_is_array(events))
        return fail(err, errlen, "its evented profile has no events array");
    /* the open frames' tree nodes (root first): an event adds its time to
     * the innermost one's self, and totals are summed once at the end,
     * never walking the whole stack again (100k nested opens took 43 s
     * that way) */
    VEC(uint32_t) nodes = {0};
    VEC(size_t) open = {0};
    double last = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < json_array_size(events); i++) {
        json_t *e = json_array_get(events, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *fj = json_object_get(e, "frame");
        json_int_t f = json_is_integer(fj) ? json_integer_value(fj) : -1;
        double at = json_number_value(json_object_get(e, "at"));
        if (!type || (strcmp(type, "O") != 0 && strcmp(type, "C") != 0) || f < 0 ||
            (size_t)f >= nframes || !json_is_number(json_object_get(e, "at"))) {
            ok = fail(err, errlen, "event %zu is not {type O or C, frame, at}", i + 1);
            break;
        }
        if (at < last) {
            ok = fail(err, errlen, "event %zu goes back in time", i + 1);
            break;
        }
        if (nodes.n && at > last) { /* (totals summed once, at the end) */
            uint32_t top = nodes.v[nodes.n - 1];
            profile_set_self(p, top, profile_node(p, top)->self + (at - last) * scale);
        }
        last = at;
        if (type[0] == 'O') {
            uint32_t child = profile_child(p, nodes.n ? nodes.v[nodes.n - 1] : PROFILE_ROOT, ids[f]);
            VEC_PUSH(nodes, child);
            VEC_PUSH(open, (size_t)f);
        } else if (open.n == 0 || open.v[open.n - 1] != (size_t)f) {
            ok = fail(err, errlen, "event %zu closes frame %zu, which is not the innermost open",
                      i + 1, (size_t)f);
        } else {
            nodes.n--;
            open.n--;
        }
    }
    VEC_FREE(nodes);
    VEC_FREE(open);
    profile_sum_totals(p);
    return ok;
}

/* The values in the JSON text BUF (LEN bytes), near enough: one for each
 * array, object and comma outside strings, and one more. */
static size_t json_values(const char *buf, size_t len)
{
    size_t n = 1;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == ',' || c == '[' || c == '{') {
            n++;
        }
    }
    return n;
}

struct profile *speedscope_read(const char *buf, size_t len, int which, char *note, size_t cap,
                                char *err, size_t errlen)
{
    note[0] = '\0';
    size_t values = json_values(buf, len);
    if (values > SPEEDSCOPE_MAX_VALUES) {
        snprintf(err, errlen,
                 "%zuM JSON values, more than tprof reads from a speedscope file (%zuM, "
                 "about 75 bytes of memory each)",
                 values >> 20, SPEEDSCOPE_MAX_VALUES >> 20);
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadb(buf, len, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "not valid JSON at line %d, column %d: %s", je.line, je.column,
                 je.text);
        return NULL;
    }
    json_t *frames = json_object_get(json_object_get(doc, "shared"), "frames");
    json_t *profiles = json_object_get(doc, "profiles");
    if (!json_is_array(frames) || !json_is_array(profiles) || json_array_size(profiles) == 0) {
        snprintf(err, errlen, "no shared.frames or no profiles: not a speedscope file");
        json_decref(doc);
        return NULL;
    }
    size_t np = json_array_size(profiles);
    json_t *active = json_object_get(doc, "activeProfileIndex");
    size_t idx = which >= 0                                             ? (size_t)which
                 : json_is_integer(active) && json_integer_value(active) >= 0 &&
                         (size_t)json_integer_value(active) < np
                     ? (size_t)json_integer_value(active)
                     : 0;
    if (idx >= np) {
        snprintf(err, errlen, "--profile %zu: the file has %zu profiles (0 to %zu)", idx, np,
                 np - 1);
        json_decref(doc);
        return NULL;
    }
    json_t *prof = json_array_get(profiles, idx);
    const char *type = json_string_value(json_object_get(prof, "type"));
    const char *unit = json_string_value(json_object_get(prof, "unit"));
    bool secs;
    double scale = unit_scale(unit ? unit : "none", &secs);
    struct profile *p = profile_new();
    profile_set_unit(p, secs ? PROFILE_SECONDS : PROFILE_SAMPLES);
    size_t nf = json_array_size(frames);
    uint32_t *ids = xcalloc(nf + 1, sizeof(*ids));
    bool ok = true;
    for (size_t i = 0; ok && i < nf; i++) {
        json_t *f = json_array_get(frames, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!name) {
            ok = fail(err, errlen, "frame %zu has no name", i);
            break;
        }
        /* a source position (py-spy, Chrome): named as Python frames are */
        const char *file = json_string_value(json_object_get(f, "file"));
        json_t *line = json_object_get(f, "line");
        char *full = file && json_is_integer(line)
                         ? xasprintf("%s (%s:%lld)", name, file, (long long)json_integer_value(line))
                         : xstrdup(name);
        ids[i] = folded_intern_frame(profile_frames(p), full, strlen(full), "");
        free(full);
    }
    if (ok && type && strcmp(type, "sampled") == 0)
        ok = read_sampled(p, prof, ids, nf, scale, err, errlen);
    else if (ok && type && strcmp(type, "evented") == 0)
        ok = read_evented(p, prof, ids, nf, scale, err, errlen);
    else if (ok)
        ok = fail(err, errlen, "profile %zu is neither sampled nor evented", idx);
    if (ok && np > 1) {
        const char *name = json_string_value(json_object_get(prof, "name"));
        char *nm = xasprintf("%s", name ? name : "");
        snprintf(note, cap, "speedscope, profile %zu of %zu ('%s'); --profile N reads another",
                 idx, np, nm);
        free(nm);
    }
    free(ids);
    json_decref(doc);
    if (!ok) {
        profile_free(p);
        return NULL;
    }
    return p;
}
