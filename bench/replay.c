/* replay: tprof's cost per sample with no target and no sampling: the
 * records of a recording are kept as the ring buffer held them, then fed
 * through the pipeline (unwind, symbols, profile) again and again.
 *   replay record FILE -- PROG [ARGS]   sample PROG (999 Hz, DWARF, 16 KiB)
 *                                       and keep the records in FILE
 *   replay run FILE [PASSES]            feed them through PASSES times (3)
 * Each pass prints samples per second of tprof's CPU (one core): the
 * first with every cache cold (loading files' tables excluded: that is
 * set-up, timed apart), the next ones warm, as a long recording is. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tprof/clock.h"
#include "tprof/launch.h"
#include "tprof/perf.h"
#include "tprof/pipeline.h"
#include "tprof/profile.h"

#define MAGIC 0x7470726f66726563ULL /* "tprofrec" */

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tap(void *arg, const void *rec, size_t size)
{
    uint32_t n = (uint32_t)size;
    if (fwrite(&n, sizeof(n), 1, arg) != 1 || fwrite(rec, size, 1, arg) != 1) {
        perror("replay: write");
        exit(1);
    }
}

static void ignore(void *arg, const struct perf_ev *ev)
{
    (void)arg;
    (void)ev;
}

static int record(const char *file, char **argv)
{
    FILE *out = fopen(file, "wb");
    if (!out) {
        perror(file);
        return 1;
    }
    char err[512];
    struct launch l;
    struct launch_opts lo = {-1, -1, -1};
    if (launch_start(&l, argv, &lo, err, sizeof(err)) < 0) {
        fprintf(stderr, "replay: %s\n", err);
        return 1;
    }
    struct perf_config pc = {.pid = l.pid, .enable_on_exec = true, .freq = 999,
                             .callgraph = PERF_CG_DWARF, .stack_size = 16384};
    int errnum;
    struct perf_session *ps = perf_open(&pc, err, sizeof(err), &errnum, NULL, 0);
    if (!ps) {
        fprintf(stderr, "replay: %s\n", err);
        launch_abort(&l);
        return 1;
    }
    perf_watch(ps, (uint32_t)l.pid, true);
    uint64_t st, rm;
    perf_sample_format(ps, &st, &rm);
    uint64_t head[2] = {MAGIC, st};
    fwrite(head, sizeof(head), 1, out);
    fwrite(&rm, sizeof(rm), 1, out);
    perf_set_tap(ps, tap, out);
    if (launch_go(&l) != 0) {
        fprintf(stderr, "replay: cannot run %s\n", argv[0]);
        return 1;
    }
    int status;
    while (waitpid(l.pid, &status, WNOHANG) == 0) {
        poll(NULL, 0, 10);
        perf_read(ps, false, ignore, NULL);
    }
    perf_read(ps, true, ignore, NULL);
    perf_close(ps);
    if (fclose(out) != 0) {
        perror(file);
        return 1;
    }
    return 0;
}

static int run(const char *file, int passes)
{
    FILE *in = fopen(file, "rb");
    uint64_t head[3];
    if (!in || fread(head, sizeof(head), 1, in) != 1 || head[0] != MAGIC) {
        fprintf(stderr, "replay: %s: not a replay recording\n", file);
        return 1;
    }
    struct rec {
        uint32_t size;
        uint64_t *data; /* (8-byte aligned, as in the ring) */
    } *recs = NULL;
    size_t n = 0, cap = 0;
    uint32_t size;
    while (fread(&size, sizeof(size), 1, in) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            recs = realloc(recs, cap * sizeof(*recs));
        }
        recs[n].size = size;
        recs[n].data = malloc(size + 8);
        if (fread(recs[n].data, size, 1, in) != 1)
            break;
        n++;
    }
    fclose(in);
    struct pipeline_config plc = {.callgraph = PERF_CG_DWARF, .max_depth = 1024,
                                  .inlined = true, .period_ns = 1000000000u / 999};
    struct profile *prof = profile_new();
    struct pipeline *pl = pipeline_new(&plc, prof);
    for (int p = 1; p <= passes; p++) {
        double c0 = cpu_s(), s0 = setup_cpu_s();
        uint64_t samples = 0;
        for (size_t i = 0; i < n; i++) {
            struct perf_ev ev;
            if (perf_parse_record(recs[i].data, recs[i].size, head[1], head[2], &ev) < 0)
                continue;
            samples += ev.type == PERF_EV_SAMPLE;
            pipeline_event(pl, &ev);
        }
        pipeline_flush(pl);
        double setup = setup_cpu_s() - s0, c = cpu_s() - c0 - setup;
        printf("pass %d (%s): %" PRIu64 " samples, %.1f us a sample, %.0f samples/s a core"
               " (set-up %.3f s apart)\n",
               p, p == 1 ? "cold" : "warm", samples, samples ? 1e6 * c / (double)samples : 0,
               c > 0 ? (double)samples / c : 0, setup);
    }
    pipeline_free(pl);
    profile_free(prof);
    for (size_t i = 0; i < n; i++)
        free(recs[i].data);
    free(recs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "record") == 0 && strcmp(argv[3], "--") == 0)
        return record(argv[2], argv + 4);
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argv[2], argc > 3 ? atoi(argv[3]) : 3);
    fprintf(stderr, "usage: replay record FILE -- PROG [ARGS] | replay run FILE [PASSES]\n");
    return 2;
}
