/*
 * spawn_time.c — start-to-exit wall time of a command, for bench/run.sh's
 * WASI start-up table.
 *
 *   spawn_time N CMD [ARGS...]
 *
 * Runs CMD N times, one after another (fork + execvp, stdin and stdout on
 * /dev/null, stderr inherited), after one untimed warm-up run.  Each run is
 * timed with CLOCK_MONOTONIC from just before fork to the return of waitpid.
 * Prints one line, "min_us median_us mean_us N", and exits 0; if a run
 * cannot be started or exits other than with status 0, it says so on stderr
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* one run; returns its wall time in ns, or -1 */
static int64_t run_once(char **cmd, int null_fd)
{
    int64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn_time: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        execvp(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("spawn_time: waitpid");
        return -1;
    }
    int64_t t1 = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            fprintf(stderr, "spawn_time: %s exited with status %d\n", cmd[0], WEXITSTATUS(status));
        else
            fprintf(stderr, "spawn_time: %s was killed by signal %d\n", cmd[0], WTERMSIG(status));
        return -1;
    }
    return t1 - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: spawn_time N CMD [ARGS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    char **cmd = argv + 2;
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0) {
        perror("/dev/null");
        return 2;
    }
    int64_t *t = malloc((size_t)n * sizeof *t);
    if (!t || run_once(cmd, null_fd) < 0) /* warm-up: page cache, node's code cache */
        return 1;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if ((t[i] = run_once(cmd, null_fd)) < 0)
            return 1;
        sum += (double)t[i];
    }
    qsort(t, (size_t)n, sizeof *t, cmp_i64);
    /* median: the middle one, or the mean of the two middle ones */
    int64_t med2 = n % 2 ? 2 * t[n / 2] : t[n / 2 - 1] + t[n / 2];
    printf("%.0f %.0f %.0f %d\n", (double)t[0] / 1e3, (double)med2 / 2e3, sum / n / 1e3, n);
    return 0;
}
