/* compblock: compute, then block, timing itself.
 *   compblock sleep SECS    compute() ~1 ms of CPU, then wait_a_while() sleeps
 *                           2 ms
 *   compblock socket SECS   a client that encodes (~0.5 ms of CPU), sends the
 *                           message and blocks until a peer thread on
 *                           loopback answers (exchange); the peer reads it
 *                           (peer_wait) and works out the answer (serve,
 *                           ~0.3 ms)
 * Each function is timed on its thread's CPU clock and on the monotonic
 * clock; at exit it prints both splits, in percent of their sums:
 *   split: compute 97.0 wait_a_while 3.0
 *   wall: compute 33.0 wait_a_while 67.0 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { F_COMPUTE, F_WAIT, F_ENCODE, F_EXCHANGE, F_SERVE, F_PEER_WAIT, F_N };
static const char *names[F_N] = {"compute", "wait_a_while", "encode", "exchange", "serve", "peer_wait"};
static double cpu_spent[F_N], wall_spent[F_N];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t sink;
static volatile int done;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct timing {
    double cpu, wall;
};

static struct timing begin(void)
{
    return (struct timing){clock_s(CLOCK_THREAD_CPUTIME_ID), clock_s(CLOCK_MONOTONIC)};
}

static void end(int f, struct timing t)
{
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - t.cpu, wall = clock_s(CLOCK_MONOTONIC) - t.wall;
    pthread_mutex_lock(&lock);
    cpu_spent[f] += cpu;
    wall_spent[f] += wall;
    pthread_mutex_unlock(&lock);
}

/* S seconds of this thread's CPU time. */
static void burn(double s)
{
    double stop = clock_s(CLOCK_THREAD_CPUTIME_ID) + s;
    while (clock_s(CLOCK_THREAD_CPUTIME_ID) < stop)
        for (int i = 0; i < 500; i++)
            sink += (uint64_t)i * 2654435761u;
}

__attribute__((noinline)) void compute(void)
{
    burn(0.001);
    sink++; /* (no tail call: this frame stays on the stack) */
}

__attribute__((noinline)) void wait_a_while(void)
{
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    sink++;
}

__attribute__((noinline)) void encode(char *msg, size_t n)
{
    burn(0.0005);
    memset(msg, 'm', n);
    sink++;
}

static void full(int fd, char *buf, size_t n, int rd)
{
    size_t at = 0;
    while (at < n) {
        ssize_t k = rd ? read(fd, buf + at, n - at) : write(fd, buf + at, n - at);
        if (k <= 0)
            exit(1);
        at += (size_t)k;
    }
}

__attribute__((noinline)) void exchange(int fd, char *msg, size_t n)
{
    full(fd, msg, n, 0);
    full(fd, msg, 64, 1);
    sink++;
}

__attribute__((noinline)) void serve(char *reply)
{
    burn(0.0003);
    memset(reply, 'r', 64);
    sink++;
}

__attribute__((noinline)) void peer_wait(int fd, char *buf, size_t n)
{
    full(fd, buf, n, 1);
    sink++;
}

#define MSG 4096

static void *peer(void *arg)
{
    int fd = *(int *)arg;
    char buf[MSG], reply[64];
    for (;;) {
        struct timing t = begin();
        peer_wait(fd, buf, MSG);
        end(F_PEER_WAIT, t);
        t = begin();
        serve(reply);
        end(F_SERVE, t);
        full(fd, reply, sizeof(reply), 0);
    }
    return NULL;
}

static void print_split(const char *label, const double *v, const int *fs, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[fs[i]];
    printf("%s:", label);
    for (int i = 0; i < n; i++)
        printf(" %s %.1f", names[fs[i]], sum > 0 ? 100 * v[fs[i]] / sum : 0);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: compblock sleep|socket SECS\n");
        return 2;
    }
    double secs = atof(argv[2]), stop = clock_s(CLOCK_MONOTONIC) + secs;
    if (strcmp(argv[1], "sleep") == 0) {
        while (clock_s(CLOCK_MONOTONIC) < stop) {
            struct timing t = begin();
            compute();
            end(F_COMPUTE, t);
            t = begin();
            wait_a_while();
            end(F_WAIT, t);
        }
        int fs[] = {F_COMPUTE, F_WAIT};
        print_split("split", cpu_spent, fs, 2);
        print_split("wall", wall_spent, fs, 2);
        return 0;
    }
    if (strcmp(argv[1], "socket") != 0) {
        fprintf(stderr, "compblock: unknown mode %s\n", argv[1]);
        return 2;
    }
    /* a loopback TCP connection, as a client to a broker */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) < 0)
        return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
        return 1;
    int p = accept(ls, NULL, NULL);
    if (p < 0)
        return 1;
    pthread_t th;
    pthread_create(&th, NULL, peer, &p);
    char msg[MSG];
    while (clock_s(CLOCK_MONOTONIC) < stop) {
        struct timing t = begin();
        encode(msg, sizeof(msg));
        end(F_ENCODE, t);
        t = begin();
        exchange(c, msg, sizeof(msg));
        end(F_EXCHANGE, t);
    }
    pthread_mutex_lock(&lock);
    int fs[] = {F_ENCODE, F_EXCHANGE, F_SERVE, F_PEER_WAIT};
    print_split("split", cpu_spent, fs, 4);
    print_split("wall", wall_spent, fs, 4);
    fflush(stdout);
    _exit(0); /* (the peer blocks in read: no join) */
}
