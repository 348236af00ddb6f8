/*
 * amqp-bench: an AMQP 1.0 codec and transport, naive and tuned.
 *
 *   amqp-bench [--naive|--tuned] [--phase codec|transport|both]
 *              [--seconds S | --messages N] [--tcp] [--selftest] [--compare]
 *
 * --compare runs the codec phase naive and tuned and prints how far apart
 * they are.
 * codec: encode a transfer frame for a 1 KiB message and decode it back, in
 * one thread. transport: a sender and a receiver thread over a socketpair
 * (or loopback TCP with --tcp) with link credit. Each phase prints msg/s,
 * MB/s (frame bytes) and ns/msg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amqp.h"

#define BODY 1024

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double last_ns; /* ns/msg of the last phase reported */

static void report(const char *phase, bool tuned, uint64_t msgs, uint64_t bytes, double secs)
{
    last_ns = secs * 1e9 / (double)(msgs ? msgs : 1);
    printf("%-9s %-5s %9llu msgs in %5.2f s: %10.0f msg/s %8.1f MB/s %8.0f ns/msg\n", phase,
           tuned ? "tuned" : "naive", (unsigned long long)msgs, secs, msgs / secs,
           bytes / secs / 1e6, secs * 1e9 / (double)(msgs ? msgs : 1));
    fflush(stdout);
}

/* Encode and decode, in one thread. */
static int codec_phase(bool tuned, double seconds, uint64_t messages)
{
    uint8_t body[BODY];
    for (int k = 0; k < BODY; k++)
        body[k] = (uint8_t)(k * 31 + 7);
    struct buf out = {0};
    struct arena arena = {0};
    uint64_t n = 0, bytes = 0, check = 0;
    double t0 = now(), deadline = t0 + seconds;
    for (;;) {
        if (messages ? n >= messages : ((n & 63) == 0 && now() >= deadline))
            break;
        struct message m, back;
        sample_message(&m, (uint32_t)n, body, BODY);
        out.n = 0;
        struct decoded_frame f;
        const char *err = NULL;
        int rc;
        if (tuned) {
            tuned_encode_transfer(&out, &m, 0);
            arena_reset(&arena);
            rc = tuned_decode_frame(out.p, out.n, &f, &arena, &err);
        } else {
            naive_encode_transfer(&out, &m, 0);
            rc = naive_decode_frame(out.p, out.n, &f, &err);
        }
        if (rc < 0 || message_from_frame(&f, &back, &err) < 0 ||
            back.delivery_id != m.delivery_id || back.body_len != BODY) {
            fprintf(stderr, "amqp-bench: codec round trip failed: %s\n", err ? err : "mismatch");
            return 1;
        }
        check += back.body[BODY - 1];
        if (!tuned)
            naive_decoded_free(&f);
        bytes += out.n;
        n++;
    }
    report("codec", tuned, n, bytes, now() - t0);
    free(out.p);
    arena_free(&arena);
    return check == 0xdeadbeef; /* keep the work observable */
}

static int transport_phase(bool tuned, bool tcp, double seconds, uint64_t messages)
{
    struct transport_stats st;
    char err[256];
    if (transport_run(tuned, tcp, seconds, messages, &st, err, sizeof(err)) < 0) {
        fprintf(stderr, "amqp-bench: %s\n", err);
        return 1;
    }
    report(tcp ? "transport(tcp)" : "transport", tuned, st.messages, st.bytes, st.seconds);
    return 0;
}

int selftest(void);

static int usage(const char *why)
{
    fprintf(stderr,
            "amqp-bench: %s\nusage: amqp-bench [--naive|--tuned] [--phase codec|transport|both] "
            "[--seconds S | --messages N] [--tcp] [--selftest] [--compare]\n",
            why);
    return 2;
}

int main(int argc, char **argv)
{
    bool tuned = false, tcp = false, compare = false;
    const char *phase = "both";
    double seconds = 5;
    uint64_t messages = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--naive"))
            tuned = false;
        else if (!strcmp(a, "--tuned"))
            tuned = true;
        else if (!strcmp(a, "--tcp"))
            tcp = true;
        else if (!strcmp(a, "--selftest"))
            return selftest();
        else if (!strcmp(a, "--compare"))
            compare = true;
        else if (!strcmp(a, "--phase") && i + 1 < argc)
            phase = argv[++i];
        else if (!strcmp(a, "--seconds") && i + 1 < argc && (seconds = atof(argv[++i])) > 0)
            ;
        else if (!strcmp(a, "--messages") && i + 1 < argc && (messages = strtoull(argv[++i], NULL, 10)) > 0)
            ;
        else
            return usage("bad argument");
    }
    if (compare) {
        int rc = codec_phase(false, seconds / 2, messages);
        double naive = last_ns;
        rc |= codec_phase(true, seconds / 2, messages);
        printf("codec: tuned is %.1fx naive (%.0f vs %.0f ns/msg)\n", naive / last_ns, last_ns,
               naive);
        return rc;
    }
    bool codec = !strcmp(phase, "codec") || !strcmp(phase, "both");
    bool transport = !strcmp(phase, "transport") || !strcmp(phase, "both");
    if (!codec && !transport)
        return usage("--phase is codec, transport or both");
    double each = codec && transport ? seconds / 2 : seconds;
    int rc = 0;
    if (codec)
        rc |= codec_phase(tuned, each, messages);
    if (transport)
        rc |= transport_phase(tuned, tcp, each, messages);
    return rc;
}
