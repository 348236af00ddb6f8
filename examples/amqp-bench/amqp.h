/* amqp-bench: an AMQP 1.0 codec and transport, naive and tuned, as tprof's
 * showcase workload. Types, values, frames and the two codecs' interfaces. */
#ifndef AMQP_H
#define AMQP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ----- the AMQP 1.0 type system ----- */

enum amqp_type {
    AT_NULL, AT_BOOL, AT_UBYTE, AT_BYTE, AT_USHORT, AT_SHORT, AT_UINT, AT_INT, AT_ULONG,
    AT_LONG, AT_FLOAT, AT_DOUBLE, AT_TIMESTAMP, AT_UUID, AT_BINARY, AT_STRING, AT_SYMBOL,
    AT_LIST, AT_MAP, AT_ARRAY, AT_DESCRIBED, AT_COUNT
};

struct amqp_value {
    enum amqp_type type;
    union {
        bool b;
        uint64_t u;         /* ubyte ushort uint ulong */
        int64_t i;          /* byte short int long timestamp */
        float f;
        double d;
        uint8_t uuid[16];
        struct {
            const uint8_t *p;
            uint32_t n;
        } bin;              /* binary, string, symbol */
        struct {
            struct amqp_value *v;
            uint32_t n;     /* list: items; map: 2 * pairs */
            enum amqp_type elem; /* array: element type */
        } list;
        struct {
            struct amqp_value *desc, *val;
        } described;
    } u;
};

/* Constructor bytes. */
enum {
    C_DESCRIBED = 0x00, C_NULL = 0x40, C_TRUE = 0x41, C_FALSE = 0x42, C_UINT0 = 0x43,
    C_ULONG0 = 0x44, C_LIST0 = 0x45, C_UBYTE = 0x50, C_BYTE = 0x51, C_SMALLUINT = 0x52,
    C_SMALLULONG = 0x53, C_SMALLINT = 0x54, C_SMALLLONG = 0x55, C_BOOLEAN = 0x56,
    C_USHORT = 0x60, C_SHORT = 0x61, C_UINT = 0x70, C_INT = 0x71, C_FLOAT = 0x72,
    C_ULONG = 0x80, C_LONG = 0x81, C_DOUBLE = 0x82, C_TIMESTAMP = 0x83, C_UUID = 0x98,
    C_VBIN8 = 0xa0, C_STR8 = 0xa1, C_SYM8 = 0xa3, C_VBIN32 = 0xb0, C_STR32 = 0xb1,
    C_SYM32 = 0xb3, C_LIST8 = 0xc0, C_MAP8 = 0xc1, C_LIST32 = 0xd0, C_MAP32 = 0xd1,
    C_ARRAY8 = 0xe0, C_ARRAY32 = 0xf0,
};

/* Performative and section descriptors (ulong codes). */
enum {
    D_FLOW = 0x13, D_TRANSFER = 0x14, D_DETACH = 0x16, D_HEADER = 0x70,
    D_MESSAGE_ANNOTATIONS = 0x72, D_PROPERTIES = 0x73, D_APPLICATION_PROPERTIES = 0x74,
    D_DATA = 0x75,
};

/* ----- a message, as an application holds it ----- */

#define MAX_PROPS 8

struct kv {
    const char *key;
    struct amqp_value val;
};

struct message {
    uint32_t delivery_id;
    bool durable;
    uint8_t priority;
    uint32_t ttl;
    struct kv annotations[MAX_PROPS]; /* symbol keys */
    int nannotations;
    uint64_t message_id;
    const char *to, *subject, *reply_to;
    uint64_t correlation_id;
    const char *content_type;
    int64_t creation_time;
    struct kv app_props[MAX_PROPS];   /* string keys */
    int napp_props;
    const uint8_t *body;
    uint32_t body_len;
};

/* ----- growable buffers ----- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

/* ----- an allocator for decoded values: malloc (naive) or an arena reused
 * per message (tuned) ----- */

struct arena {
    uint8_t *p;
    size_t n, cap;
};

void *arena_alloc(struct arena *a, size_t size);
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* ----- the codecs -----
 * Both write the same bytes: the smallest encoding of each value (uint0,
 * smalluint, str8, list8... when they fit). */

/* A transfer frame for M on CHANNEL, appended to OUT. */
void naive_encode_transfer(struct buf *out, const struct message *m, uint16_t channel);
void tuned_encode_transfer(struct buf *out, const struct message *m, uint16_t channel);
/* A flow frame granting CREDIT, and a detach frame. */
void encode_flow(struct buf *out, uint32_t credit);
void encode_detach(struct buf *out);

struct decoded_frame {
    uint16_t channel;
    uint64_t performative;             /* descriptor code */
    struct amqp_value *fields;         /* the performative's list */
    struct amqp_value *sections;       /* message sections after it */
    uint32_t nsections;
};

/* Decode one whole frame (P, N bytes: its size field says N). 0, or -1 with
 * ERR set for malformed input (never reads outside [P, P+N)). The naive
 * decoder mallocs every value and copies every binary/string (release with
 * naive_decoded_free); the tuned one points into P and allocates from ARENA. */
int naive_decode_frame(const uint8_t *p, size_t n, struct decoded_frame *f, const char **err);
void naive_decoded_free(struct decoded_frame *f);
int tuned_decode_frame(const uint8_t *p, size_t n, struct decoded_frame *f, struct arena *arena,
                       const char **err);

/* One value (used by the self-test). */
void tuned_encode(struct buf *b, const struct amqp_value *v);
void naive_encode(struct buf *b, const struct amqp_value *v);

/* Decode one value (used by tests). */
int tuned_decode_value(const uint8_t *p, size_t n, size_t *used, struct amqp_value *v,
                       struct arena *arena, const char **err);

/* Do two values hold the same thing (deep)? */
bool value_equal(const struct amqp_value *a, const struct amqp_value *b);

/* Build the frame's value tree for M (from ARENA), as both encoders see it. */
void message_values(const struct message *m, struct arena *arena, struct amqp_value *perf,
                    struct amqp_value *sections, uint32_t *nsections);

/* A message from a decoded transfer: fills M's scalar fields and returns the
 * body's bytes through BODY (checks the structure). 0 or -1. */
int message_from_frame(const struct decoded_frame *f, struct message *m, const char **err);

/* ----- the transport ----- */

struct transport_stats {
    uint64_t messages, bytes;
    double seconds;
};

/* Send messages from a sender thread to a receiver thread over a socketpair
 * (or loopback TCP) with link credit, for SECONDS or MESSAGES. */
int transport_run(bool tuned, bool tcp, double seconds, uint64_t messages,
                  struct transport_stats *st, char *err, size_t errlen);

/* The message every phase sends (I varies the ids and the body's first
 * bytes; the rest of BODY is the caller's). */
void sample_message(struct message *m, uint32_t i, uint8_t *body, uint32_t body_len);

#endif
