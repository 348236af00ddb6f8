/* launch: start a program corked, so events can be attached before it runs. */
#ifndef TPROF_LAUNCH_H
#define TPROF_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct launch {
    pid_t pid;
    int go_fd;  /* write end: one byte lets the child exec */
    int err_fd; /* read end: errno of a failed exec, EOF when exec succeeded */
};

struct launch_opts {
    int stdin_fd;  /* -1: inherit */
    int stdout_fd; /* -1: inherit */
    int stderr_fd; /* -1: inherit */
};

/* Fork a child that waits on the go pipe, then execvp(ARGV[0], ARGV). */
int launch_start(struct launch *l, char *const argv[], const struct launch_opts *opts,
                 char *err, size_t errlen);
/* Let the child exec. Returns 0 when exec succeeded, else the exec errno. */
int launch_go(struct launch *l);
/* Kill a child that never got the go byte. */
void launch_abort(struct launch *l);

/* The shell's status for a failed exec: 127 not found, 126 not executable. */
int launch_exec_failure_status(int exec_errno);
/* A shell-like message for a failed exec of NAME. */
void launch_exec_failure_message(const char *name, int exec_errno, char *buf, size_t len);
/* The shell's status for a waitpid status: code, or 128+signal. */
int launch_exit_status(int wstatus);

/* Is the program ARGV0 (as execvp finds it) a Python interpreter, or a
 * script run by one? Its name (python3, python3.11, a pyenv shim) or its
 * #! line says so; the interpreter's path goes to INTERP ("" when the #!
 * line does not name one that can be found). The recorder then reads the
 * interpreter's DWARF before the program runs. */
bool launch_is_python(const char *argv0, char *interp, size_t len);
/* Does the running process PID run Python (its executable's name, a
 * libpython)? Its executable's path goes to EXE when it is named for
 * Python. */
bool launch_pid_is_python(pid_t pid, char *exe, size_t len);

#endif
