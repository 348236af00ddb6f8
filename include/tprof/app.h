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

/* Push a transform (ownership passes to the app). */
void app_push_filter(struct app *a, struct filter *f);

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

#endif
