/*
 * atomicfile: an output file either appears complete or not at all, and
 * what the user's path points at is never replaced by something else.
 *
 * What happens depends on what is at the path when it is opened:
 * - nothing, or a regular file: data goes to PATH.tmp.XXXXXX in the same
 *   directory (rename is atomic only within one file system), and commit
 *   renames it over PATH; an existing file's mode is kept, and a read-only
 *   file is refused (even for root, who could write it).
 * - a symlink: followed; its target gets the same treatment (a regular
 *   target is replaced atomically in its own directory, the link stays).
 * - a character device or a FIFO (/dev/null, a terminal, /dev/stdout as a
 *   pipe): opened and written in place. A FIFO nobody reads is refused at
 *   open, not left to block at the end.
 * - "-": standard output.
 * - a directory, a block device or a socket: refused.
 * Opening is where every refusal happens, so a caller that opens before
 * doing the work learns of a bad path before it starts: for a file to be
 * replaced, opening creates and removes a temporary (the proof that the
 * directory takes one), and the real temporary is made when the first byte
 * is to be written, so a long recording leaves no stray file meanwhile.
 * A signal that ends the process while a temporary exists (^C or SIGTERM
 * during a long convert) removes it first (live_add), where the process
 * had left the signal's default action in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/atomicfile.h"
#include "tprof/xalloc.h"

struct atomicfile {
    char *path; /* as the user gave it, for messages */
    char *dest; /* what is renamed over (a symlink's target); NULL: in place */
    char *tmp;
    mode_t mode; /* the replacement's */
    FILE *f;     /* NULL until atomicfile_stream for a replacement */
    int err;     /* errno of a failed atomicfile_stream */
};

/* The temporaries that exist now, for the signals that would end the
 * process with them on disk: the handler removes them (unlink is
 * async-signal-safe), then lets the signal end the process as it would
 * have. A slot is cleared before its string is freed. */
#define MAX_LIVE 16
static char *volatile live[MAX_LIVE];
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_fatal(int sig)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        char *p = live[i];
        if (p)
            unlink(p);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void live_add(char *p)
{
    static bool installed;
    if (!installed) { /* (only where the process left the default: the
                         recorder takes its signals through a signalfd) */
        installed = true;
        for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
            struct sigaction old;
            if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
                (old.sa_flags & SA_SIGINFO))
                continue;
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_fatal;
            sigemptyset(&sa.sa_mask);
            sigaction(fatal_signals[i], &sa, NULL);
        }
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = p;
            return;
        }
}

/* AF's temporary forgotten (and removed from disk when REMOVE). */
static void tmp_drop(struct atomicfile *af, bool remove)
{
    if (!af->tmp)
        return;
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == af->tmp)
            live[i] = NULL;
    if (remove)
        unlink(af->tmp);
    free(af->tmp);
    af->tmp = NULL;
}

static struct atomicfile *fail(struct atomicfile *af, char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "cannot write '%s': %s", af->path, why);
    if (af->f)
        fclose(af->f);
    tmp_drop(af, true);
    free(af->dest);
    free(af->path);
    free(af);
    return NULL;
}

/* Write in place: a device, a FIFO, standard output. */
static struct atomicfile *open_in_place(struct atomicfile *af, const char *path, mode_t type,
                                        char *err, size_t errlen)
{
    int fd;
    if (!path) {
        fd = dup(1);
    } else {
        /* Non-blocking: a FIFO with no reader fails with ENXIO instead of
         * waiting for one; a terminal does not become our controlling one. */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (S_ISREG(type) ? O_APPEND : 0));
        if (fd < 0 && errno == ENXIO && S_ISFIFO(type))
            return fail(af, err, errlen, "no process is reading the FIFO");
    }
    if (fd < 0)
        return fail(af, err, errlen, strerror(errno));
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    af->f = fdopen(fd, "w");
    if (!af->f) {
        close(fd);
        return fail(af, err, errlen, strerror(errno));
    }
    return af;
}

/* The temporary next to DEST, open for writing; -1 with errno. */
static int make_temp(struct atomicfile *af)
{
    tmp_drop(af, false);
    char *tmp = xasprintf("%s.tmp.XXXXXX", af->dest);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        errno = e;
        return -1;
    }
    af->tmp = tmp;
    live_add(tmp);
    fchmod(fd, af->mode);
    af->f = fdopen(fd, "w");
    if (!af->f) {
        int e = errno;
        close(fd);
        tmp_drop(af, true);
        errno = e;
        return -1;
    }
    return 0;
}

/* Through a temporary next to DEST; an existing file's mode is kept. */
static struct atomicfile *open_replace(struct atomicfile *af, const char *dest,
                                       const struct stat *old, char *err, size_t errlen)
{
    if (old && (!(old->st_mode & 0222) || access(dest, W_OK) < 0))
        return fail(af, err, errlen, "the file is read-only");
    af->dest = xstrdup(dest);
    if (old) {
        af->mode = old->st_mode & 07777;
    } else { /* mkstemp creates 0600; give the file the usual 0666 & ~umask */
        mode_t um = umask(0);
        umask(um);
        af->mode = 0666 & ~um;
    }
    /* The proof that a temporary can be made there; removed at once. */
    if (make_temp(af) < 0)
        return fail(af, err, errlen, strerror(errno));
    fclose(af->f);
    af->f = NULL;
    tmp_drop(af, true);
    return af;
}

struct atomicfile *atomicfile_open(const char *path, char *err, size_t errlen)
{
    struct atomicfile *af = xcalloc(1, sizeof(*af));
    af->path = xstrdup(path);
    if (strcmp(path, "-") == 0)
        return open_in_place(af, NULL, S_IFIFO, err, errlen);
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            return fail(af, err, errlen, strerror(errno));
        return open_replace(af, path, NULL, err, errlen);
    }
    const char *dest = path;
    char *resolved = NULL;
    if (S_ISLNK(st.st_mode)) {
        if (stat(path, &st) < 0)
            return fail(af, err, errlen,
                        errno == ENOENT ? "the symlink points at nothing" : strerror(errno));
        /* /dev/stdout and the like go through /proc's magic links: those
         * name an open file, whatever it is, and are written in place. */
        char link[PATH_MAX];
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        bool magic = strncmp(path, "/proc/", 6) == 0 || strncmp(path, "/dev/", 5) == 0 ||
                     (n > 0 && (link[n] = '\0', strncmp(link, "/proc/", 6) == 0));
        if (S_ISREG(st.st_mode) && !magic) {
            resolved = realpath(path, NULL);
            if (!resolved)
                return fail(af, err, errlen, strerror(errno));
            dest = resolved;
        } else if (S_ISREG(st.st_mode)) {
            return open_in_place(af, path, st.st_mode, err, errlen);
        }
    }
    struct atomicfile *r;
    if (S_ISREG(st.st_mode))
        r = open_replace(af, dest, &st, err, errlen);
    else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        r = open_in_place(af, path, st.st_mode, err, errlen);
    else if (S_ISDIR(st.st_mode))
        r = fail(af, err, errlen, "Is a directory");
    else if (S_ISBLK(st.st_mode))
        r = fail(af, err, errlen, "it is a block device");
    else
        r = fail(af, err, errlen, "it is not a file, device or FIFO");
    free(resolved);
    return r;
}

FILE *atomicfile_stream(struct atomicfile *af)
{
    if (!af->f && af->dest && !af->err && make_temp(af) < 0)
        af->err = errno;
    return af->f;
}

const char *atomicfile_path(const struct atomicfile *af)
{
    return af->path;
}

static void destroy(struct atomicfile *af)
{
    tmp_drop(af, false);
    free(af->dest);
    free(af->path);
    free(af);
}

int atomicfile_commit(struct atomicfile *af, char *err, size_t errlen)
{
    if (!atomicfile_stream(af)) {
        snprintf(err, errlen, "cannot write '%s': %s", af->path, strerror(af->err));
        destroy(af);
        return -1;
    }
    int bad = ferror(af->f);
    int saved = bad ? errno : 0;
    /* (fsync only the temporary: a pipe or a terminal cannot be synced) */
    if (fflush(af->f) != 0 || (af->tmp && fsync(fileno(af->f)) != 0)) {
        bad = 1;
        saved = errno;
    }
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && af->tmp && rename(af->tmp, af->dest) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        snprintf(err, errlen, "cannot write '%s': %s", af->path, strerror(saved ? saved : EIO));
        tmp_drop(af, true);
        destroy(af);
        return -1;
    }
    destroy(af);
    return 0;
}

void atomicfile_abort(struct atomicfile *af)
{
    if (!af)
        return;
    if (af->f)
        fclose(af->f);
    tmp_drop(af, true);
    destroy(af);
}
