/*
 * launch: fork the program but hold it before exec, the way perf does. The
 * child blocks reading a "go" pipe; the parent opens the perf events on its
 * pid (enable_on_exec makes counting start at exec, so tprof's own set-up is
 * never sampled) and then writes one byte. A second, close-on-exec pipe tells
 * the parent whether exec worked: EOF means it did, four bytes carry errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tprof/launch.h"

int launch_start(struct launch *l, char *const argv[], const struct launch_opts *opts,
                 char *err, size_t errlen)
{
    int go[2], ep[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot create pipe: %s", strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        close(go[0]);
        close(go[1]);
        close(ep[0]);
        close(ep[1]);
        return -1;
    }
    if (pid == 0) {
        close(go[1]);
        close(ep[0]);
        /* Die with tprof rather than run on unprofiled and orphaned. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (opts) {
            if (opts->stdin_fd >= 0)
                dup2(opts->stdin_fd, 0);
            if (opts->stdout_fd >= 0)
                dup2(opts->stdout_fd, 1);
            if (opts->stderr_fd >= 0)
                dup2(opts->stderr_fd, 2);
        }
        char c;
        ssize_t r;
        do
            r = read(go[0], &c, 1);
        while (r < 0 && errno == EINTR);
        if (r != 1)
            _exit(127); /* tprof gave up before starting us */
        close(go[0]);
        execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(ep[1], &e, sizeof(e));
        (void)w;
        _exit(launch_exec_failure_status(e));
    }
    close(go[0]);
    close(ep[1]);
    l->pid = pid;
    l->go_fd = go[1];
    l->err_fd = ep[0];
    return 0;
}

int launch_go(struct launch *l)
{
    char c = 'g';
    ssize_t w;
    do
        w = write(l->go_fd, &c, 1);
    while (w < 0 && errno == EINTR);
    close(l->go_fd);
    l->go_fd = -1;
    int e = 0;
    ssize_t r;
    do
        r = read(l->err_fd, &e, sizeof(e));
    while (r < 0 && errno == EINTR);
    close(l->err_fd);
    l->err_fd = -1;
    return r == (ssize_t)sizeof(e) ? e : 0;
}

void launch_abort(struct launch *l)
{
    if (l->go_fd >= 0)
        close(l->go_fd);
    if (l->err_fd >= 0)
        close(l->err_fd);
    l->go_fd = l->err_fd = -1;
    kill(l->pid, SIGKILL);
    int st;
    while (waitpid(l->pid, &st, 0) < 0 && errno == EINTR)
        ;
}

int launch_exec_failure_status(int exec_errno)
{
    return exec_errno == ENOENT || exec_errno == ENOTDIR ? 127 : 126;
}

void launch_exec_failure_message(const char *name, int exec_errno, char *buf, size_t len)
{
    if (exec_errno == ENOENT && !strchr(name, '/'))
        snprintf(buf, len, "%s: command not found", name);
    else
        snprintf(buf, len, "%s: %s", name, strerror(exec_errno));
}

int launch_exit_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return 1;
}

/* ----- Python programs ----- */

/* NAME as execvp finds it, into PATH (LEN bytes); false when it is not. */
static bool find_program(const char *name, char *path, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(path, len, "%s", name);
        return true;
    }
    const char *p = getenv("PATH");
    while (p && *p) {
        size_t n = strcspn(p, ":");
        snprintf(path, len, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", name);
        if (access(path, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

bool launch_is_python(const char *argv0, char *interp, size_t len)
{
    char path[4096];
    interp[0] = '\0';
    if (!find_program(argv0, path, sizeof(path)))
        return false;
    const char *base = strrchr(path, '/');
    if (strstr(base ? base + 1 : path, "python")) {
        snprintf(interp, len, "%s", path);
        return true;
    }
    char head[256] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, head, sizeof(head) - 1);
    close(fd);
    if (n < 2 || head[0] != '#' || head[1] != '!')
        return false;
    head[n] = '\0';
    head[strcspn(head, "\n")] = '\0';
    if (!strstr(head, "python"))
        return false;
    /* "#!/usr/bin/python3.11 -u", "#! /usr/bin/env python3" */
    char *save, *prog = strtok_r(head + 2, " \t", &save);
    char *arg = prog ? strtok_r(NULL, " \t", &save) : NULL;
    const char *pbase = prog ? strrchr(prog, '/') : NULL;
    if (prog && pbase && strcmp(pbase + 1, "env") == 0 && arg) {
        if (!find_program(arg, interp, len))
            interp[0] = '\0';
    } else if (prog) {
        snprintf(interp, len, "%s", prog);
    }
    return true;
}

bool launch_pid_is_python(pid_t pid, char *exe, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, exe, len - 1);
    if (n > 0) {
        exe[n] = '\0';
        const char *base = strrchr(exe, '/');
        if (strstr(base ? base + 1 : exe, "python"))
            return true;
    }
    exe[0] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[4200];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, "/libpython3") != NULL;
    fclose(f);
    return found;
}
