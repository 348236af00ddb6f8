#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tprof/ptrace.h"

static void test_stat_state_after_the_last_paren(void **state)
{
    (void)state;
    const char a[] = "4242 (hot) R 1 4242 4242 0 -1";
    assert_int_equal(ptrace_stat_state(a, strlen(a)), 'R');
    /* a comm may hold spaces and parentheses */
    const char b[] = "17 (a) S (x)) S 1 17";
    assert_int_equal(ptrace_stat_state(b, strlen(b)), 'S');
    assert_int_equal(ptrace_stat_state("17 (cut", 7), 0);
    assert_int_equal(ptrace_stat_state("17 (x)", 6), 0);
}

static void test_fp_walk_follows_the_chain(void **state)
{
    (void)state;
    /* A copy of 64 bytes from SP 0x1000: frames at 0x1010 and 0x1020. */
    uint64_t st[8] = {0};
    const uint64_t sp = 0x1000;
    st[2] = 0x1020; /* [0x1010] = caller's bp */
    st[3] = 0xaaa;  /* [0x1018] = return address */
    st[4] = 0x1030; /* [0x1020] -> the next frame */
    st[5] = 0xbbb;
    st[6] = 0x2000; /* [0x1030] -> outside the copy: the walk ends */
    st[7] = 0xccc;
    uint64_t ips[8];
    size_t n = ptrace_fp_walk(0x999, 0x1010, sp, (const uint8_t *)st, sizeof(st), ips, 8);
    assert_int_equal(n, 4);
    assert_int_equal(ips[0], 0x999);
    assert_int_equal(ips[1], 0xaaa);
    assert_int_equal(ips[2], 0xbbb);
    assert_int_equal(ips[3], 0xccc);
    /* a frame pointer that goes down (a loop) or is not aligned ends it */
    st[4] = 0x1010;
    assert_int_equal(ptrace_fp_walk(0x999, 0x1010, sp, (const uint8_t *)st, sizeof(st), ips, 8), 3);
    assert_int_equal(ptrace_fp_walk(0x999, 0x1011, sp, (const uint8_t *)st, sizeof(st), ips, 8), 1);
    assert_int_equal(ptrace_fp_walk(0x999, 0x1010, sp, (const uint8_t *)st, sizeof(st), ips, 2), 2);
}

struct seen {
    unsigned samples, with_stack, comm_exec, maps, exits;
    pid_t pid;
};

static void collect(void *arg, const struct perf_ev *ev)
{
    struct seen *s = arg;
    switch (ev->type) {
    case PERF_EV_SAMPLE:
        s->samples++;
        assert_int_equal(ev->u.sample.pid, (uint32_t)s->pid);
        assert_non_null(ev->u.sample.regs);
        assert_true(ev->u.sample.weight >= 1);
        if (ev->u.sample.stack_size > 0)
            s->with_stack++;
        break;
    case PERF_EV_COMM:
        if (ev->u.comm.exec)
            s->comm_exec++;
        break;
    case PERF_EV_MAPS:
        s->maps++;
        break;
    case PERF_EV_EXIT:
        s->exits++;
        break;
    default:
        break;
    }
}

static void pump(struct ptrace_session *pt, struct seen *seen, int ms)
{
    for (int i = 0; i < ms; i++) {
        struct pollfd p = {ptrace_fd(pt), POLLIN, 0};
        poll(&p, 1, 1);
        ptrace_read(pt, collect, seen);
    }
}

/* "TracerPid:\t0" and not stopped. */
static bool untraced_running(pid_t pid)
{
    char path[64], line[128];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool tracer0 = false, stopped = false;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "TracerPid:", 10) == 0)
            tracer0 = atoi(line + 10) == 0;
        if (strncmp(line, "State:", 6) == 0) {
            const char *v = line + 6 + strspn(line + 6, " \t");
            stopped = *v == 't' || *v == 'T';
        }
    }
    fclose(f);
    return tracer0 && !stopped;
}

static void test_attach_samples_and_detaches(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0) { /* spins until killed, or for 20 s if the test died */
        alarm(20);
        volatile unsigned long x = 0;
        for (;;)
            x++;
    }
    struct ptrace_config cfg = {.pids = &child, .npids = 1, .freq = 500, .which = PTRACE_ALL,
                                .callgraph = PERF_CG_DWARF, .stack_size = 4096,
                                .sideband = true};
    char err[256];
    struct ptrace_session *pt = ptrace_open(&cfg, err, sizeof(err));
    assert_non_null(pt);
    assert_int_equal(ptrace_threads(pt), 1);
    struct seen seen = {.pid = child};
    pump(pt, &seen, 300);
    assert_true(seen.samples > 10);
    assert_int_equal(seen.with_stack, seen.samples);
    assert_true(ptrace_get_stats(pt)->stops >= seen.samples);
    ptrace_finish(pt);
    assert_int_equal(ptrace_threads(pt), 0);
    assert_false(ptrace_exited(pt, NULL));
    ptrace_close(pt);
    bool free = untraced_running(child);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_true(free);
}

static void test_launched_program_is_followed_through_exec(void **state)
{
    (void)state;
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(99);
        execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
        _exit(98);
    }
    close(go[0]);
    struct ptrace_config cfg = {.pid = child, .freq = 200, .which = PTRACE_RUNNING,
                                .callgraph = PERF_CG_DWARF, .stack_size = 1024,
                                .sideband = true};
    char err[256];
    struct ptrace_session *pt = ptrace_open(&cfg, err, sizeof(err));
    assert_non_null(pt);
    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    struct seen seen = {.pid = child};
    int st = 0;
    for (int i = 0; i < 5000 && !ptrace_exited(pt, &st); i++)
        pump(pt, &seen, 1);
    assert_true(ptrace_exited(pt, &st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    assert_int_equal(seen.comm_exec, 1);
    assert_int_equal(seen.maps, 1);
    assert_int_equal(seen.exits, 1);
    ptrace_finish(pt);
    ptrace_close(pt);
}

static void test_refused_attach_is_one_clear_line(void **state)
{
    (void)state;
    pid_t none = 4194303; /* above any pid in use here */
    struct ptrace_config cfg = {.pids = &none, .npids = 1, .freq = 100, .which = PTRACE_ALL};
    char err[256];
    assert_null(ptrace_open(&cfg, err, sizeof(err)));
    assert_string_equal(err, "no process 4194303");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_state_after_the_last_paren),
        cmocka_unit_test(test_fp_walk_follows_the_chain),
        cmocka_unit_test(test_attach_samples_and_detaches),
        cmocka_unit_test(test_launched_program_is_followed_through_exec),
        cmocka_unit_test(test_refused_attach_is_one_clear_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
