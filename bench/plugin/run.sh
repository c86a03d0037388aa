#!/usr/bin/env bash
# bench/plugin/run.sh — the plugin section of `make bench` (also
# `bash bench/run.sh plugin`): Extism plugin calls through libkiln-plugin
# against node's @extism/extism, in the same run, on the same plugin.
#
#   bash bench/plugin/run.sh [BUILD_DIR]        (default: build)
#
# bench/plugin/bench_plugin.c is built for wasm32 (no libc) and called by
# bench/plugin/plugin_bench.c (kiln, linked against BUILD_DIR's libraries)
# and bench/plugin/node_bench.mjs (node): an empty function, count_vowels
# over 1 KiB, echo of 1 KiB and of 1 MiB, each as calls/s and µs/call (best
# of three rounds of BENCH_PLUGIN_SECS seconds); then BENCH_PLUGIN_LOAD
# plugins loaded and called once each, with the growth of RSS.  The table
# gives kiln/node ratios and the issue's bars — an empty call in at most
# 1 µs, at least 5x the node SDK's calls/s — reported, not enforced.
# @extism/extism (the version tests/plugin/npm_extism.sh pins) is
# installed into build/npm when missing (npm); without node, npm or the
# network the node columns are n/a.  Exit status 1 if a run failed
# (a wrong output or an error), 0 otherwise, whatever the numbers.
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
OUT=${BENCH_OUT:-build/bench}/plugin
SECS=${BENCH_PLUGIN_SECS:-0.3}
NLOAD=${BENCH_PLUGIN_LOAD:-1000}
mkdir -p "$OUT"
rc=0

echo
echo "Plugins — bench/plugin: Extism calls through libkiln-plugin and @extism/extism"
echo "on node (best of 3 rounds of ${SECS}s per row; load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo

if ! clang-19 --target=wasm32 -O2 -nostdlib -Wall -Wextra -Werror -Wl,--no-entry \
    -o "$OUT/bench_plugin.wasm" bench/plugin/bench_plugin.c; then
    echo "bench plugin: bench/plugin/bench_plugin.c does not build" >&2
    exit 1
fi
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -o "$OUT/plugin_bench" \
    bench/plugin/plugin_bench.c "$BUILD/libkiln-plugin.a" "$BUILD/libkiln.a" \
    -lcurl -lcjson -lcrypto -lm -lpthread; then
    echo "bench plugin: bench/plugin/plugin_bench.c does not build (make first?)" >&2
    exit 1
fi

if ! "$OUT/plugin_bench" "$OUT/bench_plugin.wasm" "$SECS" "$NLOAD" >"$OUT/kiln.tsv"; then
    echo "bench plugin: kiln run failed" >&2
    rc=1
fi

node_note=""
EXTISM_JS=$(bash tests/plugin/npm_extism.sh 2>"$OUT/npm.err") || node_note=$(tail -n 1 "$OUT/npm.err")
: >"$OUT/node.tsv"
if [ -z "$node_note" ]; then
    if ! node --expose-gc --no-warnings bench/plugin/node_bench.mjs "$EXTISM_JS" \
        "$OUT/bench_plugin.wasm" "$SECS" "$NLOAD" >"$OUT/node.tsv"; then
        echo "bench plugin: node run failed" >&2
        rc=1
    fi
else
    echo "bench plugin: $node_note: node columns are n/a" >&2
fi
ver=$(node -p "require('${EXTISM_JS%/dist/esm/mod.js}/package.json').version" 2>/dev/null)

awk -F'\t' -v ver="${ver:-?}" -v nload="$NLOAD" '
{ file = FILENAME == ARGV[1] ? 1 : 2 }
file == 1 && $1 != "load" { kus[$1] = $2; kcps[$1] = $3; if (!seen[$1]++) order[n++] = $1 }
file == 2 && $1 != "load" { nus[$1] = $2; ncps[$1] = $3; if (!seen[$1]++) order[n++] = $1 }
$1 == "load" { lp[file] = $2; li[file] = $3; lm[file] = $4; lt[file] = $5 }
function cell(v, f) { return v == "" ? "n/a" : sprintf(f, v) }
END {
    printf "%-17s %12s %12s %12s %12s %11s\n", "row", "kiln us/call", "kiln calls/s",
        "node us/call", "node calls/s", "kiln/node"
    for (i = 0; i < n; i++) {
        r = order[i]
        ratio = (kcps[r] != "" && ncps[r] != "" && ncps[r] > 0) ? sprintf("%.1fx", kcps[r] / ncps[r]) : "n/a"
        printf "%-17s %12s %12s %12s %12s %11s\n", r, cell(kus[r], "%.3f"), cell(kcps[r], "%.0f"),
            cell(nus[r], "%.3f"), cell(ncps[r], "%.0f"), ratio
    }
    print ""
    for (f = 1; f <= 2; f++) {
        who = f == 1 ? "kiln" : "node (@extism/extism " ver ")"
        if (lp[f] == "") { printf "%d plugins loaded, %s: n/a\n", nload, who; continue }
        printf "%d plugins loaded and called once, %s: %d instances, RSS +%.1f MiB (%.1f KiB each), %.1f ms to load\n",
            lp[f], who, li[f], lm[f], lm[f] * 1024 / lp[f], lt[f]
    }
    print ""
    printf "bars (reported, not enforced):\n"
    if (kus["empty"] != "")
        printf "  empty call <= 1 us:            %.3f us (%s)\n", kus["empty"], (kus["empty"] <= 1 ? "met" : "NOT met")
    for (i = 0; i < n; i++) {
        r = order[i]
        if (kcps[r] == "" || ncps[r] == "" || ncps[r] <= 0) continue
        x = kcps[r] / ncps[r]
        printf "  >= 5x node calls/s, %-16s %.1fx (%s)\n", r ":", x, (x >= 5 ? "met" : "NOT met")
    }
}' "$OUT/kiln.tsv" "$OUT/node.tsv"
exit $rc
