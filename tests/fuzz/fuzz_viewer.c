/* The viewer driven by any key sequence over a small profile, as on a
 * terminal: whole-tree work deferred, done only at the idle points the
 * input asks for, draws at sizes the input picks, mouse events, prompts,
 * live refreshes that grow the profile. Each input byte is one event. An
 * input that starts with 'D' drives the viewer of a comparison (P against
 * P2) instead. */
#include <string.h>

#include "fuzz.h"
#include "tprof/app.h"
#include "tprof/diff.h"
#include "tprof/canvas.h"
#include "tprof/folded.h"
#include "tprof/linebuf.h"
#include "tprof/term.h"

static const char *const P = "prog;main;parse;lex 40\n"
                             "prog;main;parse 10\n"
                             "prog;main;eval;lookup 30\n"
                             "prog;main;eval 15\n"
                             "prog;main;init 5\n"
                             "prog;worker;lex 7\n";

static const char *const P2 = "prog;main;parse;lex 10\n"
                              "prog;main;eval;lookup 60\n"
                              "prog;main;fast 25\n"
                              "prog;worker;lex 7\n";

static const int special[] = {TK_UP,   TK_DOWN, TK_LEFT, TK_RIGHT, TK_ENTER, TK_BACKSPACE,
                              TK_ESC,  TK_TAB,  TK_BTAB, TK_PGUP,  TK_PGDN,  TK_HOME,
                              TK_END,  TK_RESIZE};

static struct profile *small(const char *text)
{
    char path[64], err[256];
    int fd = fuzz_file((const uint8_t *)text, strlen(text), path);
    struct profile *p = folded_read(path, NULL, err, sizeof(err));
    close(fd);
    if (!p)
        abort();
    return p;
}

static int ext(const struct profile *p)
{
    (void)p;
    return 0;
}

static int export_fn(void *ctx, const char *path, char *msg, size_t len)
{
    (void)ctx; /* (nothing written: the fuzzer must not fill the disk) */
    snprintf(msg, len, "exported to %s", path);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct profile *p = small(P);
    if (size > 0 && data[0] == 'D') {
        struct profile *after = small(P2);
        struct profile *d = diff_profile_new(p, after, size > 1 && data[1] == 'A');
        profile_free(p);
        profile_free(after);
        p = d;
    }
    struct app *a = app_new(p, "fuzz.folded");
    struct linebuf *log = linebuf_new(16, 40);
    linebuf_append(log, "out\n! err\n", 10, "");
    app_set_log(a, log);
    app_set_export(a, export_fn, NULL);
    app_set_status(a, "running");
    app_set_deferred(a, true);
    struct canvas *c = canvas_new(80, 24, true);
    (void)ext;
    for (size_t i = 0; i < size; i++) {
        uint8_t b = data[i];
        if (b >= 0xf0) { /* 0xf0..0xff: a special key */
            app_key(a, special[(b - 0xf0) % (sizeof(special) / sizeof(special[0]))], NULL);
        } else if (b == 0xe0 && i + 2 < size) { /* a mouse event at (x, y) */
            struct term_mouse m = {.x = data[i + 1] % 90, .y = data[i + 2] % 30,
                                   .double_click = data[i + 1] & 0x80,
                                   .wheel_up = data[i + 2] & 0x80,
                                   .wheel_down = data[i + 2] & 0x40};
            app_key(a, TK_MOUSE, &m);
            i += 2;
        } else if (b == 0xe1) { /* idle: one piece of deferred work */
            app_idle(a);
        } else if (b == 0xe2) { /* a live refresh: the profile grew */
            app_profile_changed(a);
        } else if (b == 0xe3 && i + 2 < size) { /* resize */
            canvas_resize(c, 1 + data[i + 1] % 160, 1 + data[i + 2] % 60);
            i += 2;
        } else if (b == 0xe4) {
            app_draw(a, c);
        } else if (b == 'q' || b == 'e') { /* quit ends nothing here; e exports */
            app_key(a, b == 'q' ? 'Q' : 'e', NULL);
        } else {
            app_key(a, b, NULL);
        }
        if ((i & 7) == 7)
            app_draw(a, c);
    }
    app_draw(a, c);
    while (app_idle(a))
        ;
    app_draw(a, c);
    canvas_free(c);
    app_free(a); /* frees the profile */
    linebuf_free(log);
    return 0;
}
