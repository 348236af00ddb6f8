/*
 * fileutil: the one way tprof opens a file named by someone else (a mapping
 * of the target, a debug link, a perf map). open() on a FIFO blocks until a
 * writer comes, and a program can swap one in for a file it mapped, so the
 * open is non-blocking and the type is checked on the open descriptor, not
 * on the path (which may change in between).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tprof/fileutil.h"

int fileutil_open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

const char *fileutil_stat_fields(const char *text, size_t n)
{
    const char *close = NULL;
    for (size_t i = 0; i < n; i++)
        if (text[i] == ')')
            close = text + i;
    return close ? close + 1 : NULL;
}
