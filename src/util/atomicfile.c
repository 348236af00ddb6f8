/*
 * atomicfile: an output file either appears complete or not at all. Data goes
 * to PATH.tmp.XXXXXX in the same directory (rename is atomic only within one
 * file system), and commit renames it over PATH.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/atomicfile.h"
#include "tprof/xalloc.h"

struct atomicfile {
    char *path;
    char *tmp;
    FILE *f;
};

struct atomicfile *atomicfile_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot write '%s': Is a directory", path);
        return NULL;
    }
    struct atomicfile *af = xcalloc(1, sizeof(*af));
    af->path = xstrdup(path);
    af->tmp = xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        free(af->tmp);
        free(af->path);
        free(af);
        return NULL;
    }
    /* mkstemp creates 0600; give the file the usual 0666 & ~umask. */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    af->f = fdopen(fd, "w");
    if (!af->f) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        close(fd);
        unlink(af->tmp);
        free(af->tmp);
        free(af->path);
        free(af);
        return NULL;
    }
    return af;
}

FILE *atomicfile_stream(struct atomicfile *af)
{
    return af->f;
}

static void destroy(struct atomicfile *af)
{
    free(af->tmp);
    free(af->path);
    free(af);
}

int atomicfile_commit(struct atomicfile *af, char *err, size_t errlen)
{
    int bad = ferror(af->f);
    int saved = errno;
    if (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0) {
        bad = 1;
        saved = errno;
    }
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(af->tmp, af->path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        snprintf(err, errlen, "cannot write '%s': %s", af->path, strerror(saved ? saved : EIO));
        unlink(af->tmp);
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
    fclose(af->f);
    unlink(af->tmp);
    destroy(af);
}
