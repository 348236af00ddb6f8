/* canvas: a grid of cells (a character and attributes) that views draw into.
 * No curses here: ui/term.c copies a canvas to the terminal, and tests and
 * `tprof report` turn one into text. */
#ifndef TPROF_CANVAS_H
#define TPROF_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Attribute bits. */
#define CANVAS_BOLD 0x01
#define CANVAS_REVERSE 0x02
#define CANVAS_UNDERLINE 0x04
#define CANVAS_DIM 0x08

/* Colours: 0 is the terminal's default; the rest are tprof's palette,
 * which ui/term.c maps to whatever the terminal has. */
enum canvas_color {
    CC_DEFAULT = 0,
    CC_RED, CC_GREEN, CC_YELLOW, CC_BLUE, CC_MAGENTA, CC_CYAN, CC_WHITE,
    CC_ORANGE, CC_GREY,
    /* a comparison's change, faint to strong: grew, shrank */
    CC_GREW1, CC_GREW2, CC_GREW3, CC_SHRANK1, CC_SHRANK2, CC_SHRANK3,
    CC_COUNT
};

struct cell {
    uint32_t ch; /* a Unicode code point; ' ' when empty */
    uint8_t fg, bg, attr;
};

struct canvas {
    int w, h;
    bool utf8; /* may use box-drawing and ellipsis characters */
    struct cell *cells;
};

struct canvas *canvas_new(int w, int h, bool utf8);
void canvas_free(struct canvas *c);
void canvas_resize(struct canvas *c, int w, int h);
void canvas_clear(struct canvas *c);

struct cell *canvas_at(struct canvas *c, int x, int y); /* NULL when outside */

/* Fill W cells from (X, Y) with CH. */
void canvas_fill(struct canvas *c, int x, int y, int w, uint32_t ch, uint8_t fg, uint8_t bg,
                 uint8_t attr);
/* Write UTF-8 TEXT from (X, Y), at most MAXW cells; when it does not fit it
 * ends in an ellipsis ("…", or "~" without UTF-8). Returns cells written. */
int canvas_text(struct canvas *c, int x, int y, int maxw, const char *text, uint8_t fg,
                uint8_t bg, uint8_t attr);
/* TEXT right-aligned in W cells from (X, Y); returns cells written. */
int canvas_text_right(struct canvas *c, int x, int y, int w, const char *text, uint8_t fg,
                      uint8_t bg, uint8_t attr);
/* Same as canvas_text with printf formatting, never truncated by an ellipsis. */
int canvas_printf(struct canvas *c, int x, int y, int maxw, uint8_t fg, uint8_t bg, uint8_t attr,
                  const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* Set the attributes of W cells from (X, Y), keeping their characters. */
void canvas_style(struct canvas *c, int x, int y, int w, uint8_t fg, uint8_t bg, uint8_t attr);

/* Row Y as UTF-8 text, trailing blanks removed (BUF of LEN bytes). */
void canvas_row_text(const struct canvas *c, int y, char *buf, size_t len);
/* The whole canvas as text, one line per row; a new string. */
char *canvas_to_text(const struct canvas *c);

/* CP as UTF-8 into OUT; the number of bytes (1 to 4). */
size_t canvas_utf8(uint32_t cp, char out[4]);

/* Number of cells TEXT takes (code points). */
int canvas_text_width(const char *text);

#endif
