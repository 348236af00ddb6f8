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
#include "tprof/say.h"

static const char usage_text[] =
    "usage: tprof [OPTIONS] [--] PROGRAM [ARG...]\n"
    "       tprof [OPTIONS] -p PID[,PID...]\n"
    "       tprof view [OPTIONS] FILE\n"
    "       tprof view [OPTIONS] BEFORE AFTER\n"
    "       tprof report [OPTIONS] FILE\n"
    "       tprof convert [OPTIONS] FILE -o OUT\n"
    "       tprof report --diff [OPTIONS] BEFORE AFTER\n"
    "       tprof diff [OPTIONS] BEFORE AFTER [-o OUT]\n"
    "\n"
    "Run PROGRAM (or attach to running processes with -p), sample its call\n"
    "stacks (threads, children and exec'd programs included) and show them live\n"
    "in the viewer when on a terminal; write them as a collapsed-stack (folded)\n"
    "profile with -o, or always when headless. 'view'\n"
    "explores a saved profile in the terminal (icicle, tree, top functions,\n"
    "callers/callees; '?' lists the keys); 'report' prints the same views as text;\n"
    "'convert' writes it in another format. 'diff' (or 'view' of two files) opens\n"
    "the viewer on the comparison of two profiles; 'report --diff' compares them\n"
    "function by function, as text and as a CI gate. FILE may be '-' for standard input;\n"
    "its format is told by its content:\n"
    "  folded (collapsed stacks)     tprof view run.folded\n"
    "  perf script text              perf script | tprof report --top 20 -\n"
    "  Python pstats (cProfile)      tprof view out.prof   (times in seconds)\n"
    "  speedscope JSON               tprof view profile.speedscope.json\n"
    "  pprof (gzipped or not)        tprof report --top 20 cpu.pb.gz\n"
    "\n"
    "Recording options:\n"
    "  -p, --pid PID[,PID]    attach to running processes (all their threads, and\n"
    "                         children made later); q or Ctrl-C detaches, they go on\n"
    "  -o, --output FILE      write the profile to FILE: .json speedscope, .svg a\n"
    "                         flame graph, .pb.gz pprof, other names folded (headless default:\n"
    "                         " TPROF_DEFAULT_OUTPUT "; live: only with -o); - is stdout;\n"
    "                         a device or FIFO is written in place, a file replaced\n"
    "                         atomically; checked before the program starts\n"
    "  -F, --freq HZ          samples per second (default 999)\n"
    "  -g, --call-graph MODE  dwarf (default): unwind a copy of the user stack with its\n"
    "                         DWARF CFI; fp: follow frame pointers (cheaper, but code\n"
    "                         built without them, like Debian's libc, breaks stacks)\n"
    "      --stack-size BYTES user stack copied per sample for dwarf (default 16384,\n"
    "                         a multiple of 8, at most 65528)\n"
    "      --max-depth N      user frames kept per stack (default "
    TPROF_STR(TPROF_DEFAULT_MAX_DEPTH) "): deeper stacks keep\n"
    "                         the innermost N under a [truncated] frame\n"
    "      --duration SECS    stop after SECS seconds (the program gets SIGTERM)\n"
    "      --threads          a root frame per thread (comm-PID/TID) in the output\n"
    "                         and the first view (t in the viewer cycles them)\n"
    "      --pid-roots        a root frame per process (comm-PID)\n"
    "      --no-tui           record without the viewer (the default when stdin or\n"
    "                         stdout is not a terminal); the program keeps its stdin\n"
    "      --refresh HZ       live redraws per second (default 2)\n"
    "      --backend B        how to sample: perf (perf_event_open), ptrace (stop\n"
    "                         one thread at a time: works where perf_event_open is\n"
    "                         refused, costs more), or auto (default: perf, and\n"
    "                         ptrace when perf_event_open is refused, said once)\n"
    "      --per-task         perf backend: sample the program's threads alone, as\n"
    "                         perf record does without -a (by default tprof samples\n"
    "                         every CPU where it may, root or CAP_PERFMON, keeping\n"
    "                         the program's samples: a thread shorter than a period\n"
    "                         is sampled too); lighter on a busy machine\n"
    "      --mode M           cpu (default): time on CPU; wall: every thread at the\n"
    "                         rate, running or blocked, so time waiting in recv(),\n"
    "                         sleep() or a lock shows (blocked threads are sampled\n"
    "                         with ptrace on either backend)\n"
    "      --python on|off    CPython 3.10-3.13 programs (found by themselves, said\n"
    "                         once): on (default) shows the Python functions,\n"
    "                         'QUALNAME (FILE:FIRSTLINE)', in place of the eval\n"
    "                         loop's frames; off shows the interpreter's own\n"
    "      --python-read WHERE  perf backend: kernel reads each sample's Python\n"
    "                         frames at the sample with a BPF program (exact; root,\n"
    "                         or CAP_BPF and CAP_PERFMON); user reads them from\n"
    "                         user space just after (some samples inconsistent);\n"
    "                         auto (default): kernel where it loads, else user\n"
    "      --python-lines     name Python frames by the line executing instead\n"
    "      --lines            name frames by source line, encode_value (codec.c:212):\n"
    "                         native code from its DWARF line table (the line\n"
    "                         executing, or the call's), Python as --python-lines\n"
    "      --no-inline        no frames for inlined functions (by default a function\n"
    "                         inlined into another is a frame of its own under its\n"
    "                         caller, from DWARF, shown _[i] in folded output)\n"
    "      --no-cache         neither read nor write tprof's cache in\n"
    "                         $XDG_CACHE_HOME/tprof or ~/.cache/tprof (debug files'\n"
    "                         inflated DWARF, the kernel's symbols and types, Python\n"
    "                         interpreters' structure offsets)\n"
    "      --jit-any-owner    believe JIT symbol files (/tmp/perf-PID.map, jit-PID.dump)\n"
    "                         whoever owns them (default: root, you, or the program's\n"
    "                         own user, as a file another user planted could lie)\n"
    "      --all-frames       Python programs: every frame as recorded in the viewer\n"
    "                         and in -o (by default a Python stack starts at its\n"
    "                         outermost Python frame, the interpreter's start-up\n"
    "                         one frame, and CPython's call machinery is left out;\n"
    "                         a .pb.gz always keeps every frame; a in the viewer)\n"
    "      --diff-base FILE   live: colour the icicle by the change against FILE, a\n"
    "                         saved profile (red grew, blue shrank; b shows FILE's\n"
    "                         widths); -o still writes this run's profile alone;\n"
    "                         Python frames are then named QUALNAME (FILE), without\n"
    "                         the line, as comparisons match them (--diff-lines)\n"
    "  -q, --quiet            no summary line (no samples is still said)\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n"
    "\n"
    "view and report options:\n"
    "      --focus RE         keep only stacks through a frame matching RE\n"
    "      --hide RE          drop frames matching RE (their samples go to the caller)\n"
    "      --invert           bottom-up: leaf functions become the roots\n"
    "      --all-frames       (and convert, diff) Python stacks as recorded: by\n"
    "                         default they start at the outermost Python frame\n"
    "                         under one [python start-up] frame, and CPython's call\n"
    "                         machinery is left out (a .pb.gz keeps every frame)\n"
    "      --fold-kernel      (and diff) a stack's kernel frames become one: its\n"
    "                         system call (sys_sendto) or interrupt (K in the viewer)\n"
    "view, report and convert, for perf script text (stackcollapse-perf.pl's flags):\n"
    "      --pid, --tid       root frame comm-PID, or comm-PID/TID\n"
    "      --kernel, --jit    kernel frames, /tmp/perf-PID.map frames get their kind\n"
    "      --all              both (_[k], _[j] in folded output)\n"
    "      --addrs            unknown frames as [module <ADDR>]\n"
    "      --event NAME       the samples of event NAME (default: the first event)\n"
    "speedscope input:\n"
    "      --profile N        read profile N of the file, from 0 (default: its\n"
    "                         active profile)\n"
    "pprof input:\n"
    "      --sample-type NAME the values of sample type NAME (default: the file's\n"
    "                         default, else its last, as go tool pprof)\n"
    "convert only:\n"
    "  -o, --output OUT       where to write, in the format its name says: .folded,\n"
    "                         .txt or - (stdout) folded, .json speedscope, .svg an\n"
    "                         interactive flame graph, .pb.gz or .pprof pprof\n"
    "      --format F         the format to write, whatever OUT's name: folded,\n"
    "                         speedscope, svg or pprof\n"
    "report only:\n"
    "      --icicle           the icicle (default: icicle and the top 20 functions)\n"
    "      --tree             the call tree, indented\n"
    "      --top N            the N functions with the most self samples\n"
    "      --width COLS       output width, names cut to it (default: $COLUMNS,\n"
    "                         else 100; piped, tree and table never cut a name)\n"
    "      --min-percent P    leave out frames under P% of the samples (tree\n"
    "                         default 1; in the icicle they join the filler)\n"
    "      --by module        the program, each library, [kernel], [jit] and Python\n"
    "                         as frames (a run of one module is one frame); needs a\n"
    "                         profile that knows modules (recorded, pprof)\n"
    "report --diff BEFORE AFTER (with --top N and --focus RE, which keeps the rows\n"
    "of functions matching RE):\n"
    "      --diff             one row per function: its total and self share of\n"
    "                         each profile's samples before and after, and the\n"
    "                         change in points; largest change of the total first\n"
    "      --absolute         compare weights (samples), not shares of each total\n"
    "      --diff-lines       Python frames compared line by line, QUALNAME\n"
    "                         (FILE:LINE) as recorded (by default by function,\n"
    "                         QUALNAME (FILE): an edit above a function leaves it one\n"
    "                         function; a pstats file matches by NAME (FILE))\n"
    "      --min-delta PTS    leave out rows whose total changed by less than PTS\n"
    "      --fail-if-grows PTS  exit 3, naming each function (matching --focus RE)\n"
    "                         whose total grew by more than PTS points (samples\n"
    "                         with --absolute); 0 when none did: a CI gate\n"
    "diff BEFORE AFTER, view BEFORE AFTER: the viewer on both call trees joined;\n"
    "                         widths AFTER's (b: BEFORE's), colour the change of each\n"
    "                         frame's share of all samples: red grew, blue shrank,\n"
    "                         grey within sampling noise; * marks a frame one side\n"
    "                         only has (+ and - too under NO_COLOR); 4 sorts the\n"
    "                         table by the change; --absolute compares weights\n"
    "diff BEFORE AFTER -o OUT:\n"
    "                         OUT .folded, .txt or -: 'STACK BEFORE AFTER' lines,\n"
    "                         difffolded.pl's format (tprof view opens such a file\n"
    "                         as a comparison); OUT .svg: a differential flame\n"
    "                         graph as flamegraph.pl draws one (red and blue by the\n"
    "                         change of each frame's self share)\n"
    "      --normalize        scale BEFORE's counts to AFTER's total (its -n)\n"
    "      --strip-hex        0x... addresses in names made equal (its -s)\n"
    "\n"
    "Exit status: the program's (128+N when killed by signal N; 127 when it cannot\n"
    "be found, 126 when it cannot be executed), 2 for usage errors, 1 when tprof\n"
    "itself fails, 3 when --fail-if-grows finds a function that grew. SIGINT,\n"
    "SIGTERM and SIGHUP stop the program and the profile gathered so far is still\n"
    "written.\n";

static int usage_error(const char *fmt, const char *arg)
{
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, arg);
    say("%s; see 'tprof --help'", msg);
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

/* A number in [MIN, MAX] (no units, no trailing text). */
static int parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || *end || errno || !(d >= min && d <= max))
        return -1;
    *out = d;
    return 0;
}

enum {
    OPT_STACK_SIZE = 256, OPT_MAX_DEPTH, OPT_REFRESH, OPT_DURATION, OPT_BACKEND, OPT_MODE, OPT_PYTHON, OPT_PYTHON_LINES, OPT_PYTHON_READ, OPT_JIT_ANY_OWNER, OPT_NO_INLINE, OPT_NO_CACHE, OPT_PER_TASK, OPT_LINES, OPT_THREADS, OPT_PID_ROOTS, OPT_NO_TUI, OPT_FOCUS,
    OPT_HIDE, OPT_INVERT, OPT_ICICLE, OPT_TREE, OPT_TOP, OPT_WIDTH, OPT_MIN_PERCENT,
    OPT_PS_PID, OPT_PS_TID, OPT_PS_KERNEL, OPT_PS_JIT, OPT_PS_ALL, OPT_PS_ADDRS, OPT_PS_EVENT,
    OPT_SS_PROFILE, OPT_PP_SAMPLE_TYPE,
    OPT_FORMAT, OPT_DIFF, OPT_ABSOLUTE, OPT_MIN_DELTA, OPT_FAIL_IF_GROWS, OPT_NORMALIZE,
    OPT_STRIP_HEX, OPT_DIFF_BASE, OPT_BY, OPT_DIFF_LINES, OPT_ALL_FRAMES, OPT_FOLD_KERNEL,
};

enum subcmd { SUB_VIEW, SUB_REPORT, SUB_CONVERT, SUB_DIFF };

/* tprof view|report|convert [OPTIONS] FILE, tprof diff [OPTIONS] BEFORE AFTER */
/* The viewer on PATH, compared with BEFORE when not NULL, with the view
 * options of R. */
static int view_with(const struct report_opts *r, const char *path, const char *before)
{
    struct view_opts vo = {.path = path,
                           .before = before,
                           .absolute = r->absolute,
                           .diff_lines = r->diff_lines,
                           .all_frames = r->all_frames,
                           .fold_kernel = r->fold_kernel,
                           .imp = r->imp,
                           .focus = r->focus,
                           .hide = r->hide,
                           .invert = r->invert};
    return cmd_view(&vo);
}

static int main_subcommand(int argc, char **argv, enum subcmd sub)
{
    static const struct option longopts[] = {
        {"pid", no_argument, NULL, OPT_PS_PID},
        {"tid", no_argument, NULL, OPT_PS_TID},
        {"kernel", no_argument, NULL, OPT_PS_KERNEL},
        {"jit", no_argument, NULL, OPT_PS_JIT},
        {"all", no_argument, NULL, OPT_PS_ALL},
        {"addrs", no_argument, NULL, OPT_PS_ADDRS},
        {"event", required_argument, NULL, OPT_PS_EVENT},
        {"profile", required_argument, NULL, OPT_SS_PROFILE},
        {"sample-type", required_argument, NULL, OPT_PP_SAMPLE_TYPE},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"focus", required_argument, NULL, OPT_FOCUS},
        {"hide", required_argument, NULL, OPT_HIDE},
        {"invert", no_argument, NULL, OPT_INVERT},
        {"icicle", no_argument, NULL, OPT_ICICLE},
        {"tree", no_argument, NULL, OPT_TREE},
        {"top", required_argument, NULL, OPT_TOP},
        {"width", required_argument, NULL, OPT_WIDTH},
        {"min-percent", required_argument, NULL, OPT_MIN_PERCENT},
        {"by", required_argument, NULL, OPT_BY},
        {"diff", no_argument, NULL, OPT_DIFF},
        {"absolute", no_argument, NULL, OPT_ABSOLUTE},
        {"diff-lines", no_argument, NULL, OPT_DIFF_LINES},
        {"all-frames", no_argument, NULL, OPT_ALL_FRAMES},
        {"fold-kernel", no_argument, NULL, OPT_FOLD_KERNEL},
        {"min-delta", required_argument, NULL, OPT_MIN_DELTA},
        {"fail-if-grows", required_argument, NULL, OPT_FAIL_IF_GROWS},
        {"normalize", no_argument, NULL, OPT_NORMALIZE},
        {"strip-hex", no_argument, NULL, OPT_STRIP_HEX},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report_opts r = {.mode = REPORT_DEFAULT, .min_percent = -1, .fail_if_grows = -1};
    bool report = sub == SUB_REPORT;
    const char *cmd = sub == SUB_REPORT ? "report"
                      : sub == SUB_VIEW ? "view"
                      : sub == SUB_DIFF ? "diff"
                                        : "convert";
    const char *out = NULL, *format = NULL;
    bool diff = false, normalize = false, strip_hex = false, diff_only = false;
    struct perfscript_opts *ps = &r.imp.perf;
    unsigned long v;
    int c;
    optind = 0; /* 0, not 1: GNU getopt then forgets the first parse */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (!report && (c == OPT_ICICLE || c == OPT_TREE || c == OPT_TOP || c == OPT_WIDTH ||
                        c == OPT_MIN_PERCENT || c == OPT_BY))
            return usage_error("%s is an option of 'tprof report'", argv[optind - 1]);
        if (!report && (c == OPT_DIFF || c == OPT_MIN_DELTA || c == OPT_FAIL_IF_GROWS))
            return usage_error("%s is an option of 'tprof report --diff'", argv[optind - 1]);
        if (sub == SUB_CONVERT && c == OPT_ABSOLUTE)
            return usage_error("%s is an option of comparisons: 'tprof diff', 'tprof view "
                               "BEFORE AFTER', 'tprof report --diff'", argv[optind - 1]);
        if (sub != SUB_DIFF && (c == OPT_NORMALIZE || c == OPT_STRIP_HEX))
            return usage_error("%s is an option of 'tprof diff'", argv[optind - 1]);
        if (sub != SUB_CONVERT && sub != SUB_DIFF && (c == 'o' || c == OPT_FORMAT))
            return usage_error("%s is an option of 'tprof convert' and 'tprof diff'",
                               argv[optind - 1]);
        if (sub == SUB_DIFF && c == OPT_FORMAT)
            return usage_error("%s is an option of 'tprof convert'", argv[optind - 1]);
        if (sub == SUB_CONVERT && (c == OPT_FOCUS || c == OPT_HIDE || c == OPT_INVERT))
            return usage_error("%s is an option of 'tprof view', 'tprof diff' and 'tprof "
                               "report'", argv[optind - 1]);
        if (report && (c == OPT_ABSOLUTE || c == OPT_MIN_DELTA || c == OPT_FAIL_IF_GROWS ||
                       c == OPT_DIFF_LINES))
            diff_only = true;
        switch (c) {
        case OPT_PS_PID:
            ps->pid = true;
            break;
        case OPT_PS_TID:
            ps->tid = true;
            break;
        case OPT_PS_KERNEL:
            ps->kernel = true;
            break;
        case OPT_PS_JIT:
            ps->jit = true;
            break;
        case OPT_PS_ALL:
            ps->kernel = ps->jit = true;
            break;
        case OPT_PS_ADDRS:
            ps->addrs = true;
            break;
        case OPT_PS_EVENT:
            if (!*optarg)
                return usage_error("%sinvalid --event '' (an event name, as perf script "
                                   "prints it: cycles, cpu-clock...)", "");
            ps->event = optarg;
            break;
        case OPT_PP_SAMPLE_TYPE:
            if (!*optarg)
                return usage_error("%sinvalid --sample-type '' (a sample type of the pprof "
                                   "file: samples, cpu, alloc_space...)", "");
            r.imp.sample_type = optarg;
            break;
        case OPT_SS_PROFILE:
            if (parse_uint(optarg, 1000000, &v) < 0)
                return usage_error("invalid --profile '%s' (a profile's index in a speedscope "
                                   "file, from 0)", optarg);
            r.imp.has_profile = true;
            r.imp.profile = (unsigned)v;
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_FOCUS:
            r.focus = optarg;
            break;
        case OPT_HIDE:
            r.hide = optarg;
            break;
        case OPT_INVERT:
            r.invert = true;
            break;
        case OPT_ICICLE:
            r.mode = REPORT_ICICLE;
            break;
        case OPT_TREE:
            r.mode = REPORT_TREE;
            break;
        case OPT_TOP:
            if (parse_uint(optarg, 1000000, &v) < 0 || v == 0)
                return usage_error("invalid --top '%s' (a count, 1 or more)", optarg);
            r.mode = REPORT_TOP;
            r.top = (int)v;
            break;
        case OPT_WIDTH:
            if (parse_uint(optarg, 10000, &v) < 0 || v < 20)
                return usage_error("invalid --width '%s' (20 to 10000 columns)", optarg);
            r.width = (int)v;
            break;
        case OPT_MIN_PERCENT:
            if (parse_double(optarg, 0, 100, &r.min_percent) < 0)
                return usage_error("invalid --min-percent '%s' (0 to 100)", optarg);
            break;
        case OPT_BY:
            if (strcmp(optarg, "module") != 0 && strcmp(optarg, "function") != 0)
                return usage_error("invalid --by '%s' (module or function)", optarg);
            r.by_module = strcmp(optarg, "module") == 0;
            break;
        case OPT_DIFF:
            diff = true;
            break;
        case OPT_ABSOLUTE:
            r.absolute = true;
            break;
        case OPT_DIFF_LINES:
            r.diff_lines = true;
            break;
        case OPT_ALL_FRAMES:
            r.all_frames = true;
            break;
        case OPT_FOLD_KERNEL:
            r.fold_kernel = true;
            break;
        case OPT_MIN_DELTA:
            if (parse_double(optarg, 0, 1e18, &r.min_delta) < 0)
                return usage_error("invalid --min-delta '%s' (points, 0 or more)", optarg);
            break;
        case OPT_FAIL_IF_GROWS:
            if (parse_double(optarg, 0, 1e18, &r.fail_if_grows) < 0)
                return usage_error("invalid --fail-if-grows '%s' (points, 0 or more)", optarg);
            break;
        case OPT_NORMALIZE:
            normalize = true;
            break;
        case OPT_STRIP_HEX:
            strip_hex = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (r.fold_kernel && sub == SUB_CONVERT)
        return usage_error("%s--fold-kernel is for reading: tprof view, report or diff", "");
    if (r.diff_lines && sub == SUB_CONVERT)
        return usage_error("%s--diff-lines is for comparisons: tprof diff, view or report --diff "
                           "BEFORE AFTER", "");
    if (diff_only && !diff)
        return usage_error("%s--absolute, --diff-lines, --min-delta and --fail-if-grows go with "
                           "'tprof report --diff BEFORE AFTER'", "");
    if (diff && (r.hide || r.invert || r.mode == REPORT_ICICLE || r.mode == REPORT_TREE ||
                 r.min_percent >= 0 || r.width || r.by_module))
        return usage_error("%sreport --diff takes --top, --focus, --absolute, --diff-lines, "
                           "--min-delta and --fail-if-grows", "");
    /* (tprof view BEFORE AFTER is tprof diff BEFORE AFTER) */
    if (sub == SUB_DIFF || diff || (sub == SUB_VIEW && argc - optind == 2)) {
        if (argc - optind != 2)
            return usage_error(sub == SUB_DIFF ? "%sdiff needs two files: BEFORE AFTER"
                                               : "%sreport --diff needs two files: BEFORE AFTER",
                               "");
        if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
            return usage_error("%sonly one of BEFORE and AFTER can be standard input", "");
        if (diff) {
            r.before = argv[optind];
            r.path = argv[optind + 1];
            return cmd_report(&r);
        }
        if (out && (r.focus || r.hide || r.invert))
            return usage_error("%s--focus, --hide and --invert are the viewer's: 'tprof diff' "
                               "without -o", "");
        if (out && r.fold_kernel)
            return usage_error("%s--fold-kernel is the viewer's and report's: 'tprof diff' "
                               "without -o, or report --diff", "");
        if (!out && (normalize || strip_hex))
            return usage_error("%s--normalize and --strip-hex shape 'tprof diff -o OUT.folded'",
                               "");
        if (!out)
            return view_with(&r, argv[optind + 1], argv[optind]);
        struct diff_opts d = {.before = argv[optind], .after = argv[optind + 1], .out = out,
                              .imp = r.imp, .normalize = normalize, .strip_hex = strip_hex,
                              .absolute = r.absolute, .diff_lines = r.diff_lines,
                              .all_frames = r.all_frames};
        return cmd_diff(&d);
    }
    if (optind >= argc)
        return usage_error(report ? "%sreport needs a FILE ('-' for standard input)"
                           : sub == SUB_VIEW ? "%sview needs a FILE ('-' for standard input)"
                                             : "%sconvert needs a FILE ('-' for standard input)",
                           "");
    if (argc - optind > 1) {
        if (argc - optind == 2)
            return usage_error(report ? "%sto compare two profiles: tprof report --diff "
                                        "BEFORE AFTER"
                                      : "%sto compare two profiles: tprof diff BEFORE AFTER "
                                        "[-o OUT], or tprof report --diff BEFORE AFTER",
                               "");
        return usage_error("too many arguments to '%s'", cmd);
    }
    r.path = argv[optind];
    if (sub == SUB_CONVERT) {
        if (!out)
            return usage_error("%sconvert needs -o OUT (a file, or - for standard output)", "");
        struct convert_opts co = {.in = r.path, .out = out, .format = format, .imp = r.imp,
                                  .all_frames = r.all_frames};
        return cmd_convert(&co);
    }
    if (report) {
        if (r.min_percent < 0)
            r.min_percent = r.mode == REPORT_TREE ? 1.0 : 0.0;
        return cmd_report(&r);
    }
    return view_with(&r, r.path, NULL);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"freq", required_argument, NULL, 'F'},
        {"call-graph", required_argument, NULL, 'g'},
        {"stack-size", required_argument, NULL, OPT_STACK_SIZE},
        {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"threads", no_argument, NULL, OPT_THREADS},
        {"pid-roots", no_argument, NULL, OPT_PID_ROOTS},
        {"no-tui", no_argument, NULL, OPT_NO_TUI},
        {"refresh", required_argument, NULL, OPT_REFRESH},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"mode", required_argument, NULL, OPT_MODE},
        {"python", required_argument, NULL, OPT_PYTHON},
        {"python-lines", no_argument, NULL, OPT_PYTHON_LINES},
        {"python-read", required_argument, NULL, OPT_PYTHON_READ},
        {"jit-any-owner", no_argument, NULL, OPT_JIT_ANY_OWNER},
        {"no-inline", no_argument, NULL, OPT_NO_INLINE},
        {"no-cache", no_argument, NULL, OPT_NO_CACHE},
        {"per-task", no_argument, NULL, OPT_PER_TASK},
        {"lines", no_argument, NULL, OPT_LINES},
        {"diff-base", required_argument, NULL, OPT_DIFF_BASE},
        {"diff-lines", no_argument, NULL, OPT_DIFF_LINES},
        {"all-frames", no_argument, NULL, OPT_ALL_FRAMES},
        {"pid", required_argument, NULL, 'p'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct record_opts o = {
        .freq = 999, .callgraph = PERF_CG_DWARF, .stack_size = 16384, .refresh = 2,
        .max_depth = TPROF_DEFAULT_MAX_DEPTH, .python = true};
    pid_t pids[64];
    unsigned long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:F:g:p:qhV", longopts, NULL)) != -1) {
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
        case OPT_MAX_DEPTH:
            if (parse_uint(optarg, TPROF_MAX_MAX_DEPTH, &v) < 0 || v == 0)
                return usage_error("invalid depth '%s' (1 to " TPROF_STR(TPROF_MAX_MAX_DEPTH)
                                   " frames)", optarg);
            o.max_depth = (uint32_t)v;
            break;
        case OPT_DURATION:
            if (parse_double(optarg, 1e-3, 1e7, &o.duration) < 0)
                return usage_error("invalid duration '%s' (seconds, > 0)", optarg);
            break;
        case OPT_THREADS:
            o.threads = true;
            break;
        case OPT_PID_ROOTS:
            o.pid_roots = true;
            break;
        case OPT_NO_TUI:
            o.no_tui = true;
            break;
        case OPT_DIFF_BASE:
            o.diff_base = optarg;
            break;
        case OPT_DIFF_LINES:
            o.diff_lines = true;
            break;
        case OPT_ALL_FRAMES:
            o.all_frames = true;
            break;
        case OPT_BACKEND:
            if (strcmp(optarg, "auto") == 0)
                o.backend = BACKEND_AUTO;
            else if (strcmp(optarg, "perf") == 0)
                o.backend = BACKEND_PERF;
            else if (strcmp(optarg, "ptrace") == 0)
                o.backend = BACKEND_PTRACE;
            else
                return usage_error("invalid backend '%s' (auto, perf or ptrace)", optarg);
            break;
        case OPT_MODE:
            if (strcmp(optarg, "cpu") == 0)
                o.wall = false;
            else if (strcmp(optarg, "wall") == 0)
                o.wall = true;
            else
                return usage_error("invalid mode '%s' (cpu or wall)", optarg);
            break;
        case OPT_PYTHON:
            if (strcmp(optarg, "on") == 0)
                o.python = true;
            else if (strcmp(optarg, "off") == 0)
                o.python = false;
            else
                return usage_error("invalid --python '%s' (on or off)", optarg);
            break;
        case OPT_PYTHON_LINES:
            o.python_lines = true;
            break;
        case OPT_PYTHON_READ:
            if (strcmp(optarg, "auto") == 0)
                o.python_read = PYREAD_AUTO;
            else if (strcmp(optarg, "kernel") == 0)
                o.python_read = PYREAD_KERNEL;
            else if (strcmp(optarg, "user") == 0)
                o.python_read = PYREAD_USER;
            else
                return usage_error("invalid --python-read '%s' (auto, kernel or user)", optarg);
            break;
        case OPT_JIT_ANY_OWNER:
            o.jit_any_owner = true;
            break;
        case OPT_PER_TASK:
            o.per_task = true;
            break;
        case OPT_NO_INLINE:
            o.no_inline = true;
            break;
        case OPT_NO_CACHE:
            o.no_cache = true;
            break;
        case OPT_LINES: /* (Python frames too) */
            o.lines = o.python_lines = true;
            break;
        case OPT_REFRESH:
            if (parse_double(optarg, 0.1, 60, &o.refresh) < 0)
                return usage_error("invalid refresh rate '%s' (0.1 to 60 per second)", optarg);
            break;
        case 'p': {
            char *save = NULL, *list = optarg;
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                unsigned long v;
                if (parse_uint(tok, 4194304, &v) < 0 || v == 0)
                    return usage_error("invalid process id '%s'", tok);
                if (o.npids == sizeof(pids) / sizeof(pids[0]))
                    return usage_error("%stoo many processes for -p (64 at most)", "");
                pids[o.npids++] = (pid_t)v;
            }
            if (!o.npids)
                return usage_error("%s-p needs a process id", "");
            o.pids = pids;
            break;
        }
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
    if (!o.python && o.python_read != PYREAD_AUTO)
        return usage_error("%s--python-read has no Python frames to read with --python off", "");
    if (o.diff_lines && !o.diff_base)
        return usage_error("%s--diff-lines goes with --diff-base FILE (and tprof diff, view and "
                           "report --diff)", "");
    if (o.npids) {
        if (optind < argc)
            return usage_error("%s-p attaches to running processes: give no PROGRAM", "");
        return cmd_record(&o);
    }
    if (optind >= argc)
        return usage_error("%sno program to profile: tprof [OPTIONS] -- PROGRAM [ARG...]", "");
    const char *first = argv[optind];
    bool dashdash = strcmp(argv[optind - 1], "--") == 0; /* "tprof -- view" runs ./view */
    if (!dashdash && optind == 1 && strcmp(first, "view") == 0)
        return main_subcommand(argc - optind, argv + optind, SUB_VIEW);
    if (!dashdash && optind == 1 && strcmp(first, "report") == 0)
        return main_subcommand(argc - optind, argv + optind, SUB_REPORT);
    if (!dashdash && optind == 1 && strcmp(first, "convert") == 0)
        return main_subcommand(argc - optind, argv + optind, SUB_CONVERT);
    if (!dashdash && optind == 1 && strcmp(first, "diff") == 0)
        return main_subcommand(argc - optind, argv + optind, SUB_DIFF);
    o.argv = argv + optind;
    return cmd_record(&o);
}
