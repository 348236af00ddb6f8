/*
 * term: tprof's CRT.c/tty.c. Everything curses is here: set-up on the
 * controlling terminal, colour pairs allocated as (fg, bg) combinations are
 * first drawn, copying a canvas cell by cell (curses diffs against the last
 * frame, so unchanged cells cost nothing on the wire), keys and mouse.
 * The terminal is restored on every way out: term_end at exit, an atexit
 * hook, the out-of-memory hook and fatal-signal handlers.
 */
#include <curses.h>
#include <term.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/term.h"
#include "tprof/xalloc.h"

static SCREEN *screen;
static FILE *tty_in, *tty_out;
static bool active, colors, utf8;
static short pair_of[CC_COUNT][CC_COUNT]; /* (fg, bg) -> curses pair, 0: none yet */
static short next_pair = 1;
static volatile sig_atomic_t interrupted;

void term_end(void)
{
    if (!active)
        return;
    active = false;
    endwin();
    if (screen)
        delscreen(screen);
    screen = NULL;
    if (tty_in)
        fclose(tty_in);
    if (tty_out)
        fclose(tty_out);
    tty_in = tty_out = NULL;
}

static void fatal_signal(int sig)
{
    term_end();
    signal(sig, SIG_DFL);
    raise(sig);
}

static volatile sig_atomic_t last_signal;

static void soft_signal(int sig)
{
    interrupted = 1;
    last_signal = sig;
}

int term_signal(void)
{
    return (int)last_signal;
}

bool term_can_draw(char *why, size_t len)
{
    const char *t = getenv("TERM");
    int e = 0;
    if (!t || !*t) {
        snprintf(why, len, "TERM is not set");
        return false;
    }
    if (setupterm(t, STDOUT_FILENO, &e) != OK) {
        snprintf(why, len, "terminal type '%s' is not known to terminfo", t);
        return false;
    }
    const char *cup = tigetstr("cup");
    bool ok = cup && cup != (char *)-1;
    del_curterm(cur_term);
    if (!ok)
        snprintf(why, len, "terminal type '%s' cannot move the cursor", t);
    return ok;
}

int term_init(char *err, size_t errlen)
{
    setlocale(LC_ALL, "");
    utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    tty_out = fopen("/dev/tty", "w");
    tty_in = fopen("/dev/tty", "r");
    if (!tty_out || !tty_in || !isatty(fileno(tty_out))) {
        snprintf(err, errlen, "no terminal to draw on; use 'tprof report' for text output");
        if (tty_in)
            fclose(tty_in);
        if (tty_out)
            fclose(tty_out);
        tty_in = tty_out = NULL;
        return -1;
    }
    const char *t = getenv("TERM");
    screen = newterm(t && *t ? t : "xterm", tty_out, tty_in);
    if (!screen) {
        snprintf(err, errlen, "cannot start curses on this terminal (TERM=%s)", t ? t : "");
        fclose(tty_in);
        fclose(tty_out);
        tty_in = tty_out = NULL;
        return -1;
    }
    set_term(screen);
    /* A terminal that cannot move the cursor (TERM=dumb, unknown types
     * curses falls back on) would show a blank screen. */
    const char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        endwin();
        delscreen(screen);
        screen = NULL;
        fclose(tty_in);
        fclose(tty_out);
        tty_in = tty_out = NULL;
        snprintf(err, errlen,
                 "terminal type '%s' cannot move the cursor, which the viewer needs; set TERM "
                 "(e.g. TERM=xterm-256color) or use 'tprof report'",
                 t && *t ? t : "xterm");
        return -1;
    }
    active = true;
    atexit(term_end);
    xalloc_set_fatal_hook(term_end);
    signal(SIGSEGV, fatal_signal);
    signal(SIGBUS, fatal_signal);
    signal(SIGFPE, fatal_signal);
    signal(SIGILL, fatal_signal);
    signal(SIGABRT, fatal_signal);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = soft_signal; /* no SA_RESTART: a blocked read returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED,
              NULL);
    mouseinterval(250);
    colors = has_colors() && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
    if (colors) {
        start_color();
        use_default_colors();
    }
    memset(pair_of, 0, sizeof(pair_of));
    next_pair = 1;
    return 0;
}

int term_fd(void)
{
    return tty_in ? fileno(tty_in) : -1;
}

void term_size(int *w, int *h)
{
    getmaxyx(stdscr, *h, *w);
}

bool term_utf8(void)
{
    return utf8;
}

bool term_colors(void)
{
    return colors;
}

static short curses_color(uint8_t c)
{
    switch (c) {
    case CC_RED: return 1;
    case CC_GREEN: return 2;
    case CC_YELLOW: return 3;
    case CC_BLUE: return 4;
    case CC_MAGENTA: return 5;
    case CC_CYAN: return 6;
    case CC_WHITE: return 7;
    case CC_ORANGE: return COLORS >= 256 ? 208 : 3;
    case CC_GREY: return COLORS >= 16 ? 8 : 7;
    /* 256 colours: light to strong red and blue that black text reads on */
    case CC_GREW1: return COLORS >= 256 ? 224 : 1;
    case CC_GREW2: return COLORS >= 256 ? 210 : 1;
    case CC_GREW3: return COLORS >= 256 ? 196 : 1;
    case CC_SHRANK1: return COLORS >= 256 ? 189 : 4;
    case CC_SHRANK2: return COLORS >= 256 ? 111 : 4;
    case CC_SHRANK3: return COLORS >= 256 ? 33 : 4;
    default: return -1;
    }
}

static short pair(uint8_t fg, uint8_t bg)
{
    if (!colors || (fg == 0 && bg == 0) || fg >= CC_COUNT || bg >= CC_COUNT)
        return 0;
    if (!pair_of[fg][bg]) {
        if (next_pair >= COLOR_PAIRS)
            return 0;
        /* Text on a coloured background is black, as in flame graphs. */
        short f = bg ? 0 : curses_color(fg);
        init_pair(next_pair, f, curses_color(bg));
        pair_of[fg][bg] = next_pair++;
    }
    return pair_of[fg][bg];
}

void term_draw(const struct canvas *c)
{
    int w, h;
    getmaxyx(stdscr, h, w);
    for (int y = 0; y < c->h && y < h; y++) {
        for (int x = 0; x < c->w && x < w; x++) {
            const struct cell *cl = &c->cells[y * c->w + x];
            attr_t a = A_NORMAL;
            if (cl->attr & CANVAS_BOLD)
                a |= A_BOLD;
            if (cl->attr & CANVAS_REVERSE)
                a |= A_REVERSE;
            if (cl->attr & CANVAS_UNDERLINE)
                a |= A_UNDERLINE;
            if (cl->attr & CANVAS_DIM)
                a |= A_DIM;
            wchar_t wc[2] = {(wchar_t)cl->ch, 0};
            cchar_t cc;
            setcchar(&cc, wc, a, pair(cl->fg, cl->bg), NULL);
            mvadd_wch(y, x, &cc);
        }
    }
    refresh();
}

int term_key(int timeout_ms, struct term_mouse *m)
{
    if (interrupted) {
        interrupted = 0;
        return TK_INTERRUPT;
    }
    timeout(timeout_ms);
    wint_t ch;
    int r = get_wch(&ch);
    if (interrupted) {
        interrupted = 0;
        return TK_INTERRUPT;
    }
    if (r == ERR)
        return TK_NONE;
    if (r == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP: return TK_UP;
        case KEY_DOWN: return TK_DOWN;
        case KEY_LEFT: return TK_LEFT;
        case KEY_RIGHT: return TK_RIGHT;
        case KEY_ENTER: return TK_ENTER;
        case KEY_BACKSPACE: return TK_BACKSPACE;
        case KEY_BTAB: return TK_BTAB;
        case KEY_PPAGE: return TK_PGUP;
        case KEY_NPAGE: return TK_PGDN;
        case KEY_HOME: return TK_HOME;
        case KEY_END: return TK_END;
        case KEY_RESIZE: return TK_RESIZE;
        case KEY_MOUSE: {
            MEVENT ev;
            if (getmouse(&ev) != OK)
                return TK_NONE;
            memset(m, 0, sizeof(*m));
            m->x = ev.x;
            m->y = ev.y;
            m->click = ev.bstate & BUTTON1_CLICKED;
            m->double_click = ev.bstate & BUTTON1_DOUBLE_CLICKED;
            m->wheel_up = ev.bstate & BUTTON4_PRESSED;
            m->wheel_down = ev.bstate & BUTTON5_PRESSED;
            return TK_MOUSE;
        }
        default: return TK_NONE;
        }
    }
    switch (ch) {
    case '\r':
    case '\n': return TK_ENTER;
    case 127:
    case 8: return TK_BACKSPACE;
    case 27: return TK_ESC;
    case '\t': return TK_TAB;
    default: return (int)ch;
    }
}
