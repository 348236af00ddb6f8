/* cputime: the CPU time the profiled processes used while they were
 * recorded, which the samples are measured against (the coverage figure).
 * A process's own time (utime + stime in /proc/PID/stat) holds the time of
 * its threads, gone ones too, and its reaped time (cutime + cstime) that of
 * the children it waited for, so a tracked process counts while it lives;
 * once gone its time is in its parent's reaped time (when the parent is
 * tracked), or given whole by the wait that reaped it (cputime_final). */
#ifndef TPROF_CPUTIME_H
#define TPROF_CPUTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cputime;

struct cputime *cputime_new(void);
void cputime_free(struct cputime *c);

/* Count PID from now on: FROM_NOW, only the time it uses after this call
 * (a process attached to); else all of it (a process born while recorded). */
void cputime_track(struct cputime *c, pid_t pid, bool from_now);
bool cputime_tracked(const struct cputime *c, pid_t pid);
/* Read every tracked process that still lives; a process gone (or its PID
 * reused) stops counting, unless cputime_final gave its figure. */
void cputime_poll(struct cputime *c);
/* PID ended and was reaped by tprof: TOTAL_S seconds (its rusage: its own
 * and its reaped children's) is its final figure. */
void cputime_final(struct cputime *c, pid_t pid, double total_s);
/* Seconds of CPU the tracked processes used (as of the last poll). */
double cputime_used(const struct cputime *c);

/* The text of /proc/PID/stat (N bytes): own and reaped CPU seconds, at
 * TICKS per second, and the start time in ticks. False when malformed. */
bool cputime_parse_stat(const char *text, size_t n, double ticks, double *self_s,
                        double *reaped_s, unsigned long long *start);

#endif
