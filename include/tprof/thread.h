/* thread: tprof's helper threads (loading the kernel program, reading the
 * kernel's symbols): started with every signal blocked, as signals are
 * the main thread's to take. */
#ifndef TPROF_THREAD_H
#define TPROF_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/* Start FN(ARG) in *T; false when no thread could be made. */
bool thread_spawn(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
