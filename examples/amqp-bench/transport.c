/*
 * transport: a sender and a receiver thread exchanging transfer frames over
 * a socketpair (or loopback TCP), with AMQP link credit: the receiver grants
 * credit with flow frames, the sender stops when it has none.
 *
 * Naive: one write() per frame; the receiver reads each frame with two reads
 * (the 4-byte size, then the rest: sock_read_exact) into a fresh buffer, and
 * decodes it with the naive codec.
 * Tuned: frames are batched into one write of up to 64 KiB; the receiver
 * reads 256 KiB at a time and decodes every complete frame in it in place
 * (frame_scan_batch) with the tuned codec.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "amqp.h"

#define NOINLINE __attribute__((noinline))
#define BODY 1024
#define WINDOW 200 /* credit granted at a time */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct side {
    int fd;
    bool tuned;
    double deadline;
    uint64_t max_messages;
    uint64_t messages, bytes;
    uint64_t checksum;
    const char *error;
};

NOINLINE static int sock_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

NOINLINE static int sock_read_exact(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The credit in a flow frame, or -1. */
static int64_t flow_credit(const uint8_t *p, size_t n)
{
    struct arena a = {0};
    struct decoded_frame f;
    const char *err;
    int64_t credit = -1;
    if (tuned_decode_frame(p, n, &f, &a, &err) == 0 && f.performative == D_FLOW) {
        const struct amqp_value *l = f.fields[0].u.described.val;
        if (l->u.list.n >= 7)
            credit = (int64_t)l->u.list.v[6].u.u;
    }
    arena_free(&a);
    return credit;
}

/* ----- sender ----- */

/* Wait for credit: read flow frames (one at a time: they are small). */
static int64_t wait_credit(struct side *s)
{
    uint8_t hdr[4], body[256];
    if (sock_read_exact(s->fd, hdr, 4) < 0)
        return -1;
    uint32_t size = be32(hdr);
    if (size < 8 || size > sizeof(body))
        return -1;
    memcpy(body, hdr, 4);
    if (sock_read_exact(s->fd, body + 4, size - 4) < 0)
        return -1;
    return flow_credit(body, size);
}

NOINLINE static int sock_write_batched(int fd, struct buf *batch)
{
    int rc = sock_write_all(fd, batch->p, batch->n);
    batch->n = 0;
    return rc;
}

NOINLINE static void *sender(void *arg)
{
    struct side *s = arg;
    uint8_t body[BODY];
    for (int k = 0; k < BODY; k++)
        body[k] = (uint8_t)(k * 31 + 7);
    struct buf out = {0};
    int64_t credit = 0;
    for (;;) {
        if ((s->max_messages && s->messages >= s->max_messages) ||
            (!s->max_messages && (s->messages & 63) == 0 && now() >= s->deadline))
            break;
        if (credit == 0) {
            if (s->tuned && out.n && sock_write_batched(s->fd, &out) < 0)
                break;
            credit = wait_credit(s);
            if (credit < 0) {
                s->error = "flow: the receiver went away";
                break;
            }
            continue;
        }
        struct message m;
        sample_message(&m, (uint32_t)s->messages, body, BODY);
        if (s->tuned) {
            size_t before = out.n;
            tuned_encode_transfer(&out, &m, 0);
            s->bytes += out.n - before;
            if (out.n >= 65536 && sock_write_batched(s->fd, &out) < 0)
                break;
        } else {
            out.n = 0;
            naive_encode_transfer(&out, &m, 0);
            s->bytes += out.n;
            if (sock_write_all(s->fd, out.p, out.n) < 0) /* one write per frame */
                break;
        }
        s->messages++;
        credit--;
    }
    if (!s->tuned)
        out.n = 0;
    encode_detach(&out);
    sock_write_batched(s->fd, &out);
    free(out.p);
    return NULL;
}

/* ----- receiver ----- */

/* A transfer frame arrived: take the message, check its body. */
static int receive_frame(struct side *s, const uint8_t *p, size_t n, struct arena *a, bool *done)
{
    struct decoded_frame f;
    const char *err = NULL;
    int rc = s->tuned ? tuned_decode_frame(p, n, &f, a, &err) : naive_decode_frame(p, n, &f, &err);
    if (rc < 0) {
        s->error = err;
        return -1;
    }
    if (f.performative == D_DETACH) {
        *done = true;
    } else {
        struct message m;
        if (message_from_frame(&f, &m, &err) < 0) {
            s->error = err;
            rc = -1;
        } else {
            s->checksum += m.body_len ? m.body[m.body_len - 1] : 0;
            s->messages++;
            s->bytes += n;
        }
    }
    if (!s->tuned)
        naive_decoded_free(&f);
    return rc;
}

static int grant(struct side *s, uint32_t credit)
{
    struct buf b = {0};
    encode_flow(&b, credit);
    int rc = sock_write_all(s->fd, b.p, b.n);
    free(b.p);
    return rc;
}

NOINLINE static void receive_naive(struct side *s)
{
    bool done = false;
    uint64_t granted = WINDOW;
    while (!done) {
        uint8_t hdr[4];
        if (sock_read_exact(s->fd, hdr, 4) < 0) /* read one: the size */
            break;
        uint32_t size = be32(hdr);
        if (size < 8 || size > (64u << 20)) {
            s->error = "bad frame size";
            break;
        }
        uint8_t *frame = malloc(size);
        memcpy(frame, hdr, 4);
        if (sock_read_exact(s->fd, frame + 4, size - 4) < 0) { /* read two: the rest */
            free(frame);
            break;
        }
        int rc = receive_frame(s, frame, size, NULL, &done);
        free(frame);
        if (rc < 0)
            break;
        if (s->messages + WINDOW / 2 >= granted) {
            grant(s, WINDOW / 2);
            granted += WINDOW / 2;
        }
    }
}

/* Every complete frame in [p, p+n): returns the bytes used. */
NOINLINE static size_t frame_scan_batch(struct side *s, const uint8_t *p, size_t n,
                                        struct arena *a, bool *done, uint64_t *granted)
{
    size_t off = 0;
    while (!*done && n - off >= 4) {
        uint32_t size = be32(p + off);
        if (size < 8 || size > (64u << 20)) {
            s->error = "bad frame size";
            *done = true;
            break;
        }
        if (n - off < size)
            break;
        arena_reset(a);
        if (receive_frame(s, p + off, size, a, done) < 0) {
            *done = true;
            break;
        }
        off += size;
        if (s->messages + WINDOW / 2 >= *granted) {
            grant(s, WINDOW / 2);
            *granted += WINDOW / 2;
        }
    }
    return off;
}

NOINLINE static void receive_tuned(struct side *s)
{
    size_t cap = 256 * 1024, have = 0;
    uint8_t *buf = malloc(cap);
    struct arena a = {0};
    bool done = false;
    uint64_t granted = WINDOW;
    while (!done) {
        if (have == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(s->fd, buf + have, cap - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        size_t used = frame_scan_batch(s, buf, have, &a, &done, &granted);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    arena_free(&a);
    free(buf);
}

static void *receiver(void *arg)
{
    struct side *s = arg;
    if (grant(s, WINDOW) == 0) {
        if (s->tuned)
            receive_tuned(s);
        else
            receive_naive(s);
    }
    return NULL;
}

/* ----- set-up ----- */

static int tcp_pair(int fds[2], char *err, size_t errlen)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) < 0) {
        snprintf(err, errlen, "tcp: %s", strerror(errno));
        if (l >= 0)
            close(l);
        return -1;
    }
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)) < 0 ||
        (fds[1] = accept(l, NULL, NULL)) < 0) {
        snprintf(err, errlen, "tcp connect to 127.0.0.1:%d: %s", ntohs(a.sin_port), strerror(errno));
        close(l);
        return -1;
    }
    close(l);
    int one = 1;
    setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return 0;
}

int transport_run(bool tuned, bool tcp, double seconds, uint64_t messages,
                  struct transport_stats *st, char *err, size_t errlen)
{
    int fds[2];
    if (tcp) {
        if (tcp_pair(fds, err, errlen) < 0)
            return -1;
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    double t0 = now();
    struct side snd = {.fd = fds[0], .tuned = tuned, .deadline = t0 + seconds,
                       .max_messages = messages};
    struct side rcv = {.fd = fds[1], .tuned = tuned};
    pthread_t ts, tr;
    pthread_create(&tr, NULL, receiver, &rcv);
    pthread_create(&ts, NULL, sender, &snd);
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    st->seconds = now() - t0;
    close(fds[0]);
    close(fds[1]);
    st->messages = rcv.messages;
    st->bytes = rcv.bytes;
    const char *e = rcv.error ? rcv.error : snd.error;
    if (e || rcv.messages != snd.messages) {
        snprintf(err, errlen, "transport: %s (sent %llu, received %llu)", e ? e : "lost messages",
                 (unsigned long long)snd.messages, (unsigned long long)rcv.messages);
        return -1;
    }
    return 0;
}
