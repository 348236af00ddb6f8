#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "tprof/clock.h"
#include "tprof/launch.h"
#include "tprof/perf.h"

#define ST_DWARF                                                                                   \
    (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD |                    \
     PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put64(struct buf *b, uint64_t v)
{
    put(b, &v, 8);
}

static void header(struct buf *b, uint32_t type, uint16_t misc)
{
    struct perf_event_header h = {.type = type, .misc = misc, .size = (uint16_t)b->n};
    memcpy(b->b, &h, sizeof(h));
}

static void test_parse_sample(void **state)
{
    (void)state;
    struct buf b = {.n = 8};
    put64(&b, 0xffffffff81000010); /* ip (kernel) */
    put64(&b, (uint64_t)101 << 32 | 100); /* pid 100, tid 101 */
    put64(&b, 5555);              /* time */
    put64(&b, 1001001);           /* period */
    put64(&b, 5);                 /* callchain */
    put64(&b, PERF_CONTEXT_KERNEL);
    put64(&b, 0xffffffff81000010);
    put64(&b, 0xffffffff81000020);
    put64(&b, PERF_CONTEXT_USER);
    put64(&b, 0x401000);
    put64(&b, PERF_SAMPLE_REGS_ABI_64);
    for (int i = 0; i < 20; i++)
        put64(&b, 1000 + (uint64_t)i);
    put64(&b, 16); /* stack size */
    put(&b, "0123456789abcdef", 16);
    put64(&b, 8); /* dyn_size */
    header(&b, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);

    struct perf_ev ev;
    assert_int_equal(perf_parse_record(b.b, b.n, ST_DWARF, PERF_REGS_MASK, &ev), 0);
    const struct perf_sample *s = &ev.u.sample;
    assert_int_equal(ev.type, PERF_EV_SAMPLE);
    assert_int_equal(ev.time, 5555);
    assert_int_equal(s->pid, 100);
    assert_int_equal(s->tid, 101);
    assert_true(s->kernel_mode);
    assert_int_equal(s->nr_kernel_ips, 2);
    assert_int_equal(s->kernel_ips[1], 0xffffffff81000020);
    assert_int_equal(s->nr_user_ips, 1);
    assert_int_equal(s->user_ips[0], 0x401000);
    assert_int_equal(s->regs[PERF_REG_IP], 1008);
    assert_int_equal(s->regs[19], 1019); /* R15 */
    assert_int_equal(s->stack_size, 8); /* dyn_size, not the reserved 16 */
    assert_memory_equal(s->stack, "01234567", 8);

    /* Every truncation is rejected, never read past. */
    for (size_t cut = 8; cut < b.n; cut += 8) {
        struct buf t = b;
        t.n = cut;
        header(&t, PERF_RECORD_SAMPLE, 0);
        assert_int_equal(perf_parse_record(t.b, t.n, ST_DWARF, PERF_REGS_MASK, &ev), -1);
    }
    /* A size field that disagrees with the buffer is rejected. */
    assert_int_equal(perf_parse_record(b.b, b.n - 8, ST_DWARF, PERF_REGS_MASK, &ev), -1);
}

static void test_parse_side_band(void **state)
{
    (void)state;
    struct perf_ev ev;
    /* MMAP2 with a build-id */
    struct buf b = {.n = 8};
    uint32_t ids[2] = {7, 8};
    put(&b, ids, 8);
    put64(&b, 0x7f0000000000);
    put64(&b, 0x2000);
    put64(&b, 0x1000);
    uint8_t bid[24] = {20, 0, 0, 0, 0xab, 0xcd};
    put(&b, bid, 24);
    uint32_t pf[2] = {5, 2};
    put(&b, pf, 8);
    put(&b, "/usr/lib/libx.so\0\0\0\0\0\0\0", 24);
    put64(&b, (uint64_t)8 << 32 | 7);
    put64(&b, 777); /* sample_id: pid/tid, time */
    header(&b, PERF_RECORD_MMAP2, 1 << 14);
    assert_int_equal(perf_parse_record(b.b, b.n, ST_DWARF, PERF_REGS_MASK, &ev), 0);
    assert_int_equal(ev.type, PERF_EV_MMAP);
    assert_int_equal(ev.time, 777);
    assert_int_equal(ev.u.mmap.pid, 7);
    assert_int_equal(ev.u.mmap.addr, 0x7f0000000000);
    assert_int_equal(ev.u.mmap.pgoff, 0x1000);
    assert_int_equal(ev.u.mmap.prot, 5);
    assert_string_equal(ev.u.mmap.filename, "/usr/lib/libx.so");
    assert_int_equal(ev.u.mmap.build_id_size, 20);
    assert_int_equal(ev.u.mmap.build_id[1], 0xcd);

    /* COMM of an exec */
    struct buf c = {.n = 8};
    put(&c, ids, 8);
    put(&c, "prog\0\0\0\0", 8);
    put64(&c, (uint64_t)8 << 32 | 7);
    put64(&c, 888);
    header(&c, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
    assert_int_equal(perf_parse_record(c.b, c.n, ST_DWARF, PERF_REGS_MASK, &ev), 0);
    assert_int_equal(ev.type, PERF_EV_COMM);
    assert_true(ev.u.comm.exec);
    assert_string_equal(ev.u.comm.comm, "prog");
    assert_int_equal(ev.time, 888);
    /* a name with no terminator inside the record is malformed */
    memcpy(c.b + 16, "progname", 8);
    memset(c.b + 24, 'x', 16);
    assert_int_equal(perf_parse_record(c.b, c.n, ST_DWARF, PERF_REGS_MASK, &ev), -1);

    /* FORK */
    struct buf f = {.n = 8};
    uint32_t t[4] = {9, 7, 9, 8};
    put(&f, t, 16);
    put64(&f, 999);
    put64(&f, (uint64_t)9 << 32 | 9);
    put64(&f, 999);
    header(&f, PERF_RECORD_FORK, 0);
    assert_int_equal(perf_parse_record(f.b, f.n, ST_DWARF, PERF_REGS_MASK, &ev), 0);
    assert_int_equal(ev.type, PERF_EV_FORK);
    assert_int_equal(ev.u.task.pid, 9);
    assert_int_equal(ev.u.task.ppid, 7);

    /* Unknown types are skipped. */
    struct buf u = {.n = 8};
    put64(&u, 0);
    header(&u, PERF_RECORD_SWITCH, 0);
    assert_int_equal(perf_parse_record(u.b, u.n, ST_DWARF, PERF_REGS_MASK, &ev), -1);
}

/* ----- a live session: records come out in time order, and the next
 * sample is due one period after the newest ----- */

struct order {
    uint64_t last_time;
    uint64_t newest_drained; /* the drain hook's newest sample */
    int out_of_order, samples, mmaps, comm_exec, sample_before_mmap;
};

static void on_ev(void *arg, const struct perf_ev *ev)
{
    struct order *o = arg;
    if (ev->time < o->last_time)
        o->out_of_order++;
    o->last_time = ev->time;
    if (ev->type == PERF_EV_SAMPLE) {
        o->samples++;
        if (!o->mmaps)
            o->sample_before_mmap++;
    } else if (ev->type == PERF_EV_MMAP) {
        o->mmaps++;
    } else if (ev->type == PERF_EV_COMM && ev->u.comm.exec) {
        o->comm_exec++;
    }
}

static void on_drained(void *arg, const struct perf_ev *ev)
{
    struct order *o = arg;
    if (ev->time > o->newest_drained)
        o->newest_drained = ev->time;
}

static void test_live_session_is_time_ordered(void **state)
{
    (void)state;
    struct launch l;
    char err[256], warn[256];
    /* Two busy processes, so both CPUs' buffers fill at once. */
    char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done & "
                    "j=0; while [ $j -lt 60000 ]; do j=$((j+1)); done; wait", NULL};
    assert_int_equal(launch_start(&l, argv, NULL, err, sizeof(err)), 0);
    struct perf_config pc = {.pid = l.pid, .enable_on_exec = true, .freq = 2000,
                             .callgraph = PERF_CG_DWARF, .stack_size = 8192};
    int errnum;
    struct perf_session *s = perf_open(&pc, err, sizeof(err), &errnum, warn, sizeof(warn));
    if (!s) {
        launch_abort(&l);
        skip(); /* perf_event_open is not allowed here */
    }
    assert_int_equal(launch_go(&l), 0);
    struct order o = {0};
    perf_set_drain_hook(s, on_drained, &o);
    const uint64_t period = 1000000000u / 2000;
    int due_seen = 0;
    int fds[64];
    size_t n = perf_fds(s, fds, 64);
    struct pollfd p[64];
    for (size_t i = 0; i < n; i++)
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    int st;
    while (waitpid(l.pid, &st, WNOHANG) == 0) {
        poll(p, n, 20);
        perf_read(s, false, on_ev, &o);
        uint64_t due = perf_next_due(s, now_ns());
        if (due) {
            /* never later than a period after the newest sample, never
             * earlier than a period after one PERF_DUE_IDLE periods old */
            assert_true(due <= o.newest_drained + period);
            assert_true(due + PERF_DUE_IDLE * period >= o.newest_drained);
            due_seen++;
        }
    }
    perf_read(s, true, on_ev, &o);
    assert_true(due_seen > 0);
    /* the program has ended: after PERF_DUE_IDLE periods nothing is due */
    struct timespec idle = {0, (long)(PERF_DUE_IDLE + 1) * (long)period};
    nanosleep(&idle, NULL);
    assert_int_equal(perf_next_due(s, now_ns()), 0);
    assert_int_equal(o.out_of_order, 0);
    assert_true(o.samples > 50);
    assert_true(o.mmaps > 5);
    assert_int_equal(o.comm_exec, 1);
    assert_int_equal(o.sample_before_mmap, 0);
    assert_int_equal(perf_get_stats(s)->samples, (uint64_t)o.samples);
    perf_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sample),
        cmocka_unit_test(test_parse_side_band),
        cmocka_unit_test(test_live_session_is_time_ordered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
