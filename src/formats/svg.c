/*
 * svg: a self-contained interactive flame graph in flamegraph.pl's manner:
 * the root at the bottom, a frame as wide as its share, titles
 * "NAME (1,234 samples, 12.34%)", click to zoom, Search (or Ctrl-F) to
 * highlight a regex and say its share, Reset Zoom. The script is tprof's
 * own. A comparison (profile_has_base) is drawn as flamegraph.pl draws
 * difffolded.pl's output: widths AFTER's, each frame red or blue by the
 * change of its self share against the largest change, its title ending
 * "; +1.23%". The URL's fragment drives the same actions (#zoom=NAME,
 * #search=REGEX): the tests load the file in headless Chromium that way.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/diff.h"
#include "tprof/export.h"
#include "tprof/utf8.h"
#include "tprof/xalloc.h"

#define WIDTH 1200.0
#define FRAME_H 16
#define FONT 12
#define FONT_W 0.59 /* of FONT: the width of a character */
#define XPAD 10.0
#define MIN_W 0.1 /* pixels: narrower frames are left out */

/* The length of the UTF-8 sequence at P (N bytes left), 0 when it is not
 * valid UTF-8 or a character XML 1.0 does not allow. */
static size_t xml_char_len(const unsigned char *p, size_t n)
{
    uint32_t c;
    size_t len = utf8_decode(p, n, &c);
    if (!len || (c < 0x20 && c != '\t') || c == 0xfffe || c == 0xffff)
        return 0;
    return len;
}

/* TEXT (its first MAX characters, then ".." when cut; MAX 0: all) as XML
 * character data. */
static void put_xml(FILE *out, const char *text, size_t max)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), chars = 0;
    for (size_t i = 0; i < n;) {
        if (max && chars == max) {
            fputs("..", out);
            return;
        }
        size_t len = xml_char_len(p + i, n - i);
        if (len == 0) {
            fputs("\xef\xbf\xbd", out);
            i++;
        } else if (len == 1) {
            switch (p[i]) {
            case '&': fputs("&amp;", out); break;
            case '<': fputs("&lt;", out); break;
            case '>': fputs("&gt;", out); break;
            case '"': fputs("&quot;", out); break;
            case '\'': fputs("&apos;", out); break;
            default: fputc(p[i], out);
            }
            i++;
        } else {
            fwrite(p + i, 1, len, out);
            i += len;
        }
        chars++;
    }
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* V with thousands separators, as flamegraph.pl writes sample counts. */
static void put_count(FILE *out, double v)
{
    char d[40];
    snprintf(d, sizeof(d), "%.0f", v);
    size_t n = strlen(d);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            fputc(',', out);
        fputc(d[i], out);
    }
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* flamegraph.pl's palettes, the variation from the name (as its --hash):
 * hot for native code, orange kernel, green JIT, aqua Python, and for
 * inlined functions its java palette's pale aqua. */
static void color(const struct frame *f, int *r, int *g, int *b)
{
    uint32_t h = hash(f->name);
    double v1 = (h & 0xff) / 255.0, v2 = ((h >> 8) & 0xff) / 255.0, v3 = ((h >> 16) & 0xff) / 255.0;
    switch (f->kind) {
    case FRAME_KERNEL:
        *r = 190 + (int)(65 * v1), *g = 90 + (int)(65 * v1), *b = 0;
        break;
    case FRAME_JIT:
        *r = (int)(55 * v2), *g = 190 + (int)(50 * v1), *b = (int)(55 * v2);
        break;
    case FRAME_INLINE:
        *r = 80 + (int)(60 * v1), *g = 205 + (int)(50 * v1), *b = 205 + (int)(50 * v1);
        break;
    case FRAME_PYTHON:
        *r = 50 + (int)(60 * v1), *g = 165 + (int)(55 * v1), *b = 165 + (int)(55 * v1);
        break;
    default:
        *r = 205 + (int)(50 * v3), *g = (int)(230 * v1), *b = (int)(55 * v2);
    }
}

/* A comparison: flamegraph.pl's colour for a frame whose own (self) weight
 * changed by V of the largest change MAX — white unchanged, red deeper as
 * it grew, blue as it shrank. */
static void color_scale(double v, double max, int *r, int *g, int *b)
{
    *r = *g = *b = 255;
    if (max <= 0)
        return;
    if (v > 0)
        *g = *b = (int)(210 * (max - v) / max);
    else if (v < 0)
        *r = *g = (int)(210 * (max + v) / max);
}

/* The change of a node's self weight: points of each side's total, or
 * weight when the comparison is absolute. */
static double self_change(const struct profile *p, uint32_t n)
{
    struct diff_figures d;
    diff_node_figures(p, n, &d);
    return d.self_change;
}

static const char SCRIPT[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "'use strict';\n"
    "var svg, details, matchedtxt, searchbtn, unzoombtn, frames = [], W, XPAD, fontW;\n"
    "function init() {\n"
    "  svg = document.documentElement; details = document.getElementById('details');\n"
    "  matchedtxt = document.getElementById('matched');\n"
    "  searchbtn = document.getElementById('search'); unzoombtn = document.getElementById('unzoom');\n"
    "  W = +svg.getAttribute('width'); XPAD = +svg.getAttribute('data-xpad');\n"
    "  fontW = +svg.getAttribute('data-fontw');\n"
    "  var gs = document.getElementById('frames').getElementsByTagName('g');\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], r = g.getElementsByTagName('rect')[0];\n"
    "    var f = {g: g, r: r, t: g.getElementsByTagName('text')[0], x: +r.getAttribute('x'),\n"
    "             w: +r.getAttribute('width'), y: +r.getAttribute('y'),\n"
    "             name: g.getAttribute('data-name'), fill: r.getAttribute('fill')};\n"
    "    frames.push(f);\n"
    "    g.addEventListener('click', zoomer(f));\n"
    "    g.addEventListener('mouseover', function (e) {\n"
    "      details.textContent = 'Function: ' + this.getElementsByTagName('title')[0].textContent; });\n"
    "    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
    "  }\n"
    "  searchbtn.addEventListener('click', function () { ask(); });\n"
    "  unzoombtn.addEventListener('click', function () { unzoom(); });\n"
    "  window.addEventListener('keydown', function (e) {\n"
    "    if ((e.ctrlKey && e.keyCode === 70) || e.key === '/') { e.preventDefault(); ask(); }\n"
    "    if (e.key === 'Escape') { unzoom(); search(null); } });\n"
    "  var h = decodeURIComponent(location.hash.slice(1)), m;\n"
    "  if ((m = /^zoom=(.*)$/.exec(h))) {\n"
    "    for (var k = 0; k < frames.length; k++) if (frames[k].name === m[1]) { zoom(frames[k]); break; } }\n"
    "  if ((m = /^search=(.*)$/.exec(h))) search(m[1]);\n"
    "}\n"
    "function label(f, w) {\n"
    "  var fit = Math.floor((w - 6) / fontW);\n"
    "  if (fit < 3) return '';\n"
    "  return f.name.length <= fit ? f.name : f.name.slice(0, fit - 2) + '..';\n"
    "}\n"
    "function place(f, x, w) {\n"
    "  f.r.setAttribute('x', x); f.r.setAttribute('width', w);\n"
    "  f.t.setAttribute('x', x + 3); f.t.textContent = label(f, w);\n"
    "}\n"
    "function zoomer(f) { return function () { zoom(f); }; }\n"
    "function zoom(z) {\n"
    "  var scale = (W - 2 * XPAD) / z.w;\n"
    "  for (var i = 0; i < frames.length; i++) {\n"
    "    var f = frames[i], inside = f.x >= z.x - 0.01 && f.x + f.w <= z.x + z.w + 0.01;\n"
    "    if (f.y <= z.y && inside) {\n"
    "      f.g.style.display = ''; f.g.style.opacity = '';\n"
    "      place(f, XPAD + (f.x - z.x) * scale, f.w * scale);\n"
    "    } else if (f.y > z.y && f.x <= z.x + 0.01 && f.x + f.w >= z.x + z.w - 0.01) {\n"
    "      f.g.style.display = ''; f.g.style.opacity = '0.5';\n"
    "      place(f, XPAD, W - 2 * XPAD);\n"
    "    } else {\n"
    "      f.g.style.display = 'none';\n"
    "    }\n"
    "  }\n"
    "  unzoombtn.style.opacity = '1';\n"
    "}\n"
    "function unzoom() {\n"
    "  for (var i = 0; i < frames.length; i++) {\n"
    "    var f = frames[i]; f.g.style.display = ''; f.g.style.opacity = ''; place(f, f.x, f.w); }\n"
    "  unzoombtn.style.opacity = '0';\n"
    "}\n"
    "function ask() {\n"
    "  var re = prompt('Search for (a regular expression):', '');\n"
    "  if (re !== null) search(re === '' ? null : re);\n"
    "}\n"
    "function search(re) {\n"
    "  var rx = null;\n"
    "  if (re !== null) { try { rx = new RegExp(re); } catch (e) { matchedtxt.textContent = 'bad regex'; return; } }\n"
    "  var spans = [];\n"
    "  for (var i = 0; i < frames.length; i++) {\n"
    "    var f = frames[i], hit = rx !== null && rx.test(f.name);\n"
    "    f.r.setAttribute('fill', hit ? 'rgb(230,0,230)' : f.fill);\n"
    "    if (hit) spans.push([f.x, f.x + f.w]);\n"
    "  }\n"
    "  if (rx === null) { matchedtxt.textContent = ' '; searchbtn.classList.remove('show'); return; }\n"
    "  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  var sum = 0, end = -1;\n"
    "  for (var k = 0; k < spans.length; k++) {\n"
    "    var s = Math.max(spans[k][0], end), e2 = spans[k][1];\n"
    "    if (e2 > s) sum += e2 - s;\n"
    "    end = Math.max(end, e2);\n"
    "  }\n"
    "  matchedtxt.textContent = 'Matched: ' + (100 * sum / (W - 2 * XPAD)).toFixed(1) + '%';\n"
    "  searchbtn.classList.add('show');\n"
    "}\n"
    "window.addEventListener('load', init);\n"
    "]]></script>\n";

long svg_write(const struct profile *p, const char *title, FILE *out)
{
    const struct frames *fr = profile_frames_const(p);
    double total = profile_total(p);
    bool secs = profile_unit(p) == PROFILE_SECONDS;
    /* the depth drawn: the deepest node wide enough to be drawn */
    double per = total > 0 ? (WIDTH - 2 * XPAD) / total : 0;
    unsigned maxdepth = 0;
    size_t nn = profile_node_count(p);
    unsigned *depths = profile_depths(p); /* (a node's own walk up was n x depth) */
    for (size_t i = 1; i < nn; i++)
        if (profile_node(p, (uint32_t)i)->total * per >= MIN_W)
            maxdepth = depths[i] > maxdepth ? depths[i] : maxdepth;
    free(depths);
    /* a comparison: widths are the primary side's (AFTER), colours the
     * change of each frame's self weight against the largest, as
     * flamegraph.pl draws difffolded.pl's output */
    bool sides = profile_has_base(p);
    double maxdelta = 0;
    for (size_t i = 1; sides && i < nn; i++)
        maxdelta = fmax(maxdelta, fabs(self_change(p, (uint32_t)i)));
    int ypad1 = FONT * 3, ypad2 = FONT * 2 + 10;
    int height = (int)(maxdepth + 1) * FRAME_H + ypad1 + ypad2;
    fprintf(out,
            "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" width=\"%.0f\" height=\"%d\" viewBox=\"0 0 %.0f %d\" "
            "xmlns=\"http://www.w3.org/2000/svg\" data-xpad=\"%.0f\" data-fontw=\"%.2f\">\n"
            "<!-- Flame graph written by tprof: click a frame to zoom, Search or Ctrl-F "
            "to highlight. -->\n"
            "<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
            "<stop stop-color=\"#eeeeee\" offset=\"5%%\"/><stop stop-color=\"#eeeeb0\" "
            "offset=\"95%%\"/></linearGradient></defs>\n"
            "<style type=\"text/css\">text { font-family: Verdana, sans-serif; font-size: %dpx; "
            "fill: rgb(0,0,0); } #title { text-anchor: middle; font-size: %dpx; } "
            "#search, #unzoom { cursor: pointer; } #search { opacity: 0.1; } #search:hover, "
            "#search.show { opacity: 1; } #frames > g:hover { stroke: black; "
            "stroke-width: 0.5; cursor: pointer; }</style>\n",
            WIDTH, height, WIDTH, height, XPAD, FONT * FONT_W, FONT, FONT + 5);
    fputs(SCRIPT, out);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%d\" fill=\"url(#background)\"/>\n",
            WIDTH, height);
    fprintf(out, "<text id=\"title\" x=\"%.0f\" y=\"%d\">", WIDTH / 2, FONT * 2);
    put_xml(out, title, 0);
    fputs("</text>\n", out);
    fprintf(out, "<text id=\"details\" x=\"%.0f\" y=\"%d\"> </text>\n", XPAD, height - ypad2 / 2);
    fprintf(out, "<text id=\"unzoom\" x=\"%.0f\" y=\"%d\" style=\"opacity: 0\">Reset Zoom</text>\n",
            XPAD, FONT * 2);
    fprintf(out, "<text id=\"search\" x=\"%.0f\" y=\"%d\">Search</text>\n",
            WIDTH - XPAD - 100, FONT * 2);
    fprintf(out, "<text id=\"matched\" x=\"%.0f\" y=\"%d\"> </text>\n", WIDTH - XPAD - 100,
            height - ypad2 / 2);
    fputs("<g id=\"frames\">\n", out);

    /* depth-first, each node at its parent's x plus its elder siblings'
     * widths; the root ("all") too */
    long drawn = 0;
    VEC(double) xs = {0}; /* the next child's x at each depth */
    uint32_t n = PROFILE_ROOT;
    unsigned depth = 0;
    VEC_PUSH(xs, XPAD);
    for (;;) {
        const struct profile_node *node = profile_node(p, n);
        double x = xs.v[depth], w = node->total * per;
        bool draw = w >= MIN_W;
        if (draw) {
            const struct frame *f = n == PROFILE_ROOT ? NULL : frames_get(fr, node->frame);
            char *name = f ? xasprintf("%s%s", f->name, frames_kind_suffix(f->kind))
                           : xstrdup("all");
            int r = 160, g = 160, b = 160;
            double delta = sides ? self_change(p, n) : 0;
            if (sides)
                color_scale(delta, maxdelta, &r, &g, &b);
            else if (f)
                color(f, &r, &g, &b);
            double y = height - ypad2 - (double)(depth + 1) * FRAME_H;
            fputs("<g data-name=\"", out);
            put_xml(out, name, 0);
            fputs("\"><title>", out);
            put_xml(out, name, 0);
            fputs(" (", out);
            if (secs) {
                fprintf(out, "%.6f s", node->total);
            } else {
                put_count(out, node->total);
                fputs(profile_unit(p) == PROFILE_EVENTS ? (node->total == 1 ? " event" : " events")
                      : node->total == 1                    ? " sample"
                                                            : " samples",
                      out);
            }
            fprintf(out, ", %.2f%%", total > 0 ? 100 * node->total / total : 0);
            if (sides && n != PROFILE_ROOT) {
                double ball, aall;
                profile_compare_all(p, &ball, &aall);
                double pts = profile_absolute(p) ? (aall > 0 ? 100 * delta / aall : 0) : delta;
                fprintf(out, "; %s%.2f%%", pts > 0 ? "+" : "", pts);
            }
            fputs(")</title>", out);
            fprintf(out,
                    "<rect x=\"%.3f\" y=\"%.0f\" width=\"%.3f\" height=\"%d\" "
                    "fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/><text x=\"%.3f\" y=\"%.1f\">",
                    x, y, w, FRAME_H - 1, r, g, b, x + 3, y + FRAME_H - 4.5);
            double fit = floor((w - 6) / (FONT * FONT_W)); /* characters */
            if (fit >= 3)
                put_xml(out, name, utf8_chars(name) <= fit ? 0 : (size_t)fit - 2);
            fputs("</text></g>\n", out);
            free(name);
            drawn++;
        }
        xs.v[depth] = x + w;
        if (draw && node->first_child != PROFILE_NONE) {
            depth++;
            VEC_RESERVE(xs, depth + 1);
            xs.n = depth + 1;
            xs.v[depth] = x;
            n = node->first_child;
            continue;
        }
        while (n != PROFILE_ROOT && profile_node(p, n)->next_sibling == PROFILE_NONE) {
            n = profile_node(p, n)->parent;
            depth--;
        }
        if (n == PROFILE_ROOT)
            break;
        n = profile_node(p, n)->next_sibling;
    }
    VEC_FREE(xs);
    fputs("</g>\n</svg>\n", out);
    return ferror(out) ? -1 : drawn;
}
