// tmpl: C++ templates and a class in a namespace, so names must be demangled.
// checksum<unsigned long> does twice the elements of checksum<long>, yet its
// share of their CPU time moves between runs (57-63% here, unprofiled), so
// the program measures its split itself (each call's thread CPU time) and
// prints it on stderr at its end: "tmpl: checksum<unsigned long> 59.8%".
// Rounds are of random length: a fixed one (0.75 ms) beat with a 1999 Hz
// sampling period, and profiles of one build moved from 69% to 76%.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace codec {
template <typename T> struct Accumulator {
    T total{};
    __attribute__((noinline)) void add_all(const std::vector<T> &v)
    {
        for (auto x : v)
            total = total * 31 + x;
    }
};

template <typename T> __attribute__((noinline)) T checksum(const std::vector<T> &v, int rounds)
{
    Accumulator<T> acc;
    for (int i = 0; i < rounds; i++)
        acc.add_all(v);
    return acc.total;
}
} // namespace codec

volatile uint64_t sink;

static double cpu_now()
{
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? std::atof(argv[1]) : 2.0;
    std::vector<uint64_t> a(1024, 3);
    std::vector<int64_t> b(1024, 5);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
    unsigned seed = 1;
    double in_a = 0, in_b = 0;
    while (std::chrono::steady_clock::now() < end) {
        seed = seed * 1103515245u + 12345u;
        int rounds = 100 + (int)((seed >> 16) % 201);
        double t0 = cpu_now();
        sink += codec::checksum(a, 2 * rounds);
        double t1 = cpu_now();
        sink += (uint64_t)codec::checksum(b, rounds);
        in_a += t1 - t0;
        in_b += cpu_now() - t1;
    }
    if (in_a + in_b > 0)
        fprintf(stderr, "tmpl: checksum<unsigned long> %.1f%%\n", 100 * in_a / (in_a + in_b));
    return 0;
}
