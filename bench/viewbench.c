/* viewbench: the viewer's speed on a large profile, with the viewer's own
 * code and no terminal: load time, first screen, and the redraw after each
 * key of a navigation session; RSS at the end.
 *   viewbench FILE [WIDTH HEIGHT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tprof/app.h"
#include "tprof/folded.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, strlen(field)))
            v = atol(line + strlen(field));
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: viewbench FILE [WIDTH HEIGHT]\n");
        return 2;
    }
    int w = argc > 3 ? atoi(argv[2]) : 200, h = argc > 3 ? atoi(argv[3]) : 50;
    char err[512];
    struct folded_stats st;
    double t0 = now();
    struct profile *p = folded_read(argv[1], &st, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "viewbench: %s\n", err);
        return 1;
    }
    double t1 = now();
    struct app *a = app_new(p, argv[1]);
    struct canvas *c = canvas_new(w, h, true);
    app_draw(a, c); /* the first screen is complete: not deferred */
    double t2 = now();
    app_set_deferred(a, true); /* as on a terminal */
    printf("  load %.3f s + first screen %.3f s = %.3f s (%llu stacks, %zu nodes)\n", t1 - t0,
           t2 - t1, t2 - t0, (unsigned long long)st.stacks, profile_node_count(p));
    printf("  RSS at the first screen: %.0f MB (peak %.0f MB)\n", rss_kb("VmRSS:") / 1024.0,
           rss_kb("VmHWM:") / 1024.0);

    /* A session: walk down, sideways, zoom in and out, search, views. */
    static const struct { int key; const char *what; } keys[] = {
        {'j', "down"}, {'j', "down"}, {'j', "down"}, {'j', "down"}, {'l', "right"},
        {'l', "right"}, {'h', "left"}, {'j', "down"}, {'j', "down"}, {TK_ENTER, "zoom in"},
        {'j', "down"}, {'l', "right"}, {'k', "up"}, {TK_BACKSPACE, "zoom out"},
        {TK_ENTER, "zoom in"}, {'r', "reset"}, {'c', "heat colours"}, {TK_PGDN, "scroll"},
        {TK_PGUP, "scroll"}, {'?', "help"}, {'x', "close help"}, {TK_TAB, "tree view"},
        {'j', "down"}, {TK_ENTER, "expand"}, {TK_TAB, "top view"}, {'j', "down"},
        {TK_TAB, "callers"}, {TK_TAB, "icicle"},
    };
    double worst = 0, sum = 0, idle_worst = 0;
    const char *worst_key = "", *idle_key = "";
    size_t nk = sizeof(keys) / sizeof(keys[0]);
    for (size_t i = 0; i < nk; i++) {
        double k0 = now();
        app_key(a, keys[i].key, NULL);
        app_draw(a, c);
        double dt = now() - k0;
        sum += dt;
        if (dt > worst) {
            worst = dt;
            worst_key = keys[i].what;
        }
        /* then the deferred work, as the loop does when no key waits */
        double i0 = now();
        while (app_idle(a))
            ;
        app_draw(a, c);
        if (now() - i0 > idle_worst) {
            idle_worst = now() - i0;
            idle_key = keys[i].what;
        }
    }
    printf("  %zu keypress redraws: mean %.3f ms, worst %.3f ms (%s)\n", nk, 1e3 * sum / nk,
           1e3 * worst, worst_key);
    printf("  deferred work after a key (table of a new zoom, callers): worst %.0f ms (%s)\n",
           1e3 * idle_worst, idle_key);
    /* search and transforms rebuild what they show: timed on their own */
    printf("  search and transforms, until complete:\n");
    const char *slow[] = {"/encode\n", "n", "f", "u", "i", "u"};
    for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
        double k0 = now();
        for (const char *k = slow[i]; *k; k++)
            app_key(a, *k == '\n' ? TK_ENTER : *k, NULL);
        app_draw(a, c);
        while (app_idle(a))
            ;
        app_draw(a, c);
        printf("  %-16s %.1f ms\n",
               i == 0 ? "search" : i == 1 ? "next match" : i == 2 ? "focus" : i == 4 ? "invert" : "undo",
               1e3 * (now() - k0));
    }
    printf("  peak RSS over the session (transforms hold two profiles): %.0f MB\n",
           rss_kb("VmHWM:") / 1024.0);
    app_free(a);
    canvas_free(c);
    return 0;
}
