/* pybpf: loads tprof's kernel program (src/bpf/pyframes.bpf.c, compiled at
 * build time and embedded in the binary), attaches it to the perf sampling
 * events, keeps its maps (the Python processes and threads src/python
 * registers) and drains the records it writes at each sample. The records
 * themselves are src/python's to read (include/tprof/pyframes.h). */
#ifndef TPROF_PYBPF_H
#define TPROF_PYBPF_H

#include <stddef.h>
#include <stdint.h>

#include "tprof/pyframes.h"

struct pybpf;

/* Load the program. NULL with a one-line ERR (what failed and what would
 * make it work) and *ERRNUM when it cannot be loaded here: not privileged
 * (root, or CAP_BPF and CAP_PERFMON), a kernel without BPF or bpf_loop,
 * lockdown. */
struct pybpf *pybpf_open(char *err, size_t errlen, int *errnum);
void pybpf_close(struct pybpf *b);

/* Run the program at every sample of the perf event FD: before the event
 * is enabled (a thread made before the program is attached may keep
 * events without it). */
int pybpf_attach(struct pybpf *b, int fd, char *err, size_t errlen);

/* The maps. */
int pybpf_set_proc(struct pybpf *b, uint32_t pid, const struct pyframes_proc *cfg);
void pybpf_forget_proc(struct pybpf *b, uint32_t pid);
int pybpf_set_thread(struct pybpf *b, uint32_t tid, uint64_t tstate);
void pybpf_forget_thread(struct pybpf *b, uint32_t tid);

/* Hand FN every record waiting in the ring (REC, LEN bytes: a struct
 * pyframes_rec and its frames, or a struct pyframes_code, as the kernel
 * wrote it). */
typedef void (*pybpf_record_fn)(void *arg, const void *rec, size_t len);
size_t pybpf_drain(struct pybpf *b, pybpf_record_fn fn, void *arg);

struct pybpf_stats {
    uint64_t runs;      /* the program ran for a registered process */
    uint64_t records;   /* records written */
    uint64_t ring_full; /* records the ring had no room for */
    uint64_t codes;     /* code snapshots written */
    uint64_t others;    /* per CPU: other processes' samples dropped */
    uint64_t run_ns, run_cnt; /* the kernel's own figures for the program
                                 (kernel.bpf_stats_enabled=1), else 0 */
};
void pybpf_get_stats(struct pybpf *b, struct pybpf_stats *st);

/* Sampling per CPU: from now on the program drops every sample but those of
 * PID (pybpf_target, any number of them) and of the processes they fork.
 * -1 with ERR when the maps refuse. */
int pybpf_filter(struct pybpf *b, char *err, size_t errlen);
int pybpf_target(struct pybpf *b, uint32_t pid);

#endif
