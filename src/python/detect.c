/*
 * Is this process CPython, and which one? The interpreter is the file
 * mapped into the process that defines _PyRuntime: the executable itself
 * (Debian's /usr/bin/python3.11 links libpython statically) or a
 * libpython3.X.so (pyenv, embedding programs). Its version is Py_Version
 * (3.11+) or, for 3.10, the file's name. PYTHON-NOTES.md §1.
 */
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "tprof/elf.h"
#include "tprof/maps.h"
#include "tprof/symbols.h"
#include "tprof/xalloc.h"

void py_notice(struct python *py, const char *fmt, ...)
{
    if (py->nnotice >= sizeof(py->notice) / sizeof(py->notice[0]))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(py->notice[py->nnotice++], sizeof(py->notice[0]), fmt, ap);
    va_end(ap);
}

/* Said once per interpreter file and version. */
static bool first_time(struct python *py, const char *what)
{
    for (size_t i = 0; i < py->nseen; i++)
        if (strcmp(py->seen[i], what) == 0)
            return false;
    py->seen = xrealloc(py->seen, (py->nseen + 1) * sizeof(*py->seen));
    snprintf(py->seen[py->nseen++], sizeof(py->seen[0]), "%s", what);
    return true;
}

/* "python3.10", "libpython3.10.so.1.0": 10; else -1. */
static int minor_from_name(const char *base)
{
    const char *p = strstr(base, "python3.");
    if (!p)
        return -1;
    p += 8;
    int m = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) {
        m = m * 10 + (*p++ - '0');
        digits++;
    }
    return digits ? m : -1;
}

static bool sym_addr(struct dso *d, uint64_t bias, const char *name, uint64_t *addr,
                     uint64_t *size)
{
    uint64_t v, sz;
    if (dso_find_symbol(d, name, &v, &sz) < 0)
        return false;
    *addr = v + bias;
    if (size)
        *size = sz;
    return true;
}

/* The interpreter's file among PID's mappings and its load bias. */
static struct dso *find_interpreter(struct python *py, uint32_t pid, uint64_t *bias,
                                    uint64_t *runtime)
{
    char link[64], exe[4096];
    snprintf(link, sizeof(link), "/proc/%u/exe", pid);
    ssize_t el = readlink(link, exe, sizeof(exe) - 1);
    exe[el > 0 ? el : 0] = '\0';
    size_t n;
    const struct map *m = symbols_maps(py->sym, pid, &n);
    struct dso *tried[16];
    size_t ntried = 0;
    for (size_t i = 0; i < n; i++) {
        struct dso *d = m[i].dso;
        if (!d || m[i].kind != MAPPING_FILE || !dso_ok(d))
            continue;
        bool seen = false;
        for (size_t k = 0; k < ntried; k++)
            seen |= tried[k] == d;
        if (seen)
            continue;
        /* Only the executable and files named for Python: looking through
         * every library's symbols for _PyRuntime would cost each process. */
        if (strcmp(dso_path(d), exe) != 0 && !strstr(dso_basename(d), "python"))
            continue;
        if (ntried < sizeof(tried) / sizeof(tried[0]))
            tried[ntried++] = d;
        uint64_t vaddr, size;
        if (dso_offset_to_vaddr(d, m[i].pgoff, &vaddr) < 0)
            continue;
        uint64_t b = m[i].start - vaddr;
        if (dso_find_symbol(d, "_PyRuntime", &vaddr, &size) < 0 &&
            dso_find_section(d, ".PyRuntime", &vaddr, &size) < 0)
            continue;
        *bias = b;
        *runtime = vaddr + b;
        return d;
    }
    return NULL;
}

/* TPROF_PYTHON_OFFSETS=tables (tests): the built-in tables only. */
static bool tables_only(void)
{
    const char *want = getenv("TPROF_PYTHON_OFFSETS");
    return want && strcmp(want, "tables") == 0;
}

/* What py_prepare read of the file at REAL (a real path) for 3.MINOR. */
static const struct py_prepared *prepared_find(const struct python *py, const char *real,
                                               int minor)
{
    for (size_t i = 0; i < py->nprepared; i++)
        if (py->prepared[i].minor == minor && strcmp(py->prepared[i].path, real) == 0)
            return &py->prepared[i];
    return NULL;
}

/* The libpython3.X.so the executable EXE needs (pyenv's builds, embedding
 * programs), where the dynamic loader would find it: its RUNPATH or RPATH
 * ($ORIGIN expanded), then the system's directories. False when it needs
 * none, or it is not found. */
static bool needed_libpython(const char *exe, char *out, size_t len)
{
    int fd = open(exe, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    char lib[256] = "", paths[1024] = "";
    Elf_Scn *scn = NULL;
    while (e && (scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Dyn dyn;
            if (!gelf_getdyn(d, (int)i, &dyn))
                break;
            const char *str = dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RUNPATH ||
                                      dyn.d_tag == DT_RPATH
                                  ? elf_strptr(e, sh.sh_link, dyn.d_un.d_val)
                                  : NULL;
            if (str && dyn.d_tag == DT_NEEDED && strncmp(str, "libpython3.", 11) == 0)
                snprintf(lib, sizeof(lib), "%s", str);
            else if (str && dyn.d_tag != DT_NEEDED)
                snprintf(paths, sizeof(paths), "%s", str);
        }
    }
    if (e)
        elf_end(e);
    close(fd);
    if (!lib[0] || strchr(lib, '/'))
        return false;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", exe);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    size_t pl = strlen(paths);
    snprintf(paths + pl, sizeof(paths) - pl, "%s/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
                                             "/usr/local/lib:/lib:/usr/lib", pl ? ":" : "");
    char *save = NULL;
    for (char *p = strtok_r(paths, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        bool origin = strncmp(p, "$ORIGIN", 7) == 0;
        int n = snprintf(out, len, "%s%s/%s", origin ? dir : "", origin ? p + 7 : p, lib);
        if (n > 0 && (size_t)n < len && access(out, R_OK) == 0)
            return true;
    }
    return false;
}

void py_prepare(struct python *py, const char *path)
{
    char real[PATH_MAX], lib[PATH_MAX];
    if (tables_only() || !realpath(path, real))
        return;
    /* an executable that links libpython: its offsets are libpython's */
    if (needed_libpython(real, lib, sizeof(lib)) && strcmp(lib, path) != 0)
        py_prepare(py, lib);
    const char *base = strrchr(real, '/');
    int minor = minor_from_name(base ? base + 1 : real);
    const struct py_offsets *o = py_offsets_builtin(minor);
    if (!o || prepared_find(py, real, minor))
        return;
    struct py_prepared pr = {xstrdup(real), minor, false, *o};
    /* (from the cache when found there before: the DWARF's structures
     * take milliseconds to find) */
    uint8_t bid[20];
    size_t bid_size = symbols_build_id(py->sym, real, bid);
    pr.ok = py_offsets_cache_read(bid, bid_size, minor, &pr.off);
    if (!pr.ok && (pr.ok = py_offsets_from_dwarf(&pr.off, minor, symbols_dwarf(py->sym, real))))
        py_offsets_cache_write(bid, bid_size, minor, &pr.off);
    py->prepared = xrealloc(py->prepared, (py->nprepared + 1) * sizeof(*py->prepared));
    py->prepared[py->nprepared++] = pr;
}

/* The DWARF offsets of PATH for 3.MINOR, read now or by py_prepare. */
static bool offsets_from_dwarf(struct python *py, struct py_offsets *o, int minor,
                               const char *path)
{
    char real[PATH_MAX];
    const struct py_prepared *pr = realpath(path, real) ? prepared_find(py, real, minor) : NULL;
    if (!pr)
        return py_offsets_from_dwarf(o, minor, symbols_dwarf(py->sym, path));
    if (pr->ok)
        *o = pr->off;
    return pr->ok;
}

/* How PP's frames are read, for the notice: at the sample, or after it
 * and why, and what would read them at the sample. */
static const char *read_how(struct python *py, const struct py_proc *pp)
{
    static char buf[512];
    if (py->read == PYTHON_READ_STOPPED)
        return "read with each thread stopped (ptrace)";
    if (pp->kgen)
        return "read at each sample in the kernel";
    if (py->read == PYTHON_READ_KERNEL)
        snprintf(buf, sizeof(buf), "read after each sample (the kernel program cannot read "
                                   "this layout; --backend ptrace reads them exactly)");
    else
        snprintf(buf, sizeof(buf), "read after each sample, so some are inconsistent (%s)",
                 py->read_why[0] ? py->read_why
                                 : "root, or CAP_BPF and CAP_PERFMON, read them at the sample; "
                                   "or --backend ptrace");
    return buf;
}

void py_detect(struct python *py, struct py_proc *pp)
{
    uint64_t bias = 0;
    struct dso *d = find_interpreter(py, pp->pid, &bias, &pp->runtime);
    pp->state = PY_NOT;
    if (!d)
        return;
    pp->dso = d;
    char what[300];
    int minor = -1, micro = -1;
    uint64_t va;
    uint32_t v = 0;
    if (sym_addr(d, bias, "Py_Version", &va, NULL) && py_read_mem((pid_t)pp->pid, va, &v, 4) &&
        (v >> 24) == 3) {
        pp->version = (int)v;
        minor = (v >> 16) & 0xff;
        micro = (v >> 8) & 0xff;
    } else {
        minor = minor_from_name(dso_basename(d));
    }
    char ver[16];
    if (micro >= 0)
        snprintf(ver, sizeof(ver), "3.%d.%d", minor, micro);
    else
        snprintf(ver, sizeof(ver), "3.%d", minor);
    snprintf(what, sizeof(what), "%s %s", dso_path(d), ver);

    const struct py_offsets *o = py_offsets_builtin(minor);
    if (!o) {
        pp->state = PY_UNSUPPORTED;
        if (first_time(py, what))
            py_notice(py, "python %s in pid %u (%s) is not supported (3.10 to 3.13): its "
                          "frames stay the interpreter's native ones", minor < 0 ? "3.?" : ver,
                      pp->pid, dso_path(d));
        return;
    }
    pp->off = *o;
    const char *source = "built-in offsets";
    const struct py_known *kn = NULL;
    for (size_t i = 0; i < py->nknown; i++)
        if (py->known[i].dso == d && py->known[i].minor == minor)
            kn = &py->known[i];
    /* The kernel reads its frames from now on, with the built-in offsets
     * until its own are known: reading its DWARF may take 0.1 s (Debian's
     * compressed python3.11-dbg, found only now for a python started by a
     * shell), and its samples meanwhile would have no Python frames. Its
     * own offsets, when they differ, register it again. */
    if (!kn) {
        py_kernel_register(py, pp);
        if (pp->kgen) {
            pp->pthread_tid_off = -1;
            py_tids_refresh(py, pp);
        }
    }
    if (kn) {
        pp->off = kn->off;
        source = kn->source;
    } else if (!tables_only() && offsets_from_dwarf(py, &pp->off, minor, dso_path(d))) {
        source = "offsets from its DWARF";
    } else if (minor >= 13) {
        uint8_t buf[512];
        if (py_read_mem((pid_t)pp->pid, pp->runtime, buf, sizeof(buf))) {
            if (py_debug_free_threaded(buf, sizeof(buf))) {
                pp->state = PY_UNSUPPORTED;
                py_kernel_forget(py, pp);
                if (first_time(py, what))
                    py_notice(py, "python %s in pid %u (%s) is a free-threaded build, not "
                                  "supported: its frames stay the interpreter's native ones",
                              ver, pp->pid, dso_path(d));
                return;
            }
            if (!tables_only() && py_offsets_from_debug(&pp->off, buf, sizeof(buf)))
                source = "offsets from _Py_DebugOffsets";
        }
    }
    if (!kn) {
        py->known = xrealloc(py->known, (py->nknown + 1) * sizeof(*py->known));
        py->known[py->nknown++] = (struct py_known){d, minor, pp->off, source};
    }
    uint64_t size = 0;
    if (!sym_addr(d, bias, "PyCode_Type", &pp->code_type, NULL) ||
        !sym_addr(d, bias, "PyUnicode_Type", &pp->unicode_type, NULL) ||
        !sym_addr(d, bias, "PyBytes_Type", &pp->bytes_type, NULL) ||
        !sym_addr(d, bias, "_PyEval_EvalFrameDefault", &pp->eval[0][0], &size) || size == 0) {
        pp->state = PY_UNSUPPORTED;
        py_kernel_forget(py, pp);
        if (first_time(py, what))
            py_notice(py, "python %s in pid %u (%s): the interpreter's symbols are missing; "
                          "its frames stay native", ver, pp->pid, dso_path(d));
        return;
    }
    pp->eval[0][1] = pp->eval[0][0] + size;
    if (sym_addr(d, bias, "_PyEval_EvalFrameDefault.cold", &pp->eval[1][0], &size))
        pp->eval[1][1] = pp->eval[1][0] + size;
    pp->pthread_tid_off = -1;
    pp->state = PY_FOUND;
    /* the kernel program reads its stacks from now on: it gets the
     * process (again, when the offsets are not the ones it was given),
     * and its threads now (not at their first miss) */
    if (!pp->kgen || memcmp(&pp->off, &pp->koff, sizeof(pp->off)) != 0)
        py_kernel_register(py, pp);
    if (pp->kgen)
        py_tids_refresh(py, pp);
    if (!py->label[0])
        snprintf(py->label, sizeof(py->label), "python 3.%d", minor);
    snprintf(pp->found_note, sizeof(pp->found_note),
             "python %s in pid %u (%s, %s): showing Python frames, ", ver, pp->pid, dso_path(d),
             source);
    snprintf(pp->found_what, sizeof(pp->found_what), "%s", what);
    if (py->read != PYTHON_READ_PENDING)
        py_detect_say(py, pp);
}

void py_detect_say(struct python *py, struct py_proc *pp)
{
    if (pp->found_note[0] && first_time(py, pp->found_what))
        py_notice(py, "%s%s (--python=off for the interpreter's own)", pp->found_note,
                  read_how(py, pp));
    pp->found_note[0] = '\0';
}
