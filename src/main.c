/*
 * main: argument parsing and dispatch, nothing else. Options follow perf's
 * names where perf has one (-F, -g, -o, -p, --call-graph).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tprof/cmd.h"

static const char usage_text[] =
    "usage: tprof [OPTIONS] [--] PROGRAM [ARG...]\n"
    "\n"
    "Run PROGRAM, sample its call stacks (threads, children and exec'd programs\n"
    "included) and write them as a collapsed-stack (folded) profile.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE      write the folded profile to FILE (default: " TPROF_DEFAULT_OUTPUT ")\n"
    "  -F, --freq HZ          samples per second (default 999)\n"
    "  -g, --call-graph MODE  dwarf (default): unwind a copy of the user stack with its\n"
    "                         DWARF CFI; fp: follow frame pointers (cheaper, but code\n"
    "                         built without them, like Debian's libc, breaks stacks)\n"
    "      --stack-size BYTES user stack copied per sample for dwarf (default 16384,\n"
    "                         a multiple of 8, at most 65528)\n"
    "      --duration SECS    stop after SECS seconds (the program gets SIGTERM)\n"
    "      --threads          a root frame per thread (comm-PID/TID)\n"
    "      --pid-roots        a root frame per process (comm-PID)\n"
    "      --no-tui           record without the viewer (the only mode in this version)\n"
    "  -q, --quiet            no summary line\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n"
    "\n"
    "Exit status: the program's (128+N when killed by signal N; 127 when it cannot\n"
    "be found, 126 when it cannot be executed), 2 for usage errors, 1 when tprof\n"
    "itself fails. SIGINT, SIGTERM and SIGHUP stop the program and the profile\n"
    "gathered so far is still written.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "tprof: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; see 'tprof --help'\n");
    return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

enum { OPT_STACK_SIZE = 256, OPT_DURATION, OPT_THREADS, OPT_PID_ROOTS, OPT_NO_TUI };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"freq", required_argument, NULL, 'F'},
        {"call-graph", required_argument, NULL, 'g'},
        {"stack-size", required_argument, NULL, OPT_STACK_SIZE},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"threads", no_argument, NULL, OPT_THREADS},
        {"pid-roots", no_argument, NULL, OPT_PID_ROOTS},
        {"no-tui", no_argument, NULL, OPT_NO_TUI},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct record_opts o = {
        .freq = 999, .callgraph = PERF_CG_DWARF, .stack_size = 16384};
    unsigned long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:F:g:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg)
                return usage_error("%s-o needs a file name", "");
            o.output = optarg;
            break;
        case 'F':
            if (parse_uint(optarg, 100000, &v) < 0 || v == 0)
                return usage_error("invalid frequency '%s' (1 to 100000 Hz)", optarg);
            o.freq = (unsigned)v;
            break;
        case 'g':
            if (strcmp(optarg, "dwarf") == 0)
                o.callgraph = PERF_CG_DWARF;
            else if (strcmp(optarg, "fp") == 0)
                o.callgraph = PERF_CG_FP;
            else
                return usage_error("invalid call-graph mode '%s' (dwarf or fp)", optarg);
            break;
        case OPT_STACK_SIZE:
            if (parse_uint(optarg, 65528, &v) < 0 || v < 8 || v % 8)
                return usage_error("invalid stack size '%s' (a multiple of 8, 8 to 65528)",
                                   optarg);
            o.stack_size = (uint32_t)v;
            break;
        case OPT_DURATION: {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (!*optarg || *end || errno || !(d > 0) || d > 1e7)
                return usage_error("invalid duration '%s' (seconds, > 0)", optarg);
            o.duration = d;
            break;
        }
        case OPT_THREADS:
            o.threads = true;
            break;
        case OPT_PID_ROOTS:
            o.pid_roots = true;
            break;
        case OPT_NO_TUI:
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("tprof %s\n", TPROF_VERSION);
            return 0;
        case '?':
        default:
            if (optopt)
                return usage_error("unknown or incomplete option '-%c'",
                                   (char[]){(char)optopt, 0});
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("%sno program to profile: tprof [OPTIONS] -- PROGRAM [ARG...]", "");
    const char *first = argv[optind];
    bool dashdash = strcmp(argv[optind - 1], "--") == 0; /* "tprof -- view" runs ./view */
    if (!dashdash && (strcmp(first, "view") == 0 || strcmp(first, "report") == 0 ||
        strcmp(first, "convert") == 0)) {
        fprintf(stderr,
                "tprof: '%s' is not implemented in this version yet (only recording is); run "
                "a program with 'tprof -- PROGRAM'\n",
                first);
        return 2;
    }
    o.argv = argv + optind;
    return cmd_record(&o);
}
