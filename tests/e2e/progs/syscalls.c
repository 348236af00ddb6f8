/* syscalls: spends most of its time in the kernel, reading /dev/zero in big
 * chunks from read_chunks; samples taken in kernel mode must still carry
 * this user stack. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void read_chunks(int fd)
{
    for (int i = 0; i < 16; i++)
        if (read(fd, buf, sizeof(buf)) < 0)
            exit(1);
}

int main(int argc, char **argv)
{
    double end = now() + (argc > 1 ? atof(argv[1]) : 1.0);
    int fd = open("/dev/zero", O_RDONLY);
    while (now() < end)
        read_chunks(fd);
    close(fd);
    return 0;
}
