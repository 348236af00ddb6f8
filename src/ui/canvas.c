/*
 * canvas: what a view is, apart from any terminal (tmux's screen/grid idea).
 * Views write cells; term.c copies them to curses; report and the unit tests
 * read them back as text. One cell holds one code point: tprof draws no wide
 * characters, and names are cut per code point.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/canvas.h"
#include "tprof/utf8.h"
#include "tprof/xalloc.h"

struct canvas *canvas_new(int w, int h, bool utf8)
{
    struct canvas *c = xcalloc(1, sizeof(*c));
    c->utf8 = utf8;
    canvas_resize(c, w, h);
    return c;
}

void canvas_free(struct canvas *c)
{
    if (!c)
        return;
    free(c->cells);
    free(c);
}

void canvas_resize(struct canvas *c, int w, int h)
{
    c->w = w > 0 ? w : 1;
    c->h = h > 0 ? h : 1;
    c->cells = xrealloc(c->cells, (size_t)c->w * (size_t)c->h * sizeof(struct cell));
    canvas_clear(c);
}

void canvas_clear(struct canvas *c)
{
    for (int i = 0; i < c->w * c->h; i++)
        c->cells[i] = (struct cell){' ', 0, 0, 0};
}

struct cell *canvas_at(struct canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return NULL;
    return &c->cells[y * c->w + x];
}

void canvas_fill(struct canvas *c, int x, int y, int w, uint32_t ch, uint8_t fg, uint8_t bg,
                 uint8_t attr)
{
    for (int i = 0; i < w; i++) {
        struct cell *cl = canvas_at(c, x + i, y);
        if (cl)
            *cl = (struct cell){ch, fg, bg, attr};
    }
}

void canvas_style(struct canvas *c, int x, int y, int w, uint8_t fg, uint8_t bg, uint8_t attr)
{
    for (int i = 0; i < w; i++) {
        struct cell *cl = canvas_at(c, x + i, y);
        if (cl) {
            cl->fg = fg;
            cl->bg = bg;
            cl->attr = attr;
        }
    }
}

/* Decode one UTF-8 code point from *S (invalid bytes become '?'). */
static uint32_t next_cp(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    int n;
    if (p[0] < 0x80) {
        cp = p[0];
        n = 1;
    } else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
        cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
        n = 2;
    } else if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
        cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
        n = 3;
    } else if ((p[0] & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
               (p[3] & 0xc0) == 0x80) {
        cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
             (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
        n = 4;
    } else {
        cp = '?';
        n = 1;
    }
    *s += n;
    return cp;
}

/* May CP reach the terminal? Not a control (utf8_is_control), nor
 * surrogates or what is past Unicode. */
static bool printable(uint32_t cp)
{
    return !utf8_is_control(cp) && !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
}

int canvas_text_width(const char *text)
{
    int n = 0;
    while (*text) {
        next_cp(&text);
        n++;
    }
    return n;
}

int canvas_text(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t fg,
                uint8_t bg, uint8_t attr)
{
    if (maxw <= 0)
        return 0;
    int width = canvas_text_width(text);
    int room = width > maxw ? maxw - 1 : maxw; /* leave a cell for the ellipsis */
    int i = 0;
    const char *s = text;
    while (*s && i < room) {
        uint32_t cp = next_cp(&s);
        if (!printable(cp) || (!c->utf8 && cp > 0x7e))
            cp = '?';
        struct cell *cl = canvas_at(c, x + i, y);
        if (cl)
            *cl = (struct cell){cp, fg, bg, attr};
        i++;
    }
    if (width > maxw) {
        struct cell *cl = canvas_at(c, x + i, y);
        if (cl)
            *cl = (struct cell){c->utf8 ? 0x2026 : '~', fg, bg, attr};
        i++;
    }
    return i;
}

int canvas_text_right(struct canvas *c, int x, int y, int w, const char *text, uint8_t fg,
                      uint8_t bg, uint8_t attr)
{
    int pad = w - canvas_text_width(text);
    if (pad > 0)
        canvas_fill(c, x, y, pad, ' ', fg, bg, attr);
    return (pad > 0 ? pad : 0) + canvas_text(c, x + (pad > 0 ? pad : 0), y, w - (pad > 0 ? pad : 0),
                                             text, fg, bg, attr);
}

int canvas_printf(struct canvas *c, int x, int y, int maxw, uint8_t fg, uint8_t bg, uint8_t attr,
                  const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return canvas_text(c, x, y, maxw, buf, fg, bg, attr);
}

size_t canvas_utf8(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

void canvas_row_text(const struct canvas *c, int y, char *buf, size_t len)
{
    size_t n = 0, keep = 0;
    for (int x = 0; x < c->w && n + 5 < len; x++) {
        uint32_t cp = c->cells[y * c->w + x].ch;
        n += canvas_utf8(cp, buf + n);
        if (cp != ' ')
            keep = n;
    }
    buf[keep] = '\0';
}

char *canvas_to_text(const struct canvas *c)
{
    size_t row = (size_t)c->w * 4 + 2;
    char *out = xmalloc(row * (size_t)c->h + 1), *p = out;
    for (int y = 0; y < c->h; y++) {
        canvas_row_text(c, y, p, row);
        p += strlen(p);
        *p++ = '\n';
    }
    *p = '\0';
    return out;
}
