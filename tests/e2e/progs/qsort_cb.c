/* qsort_cb: libc's qsort calling back into the program (cmp_records), the
 * classic stack that frame pointers cannot follow through Debian's libc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rec {
    uint64_t key;
    char pad[24];
};

__attribute__((noinline)) int cmp_records(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

__attribute__((noinline)) void fill(struct rec *r, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1;
        r[i].key = seed >> 11;
    }
}

__attribute__((noinline)) void sort_batch(struct rec *r, size_t n)
{
    qsort(r, n, sizeof(*r), cmp_records);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double end = now() + (argc > 1 ? atof(argv[1]) : 2.0);
    size_t n = 20000;
    struct rec *r = malloc(n * sizeof(*r));
    uint64_t seed = 1;
    while (now() < end) {
        fill(r, n, seed++);
        sort_batch(r, n);
    }
    free(r);
    return 0;
}
