/* term: the terminal. The only module that calls curses; it copies canvases
 * to the screen, reads keys and mouse events, and always restores the
 * terminal (normal exit, fatal signals, out of memory). */
#ifndef TPROF_TERM_H
#define TPROF_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/canvas.h"

/* Keys beyond Unicode. */
enum {
    TK_NONE = -1,
    TK_UP = 0x110000, TK_DOWN, TK_LEFT, TK_RIGHT, TK_ENTER, TK_BACKSPACE, TK_ESC, TK_TAB,
    TK_BTAB, TK_PGUP, TK_PGDN, TK_HOME, TK_END, TK_RESIZE, TK_MOUSE, TK_INTERRUPT,
};

struct term_mouse {
    int x, y;
    bool click, double_click, wheel_up, wheel_down;
};

/* Start curses on the controlling terminal (/dev/tty, so a profile can come
 * from standard input). -1 and ERR when there is no terminal. */
int term_init(char *err, size_t errlen);
/* Whether curses can draw the viewer on the terminal TERM names (it must
 * move the cursor: TERM=dumb, an Emacs shell, some CI ptys cannot), asked
 * of terminfo without taking the terminal; when not, why in WHY. */
bool term_can_draw(char *why, size_t len);
/* Restore the terminal; safe to call more than once. */
void term_end(void);

void term_size(int *w, int *h);
/* The terminal's input fd (for poll), -1 when not started. */
int term_fd(void);
bool term_utf8(void);
bool term_colors(void); /* has colours and NO_COLOR is unset */
void term_draw(const struct canvas *c);
/* The signal (SIGINT, SIGTERM, SIGHUP) behind the last TK_INTERRUPT, or 0. */
int term_signal(void);
/* A key, or TK_NONE after TIMEOUT_MS (-1: wait). TK_MOUSE fills M. */
int term_key(int timeout_ms, struct term_mouse *m);

#endif
