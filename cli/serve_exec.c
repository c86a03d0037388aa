/*
 * serve_exec.c — `kiln serve` in the kiln command: runs kiln-serve (serve.c)
 * in kiln's place with the same arguments, found beside kiln's own
 * executable (the build directory, or the bin directory installed to).
 * The server is a program of its own so that its libraries (h2o, OpenSSL)
 * are loaded by the server only, not by every `kiln run`.  exec keeps the
 * process: its pid, signals and exit status are the server's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define KN_SERVE_PROGRAM "kiln-serve"

static int serve_exec(int argc, char **argv)
{
    (void)argc;
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        fprintf(stderr, "kiln serve: cannot find kiln's own executable: %s\n", strerror(errno));
        return CLI_EXIT_LOAD;
    }
    path[n] = 0;
    char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    if (dir + sizeof KN_SERVE_PROGRAM > sizeof path) {
        fprintf(stderr, "kiln serve: the path of kiln's executable is too long\n");
        return CLI_EXIT_LOAD;
    }
    memcpy(path + dir, KN_SERVE_PROGRAM, sizeof KN_SERVE_PROGRAM);
    fflush(NULL);
    execv(path, argv);
    fprintf(stderr, "kiln serve: cannot run %s: %s (it is built and installed beside kiln)\n",
            path, strerror(errno));
    return CLI_EXIT_LOAD;
}

const cli_command cli_serve = {
    .name = "serve",
    .summary = "Serve HTTP with WAGI handlers from a Spin manifest or a module",
    .usage = cli_serve_usage,
    .main = serve_exec,
};
