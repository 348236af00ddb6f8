/* genfolded: write a large, realistic folded profile for the viewer
 * benchmark: STACKS unique stacks (default 300000), 10 to 50 frames deep,
 * C++-like names from a pool of 6000, sorted and deduplicated as
 * stackcollapse output is. Deterministic (fixed seed).
 * With "templated", the shape users' C++ profiles have: 4 to 45 frames,
 * 3000 C++ names, a third of them long templates (std::vector<unsigned
 * char, std::allocator<unsigned char> >::encode_value_0), long-tailed
 * counts: 100000 stacks make ~85 MB.
 *   genfolded OUT [STACKS [templated]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES 6000

static uint64_t state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: genfolded OUT [STACKS]\n");
        return 2;
    }
    long want = argc > 2 ? atol(argv[2]) : 300000;
    int templated = argc > 3 && strcmp(argv[3], "templated") == 0;
    static const char *ns[] = {"amqp", "codec", "net", "std", "proton", "engine", "io", "util"};
    static const char *cls[] = {"Encoder", "Decoder", "Buffer", "Transport", "Session", "Link",
                                "Frame", "Map", "Vector", "Allocator", "Parser", "Writer"};
    static const char *verb[] = {"encode", "decode", "write", "read", "grow", "copy", "append",
                                 "dispatch", "parse", "emit", "flush", "reserve", "insert"};
    static const char *tmpl[] = {
        "std::vector<unsigned char, std::allocator<unsigned char> >",
        "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
        "std::map<std::basic_string<char, std::char_traits<char>, std::allocator<char> >, "
        "amqp::Value, std::less<std::basic_string<char> > >",
        "std::unique_ptr<amqp::Frame, std::default_delete<amqp::Frame> >",
        "std::unordered_map<unsigned int, amqp::Session*, std::hash<unsigned int> >",
        "amqp::codec::Encoder<std::vector<unsigned char, std::allocator<unsigned char> > >"};
    int nnames = templated ? 3000 : NAMES;
    char *names[NAMES];
    for (int i = 0; templated && i < nnames; i++) {
        char buf[512];
        /* (a third of them templates, the rest plain C++ names) */
        if (i % 3 == 0)
            snprintf(buf, sizeof(buf), "%s::%s_%d", tmpl[rnd() % 6], verb[rnd() % 13], i);
        else
            snprintf(buf, sizeof(buf), "%s::%s::%s_%d", ns[rnd() % 8], cls[rnd() % 12],
                     verb[rnd() % 13], i);
        names[i] = strdup(buf);
    }
    for (int i = 0; !templated && i < NAMES; i++) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s::%s%d::%s%s%s", ns[rnd() % 8], cls[rnd() % 12],
                 (int)(rnd() % 40), verb[rnd() % 13], rnd() % 2 ? "" : "_impl",
                 rnd() % 2 ? "" : "<int>");
        names[i] = strdup(buf);
    }
    size_t cap = (size_t)want + want / 4;
    char **lines = malloc(cap * sizeof(char *));
    size_t n = 0;
    char line[32768];
    while (n < cap) {
        int depth = templated ? 4 + (int)(rnd() % 42) : 10 + (int)(rnd() % 41);
        size_t len = (size_t)snprintf(line, sizeof(line), "bench");
        uint64_t f = 1;
        for (int d = 0; d < depth; d++) {
            /* each function calls one of a few others: stacks share prefixes */
            f = (f * 2654435761u + rnd() % (d < 4 ? 3 : 6) + 1) % (uint64_t)nnames;
            len += (size_t)snprintf(line + len, sizeof(line) - len, ";%s", names[f]);
        }
        /* (templated: long-tailed, most stacks seen once or twice, a few
         * thousands of times) */
        double u = (double)(rnd() >> 11) / 9007199254740992.0;
        int count = templated ? (int)(1.0 / (0.0002 + u * u * 0.9998)) : (int)(1 + rnd() % 50);
        snprintf(line + len, sizeof(line) - len, " %d", count);
        lines[n++] = strdup(line);
    }
    qsort(lines, n, sizeof(char *), cmp);
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    long written = 0;
    for (size_t i = 0; i < n && written < want; i++) {
        /* drop repeated stacks (same text up to the count) */
        if (i > 0) {
            const char *a = strrchr(lines[i - 1], ' '), *b = strrchr(lines[i], ' ');
            if (a - lines[i - 1] == b - lines[i] && !strncmp(lines[i - 1], lines[i], (size_t)(b - lines[i])))
                continue;
        }
        fputs(lines[i], out);
        fputc('\n', out);
        written++;
    }
    fclose(out);
    fprintf(stderr, "genfolded: %ld unique stacks\n", written);
    return 0;
}
