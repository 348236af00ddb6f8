/* fileutil: opening files that other programs control. */
#ifndef TPROF_FILEUTIL_H
#define TPROF_FILEUTIL_H

#include <stddef.h>
#include <sys/stat.h>

/* Open PATH read-only without ever blocking in open() (a FIFO swapped in
 * for a mapped file, a device), and accept it only if it is a regular file.
 * Returns the fd (blocking reads, close-on-exec) with its stat in ST, or -1
 * with errno set (EINVAL when it is not a regular file). */
int fileutil_open_regular(const char *path, struct stat *st);

/* In the N bytes of a /proc/PID/stat or /proc/PID/task/TID/stat line
 * ("PID (COMM) STATE PPID ..."), where the fields after COMM start: just
 * past the last ')', since COMM may hold spaces and ')'. NULL when there
 * is none. */
const char *fileutil_stat_fields(const char *text, size_t n);

#endif
