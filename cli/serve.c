/*
 * serve.c — `kiln serve`: the command line of the HTTP server whose code
 * lives in src/serve/ (server.h).  This file only turns options into a
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

static const char serve_usage[] =
    "Usage: kiln serve [OPTIONS] MANIFEST|MODULE.wasm\n"
    "\n"
    "Serve HTTP with WAGI handlers: a Spin manifest v2 (spin.toml) routes\n"
    "requests to its components; a bare module answers every path.  Each\n"
    "request runs in a fresh instance: the body is its stdin, CGI variables\n"
    "its environment, and what it prints to stdout (CGI headers, an empty\n"
    "line, the body) is the response.  HTTP/1.1 and HTTP/2 (h2c with prior\n"
    "knowledge in cleartext, ALPN h2 over TLS).\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT   Where to serve (default 127.0.0.1:3000; port 0\n"
    "                       picks one).  The address is printed on stderr:\n"
    "                       \"kiln serve: listening on http://ADDR:PORT (N workers)\"\n"
    "  --admin ADDR:PORT    Also serve /health, /ready and /metrics\n"
    "                       (Prometheus) there; default: no admin listener\n"
    "  --workers N          Event loops (default: one per usable CPU)\n"
    "  --tls-cert FILE      Serve HTTPS with this PEM certificate chain...\n"
    "  --tls-key FILE       ...and this PEM private key (both or neither)\n"
    "  --watch              Reload when the manifest or a module changes\n"
    "  --grace DURATION     How long SIGTERM waits for requests in flight\n"
    "                       (default 10s; \"500ms\", \"2m\")\n"
    "  --idle-timeout DURATION\n"
    "                       Close connections from slow or idle clients\n"
    "                       (default 10s): an HTTP/1 connection must deliver\n"
    "                       each whole request, headers and body, within this\n"
    "                       time of opening or of its previous response (so it\n"
    "                       also bounds idle keep-alive); an HTTP/2 connection\n"
    "                       with no request in progress must send a frame that\n"
    "                       often; a TLS handshake must finish within it\n"
    "  -h, --help           Show this help\n"
    "\n"
    "Signals: SIGHUP reloads the app (a version that does not load is\n"
    "refused and the old one keeps serving); SIGTERM and SIGINT stop\n"
    "accepting, answer what is in flight, and exit 0.\n"
    "\n"
    "Each request gets an x-request-id header and a JSON line on stdout (the\n"
    "access log); guest traps, timeouts and their backtraces go to stderr\n"
    "under that id, the client sees only a generic 500 (504 for a timeout).\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT, 1 if the server could not start,\n"
    "2 for bad options or an app that cannot be loaded.\n";

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
            fputs(serve_usage, stdout);
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

const cli_command cli_serve = {
    .name = "serve",
    .summary = "Serve HTTP with WAGI handlers from a Spin manifest or a module",
    .usage = serve_usage,
    .main = serve_main,
};
