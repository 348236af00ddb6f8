/* kbtf: the kernel types the kernel program reads (task_struct's
 * thread.fsbase, real_parent and tgid), as a BTF of their own for libbpf's
 * CO-RE relocations, kept in tprof's cache per boot (see kbtf.c). */
#ifndef TPROF_KBTF_H
#define TPROF_KBTF_H

#include <stdbool.h>

struct btf;

/* The path of this boot's entry (malloc'd), made from the kernel's BTF if
 * it is not there or not good; NULL when there is none (no cache, no
 * kernel BTF): libbpf then reads the kernel's. */
char *kbtf_path(void);
/* Those types, at the offsets VMLINUX gives; NULL when it lacks one. */
struct btf *kbtf_make(const struct btf *vmlinux);
/* Whether B is exactly what kbtf_make makes: the five types, each field
 * inside its struct. */
bool kbtf_good(const struct btf *b);

#endif
