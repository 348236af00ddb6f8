/*
 * sigmask: libunwind as Debian builds it (1.6, no thread-local caches)
 * blocks every signal around each use of an address space's cache, so
 * that a signal handler unwinding locally cannot find it half-written: a
 * sigprocmask pair per step, 20-25 system calls a sample, 7-9% of
 * tprof's CPU. tprof unwinds copies of other processes' stacks and never
 * in a signal handler, so while it walks one (sigmask_quiet) the pair is
 * skipped. This sigprocmask interposes on libc's for libunwind (the
 * executable's symbols are found first); every other call goes to libc's.
 *
 * Skipped, and only while quiet: setting the full mask (the block), and
 * setting the mask that is already set (the restore). The mask given back
 * for the restore is the real one, read once and kept until a call made
 * through here changes it, so a restore that came after quiet ended would
 * still be right.
 */
#include <dlfcn.h>
#include <signal.h>
#include <string.h>

#include "tprof/sigmask.h"

static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static bool quiet, known;
static sigset_t current;
static sigset_t full; /* (what libunwind blocks: sigfillset's set) */
static unsigned long skipped;

/* (resolved before main: a forked child calls it before exec) */
__attribute__((constructor)) static void sigmask_init(void)
{
    *(void **)&real_sigprocmask = dlsym(RTLD_NEXT, "sigprocmask");
    sigfillset(&full);
}

/* (the kernel's part of a sigset_t, all that sigfillset and the system
 * call write: glibc's type has room for 1024 signals) */
static bool same(const sigset_t *a, const sigset_t *b)
{
    return memcmp(a, b, (NSIG - 1) / 8) == 0;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!real_sigprocmask)
        sigmask_init();
    if (quiet && how == SIG_SETMASK && set) {
        if (!known && real_sigprocmask(SIG_BLOCK, NULL, &current) == 0)
            known = true;
        if (known && (same(set, &full) || same(set, &current))) {
            if (old)
                *old = current;
            skipped++;
            return 0;
        }
    }
    int r = real_sigprocmask(how, set, old);
    if (set)
        known = false;
    return r;
}

void sigmask_quiet(bool on)
{
    quiet = on;
}

unsigned long sigmask_skipped(void)
{
    return skipped;
}
