/* app: the interactive viewer — state, keys and drawing — over a profile. */
#ifndef TPROF_APP_H
#define TPROF_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "tprof/canvas.h"
#include "tprof/filter.h"
#include "tprof/profile.h"
#include "tprof/term.h"

struct app;

/* A viewer on PROFILE (ownership passes to the app). TITLE names it. */
struct app *app_new(struct profile *profile, const char *title);
void app_free(struct app *a);
/* What the views show of the stacks: the Python view (a profile with
 * Python frames from the outermost one, without CPython's call machinery;
 * on by default) and kernel frames folded into their system call (off by
 * default). The keys a and K toggle them. */
void app_set_frames_shown(struct app *a, bool python_view, bool fold_kernel);

/* Push a transform (ownership passes to the app). */
void app_push_filter(struct app *a, struct filter *f);
/* Push N transforms at once: the profile is rebuilt once. */
void app_push_filters(struct app *a, struct filter *const *f, size_t n);

/* Show TEXT on the bottom line until the next key. */
void app_message(struct app *a, const char *text);

/* What a key did. */
enum app_result { APP_NOTHING = 0, APP_REDRAW = 1, APP_QUIT = 2 };

/* Handle one key (TK_* or a character); M for TK_MOUSE. */
enum app_result app_key(struct app *a, int key, const struct term_mouse *m);
/* Draw the whole screen into C (sized to the terminal). */
void app_draw(struct app *a, struct canvas *c);

/* Deferred mode (what app_run uses): work that walks the whole tree waits
 * for app_idle instead of delaying the redraw of a key. Off by default. */
void app_set_deferred(struct app *a, bool on);
/* Is deferred work waiting? Do one piece of it (true when there was some). */
bool app_busy(const struct app *a);
bool app_idle(struct app *a);

/* Run the viewer on the terminal until the user quits: 0; the signal number
 * when SIGINT, SIGTERM or SIGHUP ended it; -1 with ERR without a terminal. */
int app_run(struct app *a, char *err, size_t errlen);

/* ----- live mode: the recorder's loop drives the viewer ----- */

struct linebuf;

/* The header text in place of the file name (elapsed time, samples, rate,
 * how the program ended...). */
void app_set_status(struct app *a, const char *text);
/* The profile grew (the caller added stacks): re-sort, recompute what is
 * shown; zoom and selection stay on their nodes. */
void app_profile_changed(struct app *a);
/* p: while paused, the caller keeps sampling but does not change the profile. */
bool app_paused(const struct app *a);
/* o: the program's captured output (not owned). */
void app_set_log(struct app *a, const struct linebuf *log);
/* e asks for a file name (its extension is the format: .folded, .txt,
 * .json speedscope, .svg) and writes what is on screen (the transforms
 * applied) there, through FN when set (live: it first takes the samples
 * waiting), else app_export. FN returns 0, MSG saying what was written. */
typedef int (*app_export_fn)(void *ctx, const char *path, char *msg, size_t len);
void app_set_export(struct app *a, app_export_fn fn, void *ctx);
/* Roots (t): the profile's own are the finest its stacks start from (a
 * file's, from their names: "comm-PID/TID", "comm-PID", "comm"); a live
 * recording has one per thread (set_roots_native). set_roots shows them
 * merged up to SHOWN. */
void app_set_roots_native(struct app *a, enum roots_level native);
void app_set_roots(struct app *a, enum roots_level shown);
/* Live: when the samples came (not owned), for the status line's sparkline
 * of the selected frame's share over the run and w's last seconds. */
struct timeline;
void app_set_timeline(struct app *a, const struct timeline *tl);
/* Live mode with nothing written at the end (no -o): q asks once before
 * quitting ("not saved: e exports it, q again quits") until an e export
 * has saved the profile. */
void app_set_unsaved_guard(struct app *a, bool on);
/* An e export has written a file. */
bool app_saved(const struct app *a);
/* Write the profile on screen to PATH; 0, or -1 (MSG says why either way). */
int app_export(struct app *a, const char *path, char *msg, size_t len);

/* The I-th line of the key list ? shows (the man page's is the same text):
 * the key names and what they do. 0 past the last. */
size_t app_key_help(size_t i, const char **key, const char **help);

/* Start on the terminal and draw; -1 with ERR when there is none. */
int app_start(struct app *a, char *err, size_t errlen);
/* The terminal's input fd, to poll() with the rest. */
int app_input_fd(const struct app *a);
/* Handle the keys waiting (never blocks) and redraw if needed; deferred work
 * runs here when no key waits. APP_QUIT when the user quit. */
enum app_result app_pump(struct app *a);
void app_redraw(struct app *a);
void app_stop(struct app *a);

#endif
