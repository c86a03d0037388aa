#!/usr/bin/env bash
# tests/serve/promtool_check.sh — `promtool check metrics` (Prometheus' own
# parser and naming linter) on what kn_metrics_render writes for a populated
# registry: two components, three routes, statuses up to the "other"
# overflow, every histogram, trap and limit kinds, gauges, reloads, app
# info with hostile label values, and the process collector.  promtool is
# in Debian's `prometheus` package (/usr/bin/promtool).
#
#   tests/serve/promtool_check.sh [BUILD]     (default build; needs BUILD/libkiln.a)
#
# Environment: CC (default gcc).  Ends with "promtool: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
CC=${CC:-gcc}
out=$BUILD/serve-promtool
mkdir -p "$out"
rm -f "$out/render" "$out/metrics.txt" "$out/empty.txt"
p=0 f=0

if ! command -v promtool >/dev/null 2>&1; then
    echo "FAIL promtool is not installed (apt-get install prometheus)"
    echo "promtool: 0 passed, 1 failed"
    exit 1
fi

cat >"$out/render.c" <<'C'
/* Populates a registry the way a busy server would and prints its render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int main(int argc, char **argv)
{
    kn_metrics *m = kn_metrics_new(4);
    char *s;
    size_t len;
    if (argc > 1 && !strcmp(argv[1], "empty")) { /* before any manifest loaded */
        if (!m || kn_metrics_render(m, &s, &len))
            return 1;
        fwrite(s, 1, len, stdout);
        free(s);
        kn_metrics_free(m);
        return 0;
    }
    kn_metrics_component *a = kn_metrics_component_get(m, "hello");
    kn_metrics_component *b = kn_metrics_component_get(m, "we\"ird\\na\nme");
    kn_metrics_route *r[3] = {kn_metrics_route_get(m, a, "/hello"),
                              kn_metrics_route_get(m, a, "/hello/..."),
                              kn_metrics_route_get(m, b, "/:id/\"x\"")};
    if (!m || !a || !b || !r[0] || !r[1] || !r[2] || kn_metrics_set_app(m, "demo", "1.0\n"))
        return 1;
    for (unsigned i = 0; i < 1000; i++) {
        kn_metrics_request(r[i % 3], i, i % 7 ? 200 : 500, 1000ull * i * i);
        kn_metrics_guest(i % 2 ? a : b, i, 900ull * i * i, 100 * i, 65536ull << (i % 12));
        kn_metrics_instantiation(i % 2 ? a : b, i, 100ull * i);
        kn_metrics_trap(a, i, (kiln_trap_code)(i % 17));
    }
    for (int s = 100; s < 150; s++)
        kn_metrics_request(r[2], 0, s, 12345);
    kn_metrics_limit(b, 1, KN_LIMIT_MEMORY);
    kn_metrics_live_add(a, 0, 5);
    kn_metrics_pooled_add(a, 1, 3);
    kn_metrics_reload(m, 1);
    kn_metrics_reload(m, 0);
    if (kn_metrics_render(m, &s, &len))
        return 1;
    fwrite(s, 1, len, stdout);
    free(s);
    kn_metrics_free(m);
    return 0;
}
C

if "$CC" -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -Iinclude -Isrc/serve \
    -o "$out/render" "$out/render.c" src/serve/metrics.c "$BUILD/libkiln.a" -lpthread -lm &&
    "$out/render" >"$out/metrics.txt" && "$out/render" empty >"$out/empty.txt"; then
    p=$((p + 1))
else
    echo "FAIL the render program did not build or run"
    f=$((f + 1))
fi

# promtool exits 0 and prints nothing when the text parses and lints clean
if [ -s "$out/metrics.txt" ]; then
    lint=$(promtool check metrics <"$out/metrics.txt" 2>&1)
    rc=$?
    if [ $rc = 0 ] && [ -z "$lint" ]; then
        echo "ok   promtool check metrics ($(grep -vc '^#' "$out/metrics.txt") samples)"
        p=$((p + 1))
    else
        echo "FAIL promtool check metrics (exit status $rc):"
        echo "$lint" | head -n 20
        f=$((f + 1))
    fi
    lint=$(promtool check metrics <"$out/empty.txt" 2>&1)
    rc=$?
    if [ $rc = 0 ] && [ -z "$lint" ] && grep -q '^kiln_build_info{' "$out/empty.txt"; then
        echo "ok   promtool check metrics, empty registry"
        p=$((p + 1))
    else
        echo "FAIL promtool check metrics, empty registry (exit status $rc):"
        echo "$lint" | head -n 20
        f=$((f + 1))
    fi
    # the check itself can fail: a counter without _total must be reported
    if ! sed 's/kiln_reloads_total/kiln_reloads/g' "$out/metrics.txt" |
        promtool check metrics >/dev/null 2>&1; then
        p=$((p + 1))
    else
        echo "FAIL promtool accepted a counter named without _total"
        f=$((f + 1))
    fi
fi
echo "promtool: $p passed, $f failed"
[ $f = 0 ]
