// tmpl: C++ templates and a class in a namespace, so names must be demangled.
// checksum<unsigned long> does twice the work of checksum<long> (same code,
// L1-resident data), so the split is 2:1 whatever the heap layout.
#include <chrono>
#include <cstdint>
#include <cstdlib>
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

int main(int argc, char **argv)
{
    double secs = argc > 1 ? std::atof(argv[1]) : 2.0;
    std::vector<uint64_t> a(1024, 3);
    std::vector<int64_t> b(1024, 5);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
    while (std::chrono::steady_clock::now() < end) {
        sink += codec::checksum(a, 400);
        sink += (uint64_t)codec::checksum(b, 200);
    }
    return 0;
}
