/*
 * serve.c — kiln-serve, the program behind `kiln serve`: the command line
 * of the HTTP server whose code lives in src/serve/ (server.h).  It is a
 * program of its own, which kiln runs in its place (serve_exec.c), so that
 * h2o and OpenSSL are loaded only by the server and not by every start of
 * kiln (about 3.5 ms each).  This file only turns options into a
 * kn_server_config; usage errors exit 2 like every other command, and so
 * does an app that cannot be loaded (the server says why).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "server.h"
#include "util.h"

/* h2o keeps its timeouts in milliseconds; an hour is more than any client
 * should need between requests. */
#define KN_IDLE_TIMEOUT_MAX_NS (3600ull * 1000000000u)

static int serve_main(int argc, char **argv)
{
    kn_server_config cfg = {.listen = "127.0.0.1:3000", .grace_ms = 10000,
                            .idle_timeout_ms = 10000};
    const char *workers = NULL, *grace = NULL, *idle = NULL, *target = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(cli_serve_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(a, "--watch") == 0) {
            cfg.watch = 1;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if ((r = option_value("serve", argv, argc, &i, "--listen", &cfg.listen)) ||
            (r = option_value("serve", argv, argc, &i, "--admin", &cfg.admin)) ||
            (r = option_value("serve", argv, argc, &i, "--workers", &workers)) ||
            (r = option_value("serve", argv, argc, &i, "--tls-cert", &cfg.tls_cert)) ||
            (r = option_value("serve", argv, argc, &i, "--tls-key", &cfg.tls_key)) ||
            (r = option_value("serve", argv, argc, &i, "--grace", &grace)) ||
            (r = option_value("serve", argv, argc, &i, "--idle-timeout", &idle))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            i--; /* option_value moved past the value; the loop moves on */
            continue;
        }
        if (a[0] == '-' && a[1])
            return usage_error("serve", "unknown option '%s'", a);
        break;
    }
    if (i >= argc)
        return usage_error("serve", "missing MANIFEST or MODULE.wasm");
    target = argv[i];
    if (i + 1 < argc)
        return usage_error("serve", "unexpected argument '%s'", argv[i + 1]);
    uint64_t v;
    if (workers) {
        if (parse_count(workers, &v) != NUM_OK || v < 1 || v > 64)
            return usage_error("serve", "--workers wants 1..64, not '%s'", workers);
        cfg.workers = (unsigned)v;
    }
    if (grace) {
        if (parse_duration(grace, &v) != NUM_OK)
            return usage_error("serve", "--grace wants a duration like 10s, not '%s'", grace);
        cfg.grace_ms = v / 1000000u;
    }
    if (idle) {
        num_status st = parse_duration(idle, &v);
        if (st == NUM_TOO_LARGE || (st == NUM_OK && v > KN_IDLE_TIMEOUT_MAX_NS))
            return usage_error("serve", "--idle-timeout: '%s' is too large (at most 60m)", idle);
        if (st != NUM_OK || v < 1000000u)
            return usage_error("serve", "--idle-timeout wants a duration of at least 1ms, not '%s'",
                               idle);
        cfg.idle_timeout_ms = v / 1000000u;
    }
    if (!cfg.tls_cert != !cfg.tls_key)
        return usage_error("serve", "--tls-cert and --tls-key go together");
    char host[256];
    unsigned port;
    if (kn_server_check_addr(cfg.listen, host, sizeof host, &port) < 0)
        return usage_error("serve", "--listen wants ADDR:PORT, not '%s'", cfg.listen);
    if (cfg.admin && kn_server_check_addr(cfg.admin, host, sizeof host, &port) < 0)
        return usage_error("serve", "--admin wants ADDR:PORT, not '%s'", cfg.admin);
    cfg.target = target;
    return kn_server_run(&cfg);
}

/* kiln-serve's own main: argv as `kiln serve` passes it on (serve_exec.c),
 * or as given when it is run by hand. */
int main(int argc, char **argv)
{
    return serve_main(argc, argv);
}
