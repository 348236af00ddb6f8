// tmpl: C++ templates and a class in a namespace, so names must be demangled.
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
    std::vector<uint64_t> a(4096, 3);
    std::vector<uint32_t> b(4096, 5);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
    while (std::chrono::steady_clock::now() < end) {
        sink += codec::checksum(a, 200);
        sink += codec::checksum(b, 100);
    }
    return 0;
}
