/*
 * cache: where tprof keeps what it computed once (see cache.h), and the
 * one way an entry is written: a new file, synced, renamed into place.
 * Concurrent runs each write their own file; the last rename wins and
 * every reader sees one whole entry.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tprof/cache.h"
#include "tprof/xalloc.h"

static bool enabled = true;
static char *dir_override;

void cache_set_enabled(bool on)
{
    enabled = on;
}

bool cache_enabled(void)
{
    return enabled;
}

void cache_set_dir(const char *dir)
{
    free(dir_override);
    dir_override = dir ? xstrdup(dir) : NULL;
}

/* $XDG_CACHE_HOME/tprof, else $HOME/.cache/tprof (malloc'd), or NULL */
static char *cache_dir(void)
{
    if (!enabled)
        return NULL;
    if (dir_override)
        return xstrdup(dir_override);
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/')
        return xasprintf("%s/tprof", xdg);
    const char *home = getenv("HOME");
    if (home && home[0] == '/')
        return xasprintf("%s/.cache/tprof", home);
    return NULL;
}

char *cache_path(const char *name)
{
    char *dir = cache_dir();
    if (!dir)
        return NULL;
    char *p = xasprintf("%s/%s", dir, name);
    free(dir);
    return p;
}

int cache_create(const char *name, char **tmp, char *err, size_t errlen)
{
    *tmp = NULL;
    char *dir = cache_dir();
    if (!dir) {
        snprintf(err, errlen, enabled ? "no cache directory: neither $XDG_CACHE_HOME nor $HOME "
                                        "is an absolute path"
                                      : "the cache is off");
        return -1;
    }
    char *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0700);
    }
    free(parent);
    mkdir(dir, 0700);
    struct stat st;
    int fd = -1;
    if (lstat(dir, &st) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: not a directory of this user", dir);
    } else {
        *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
        fd = mkstemp(*tmp);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
            free(*tmp);
            *tmp = NULL;
        }
    }
    free(dir);
    return fd;
}

int cache_commit(const char *name, int fd, char *tmp, bool ok, char *err, size_t errlen)
{
    if (ok && fsync(fd) < 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        ok = false;
    }
    if (close(fd) < 0 && ok) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        ok = false;
    }
    char *path = ok ? cache_path(name) : NULL;
    if (ok && (!path || rename(tmp, path) < 0)) {
        snprintf(err, errlen, "%s: %s", path ? path : name, path ? strerror(errno) : "no cache");
        ok = false;
    }
    if (!ok)
        unlink(tmp);
    free(path);
    free(tmp);
    return ok ? 0 : -1;
}

bool cache_boot_id(char *id, size_t len)
{
    if (len < 2)
        return false;
    id[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return false;
    /* (the whole line, or it is not the id) */
    bool ok = fgets(id, (int)len, f) != NULL && strchr(id, '\n');
    fclose(f);
    id[strcspn(id, "\n")] = '\0';
    for (const char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-'))
            ok = false;
    return ok && id[0];
}

void cache_remove_others(const char *prefix, const char *keep)
{
    char *dir = cache_dir();
    DIR *d = dir ? opendir(dir) : NULL;
    free(dir);
    if (!d)
        return;
    size_t n = strlen(prefix);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, prefix, n) == 0 && strcmp(de->d_name, keep) != 0)
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

void cache_hex(const uint8_t *bid, size_t n, char out[41])
{
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", bid[i]);
}
