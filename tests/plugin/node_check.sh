#!/usr/bin/env bash
# tests/plugin/node_check.sh — the second opinion: the same plugins, inputs
# and config through node's @extism/extism (tests/plugin/node_check.mjs)
# and through `kiln call`; every output must be identical byte for byte,
# and where the plugin sets an error, kiln must report the same message.
#
#   bash tests/plugin/node_check.sh [BUILD_DIR]        (default: build)
#
# The plugins: tests/cli/plugin.wat (the kernel calls kiln call's tests
# use), bench/plugin/bench_plugin.c (the benchmark's, with PDK-style
# 8-byte copies) and the plugin suite's test plugins
# (tests/plugin/plugins/*.c, built here as tests/plugin/run.sh builds
# them) with the cases in tests/plugin/node_cases.sh.  @extism/extism (the
# version tests/plugin/npm_extism.sh pins) is installed into build/npm
# with npm when missing.  Without node, npm or the network the check is
# skipped with a "SKIP" line, unless CI is set (CI=true, as .ci/run sets
# it): then that is a failure.  Ends with "node-check: N passed, N failed".
#
# Where @extism/extism departs from Extism's runtime the case is left out,
# not bent to fit: it ignores a function's non-zero return without an
# error message (the Rust runtime and kiln report it), lacks the kernel's
# memory_bytes and reset, and has no fuel.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
KILN=$BUILD/kiln
WORK=$BUILD/plugin-node
mkdir -p "$WORK/in" "$WORK/node" "$WORK/kiln"
passed=0 failed=0

finish() {
    echo "node-check: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}
skip() {
    if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
        echo "FAIL node-check: $1 (CI: the second opinion may not be skipped)"
        failed=$((failed + 1))
    else
        echo "SKIP node-check: $1"
    fi
    finish
}

[ -x "$KILN" ] || { echo "FAIL node-check: $KILN not built"; failed=1; finish; }
EXTISM_JS=$(bash tests/plugin/npm_extism.sh 2>"$WORK/npm.err") || skip "$(tail -n 1 "$WORK/npm.err")"
echo "node-check: @extism/extism $(node -p "require('${EXTISM_JS%/dist/esm/mod.js}/package.json').version") on node $(node --version)"

# ---- plugins and inputs -------------------------------------------------------
if ! wat2wasm tests/cli/plugin.wat -o "$WORK/cli.wasm" ||
    ! clang-19 --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o "$WORK/bench.wasm" \
        bench/plugin/bench_plugin.c; then
    echo "FAIL node-check: the plugins do not build"
    failed=$((failed + 1))
    finish
fi
: >"$WORK/in/empty"
printf 'hello, world' >"$WORK/in/hello"
head -c 1024 /dev/urandom >"$WORK/in/1k.bin"
head -c 1048576 /dev/urandom >"$WORK/in/1m.bin"
printf '%s' "$(yes 'The quick brown fox jumps over the lazy dog. ' | head -c 1024)" >"$WORK/in/1k.txt"
printf 'A\0B\377\n' >"$WORK/in/nul"
printf greeting >"$WORK/in/greeting"
mkdir -p "$WORK/dir"
printf 'a file the plugin reads\n' >"$WORK/dir/hello.txt"
printf /data/hello.txt >"$WORK/in/data-hello"
printf /data/missing.txt >"$WORK/in/data-missing"

# ---- cases ------------------------------------------------------------------------
# add ID WASM FUNC INPUT [config:KEY=VALUE]... [wasi] [path:HOST:GUEST]...
#     [loop:N] [level:LEVEL]
# (INPUT names a file in $WORK/in; values without quotes, commas or blanks)
CASES=() ARGS=()
add() {
    local id=$1 wasm=$2 func=$3 input=$4 opt cj="" pj="" wasi=false loop=1 level=null flags=()
    shift 4
    for opt in "$@"; do
        case $opt in
        config:*)
            opt=${opt#config:}
            cj+="${cj:+,}\"${opt%%=*}\":\"${opt#*=}\""
            flags+=(--config "$opt") ;;
        wasi) wasi=true flags+=(--wasi) ;;
        path:*)
            opt=${opt#path:}
            pj+="${pj:+,}\"${opt%%:*}\":\"${opt#*:}\""
            flags+=(--allow-path "$opt") ;;
        loop:*) loop=${opt#loop:} flags+=(--loop "$loop") ;;
        level:*) level="\"${opt#level:}\"" flags+=(--log-level "${opt#level:}") ;;
        *) echo "node_check.sh: bad case option '$opt'" >&2; exit 2 ;;
        esac
    done
    CASES+=("{\"id\":\"$id\",\"wasm\":\"$wasm\",\"func\":\"$func\",\"input\":\"$WORK/in/$input\",\"config\":{$cj},\"paths\":{$pj},\"wasi\":$wasi,\"loop\":$loop,\"level\":$level}")
    ARGS+=("$id|$wasm|$func|$input|${flags[*]}")
}

C=$WORK/cli.wasm B=$WORK/bench.wasm
add cli-echo-empty "$C" echo empty
add cli-echo-hello "$C" echo hello
add cli-echo-nul "$C" echo nul
add cli-echo-1k "$C" echo 1k.bin
add cli-echo-1m "$C" echo 1m.bin
add cli-nothing "$C" nothing hello
add cli-fail "$C" fail hello
add cli-config "$C" config empty config:greeting=hi
add cli-config-eq "$C" config empty config:greeting=a=b config:other=x
add cli-config-missing "$C" config empty config:other=x
add cli-count-loop "$C" count empty loop:4
add cli-grow "$C" grow empty
add cli-log "$C" log empty level:trace
add cli-echo-wasi "$C" echo hello wasi
add bench-empty "$B" empty empty
add bench-vowels-1k "$B" count_vowels 1k.txt
add bench-vowels-empty "$B" count_vowels empty
add bench-echo-1k "$B" echo 1k.bin
add bench-echo-1m "$B" echo 1m.bin
add bench-echo-loop "$B" echo hello loop:3

# the plugin suite's test plugins (tests/plugin/plugins/*.c), built here
# as tests/plugin/run.sh builds them; their cases are in node_cases.sh
for src in tests/plugin/plugins/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if ! clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor \
        -o "$WORK/$name.wasm" "$src"; then
        echo "FAIL node-check: tests/plugin/plugins/$name.c does not build"
        failed=$((failed + 1))
    fi
done
. tests/plugin/node_cases.sh

# ---- node, then kiln, then compare -------------------------------------------
json=$(IFS=,; echo "[${CASES[*]}]")
printf '%s\n' "$json" >"$WORK/cases.json"
if ! timeout -k 10 600 node --no-warnings tests/plugin/node_check.mjs "$EXTISM_JS" \
    "$WORK/cases.json" "$WORK/node" 2>"$WORK/node.stderr"; then
    echo "FAIL node-check: node_check.mjs failed:"
    tail -n 20 "$WORK/node.stderr"
    failed=$((failed + 1))
    finish
fi

for a in "${ARGS[@]}"; do
    IFS='|' read -r id wasm func input flags <<<"$a"
    # shellcheck disable=SC2086  # flags are words without blanks
    timeout -k 10 120 "$KILN" call $flags "$wasm" "$func" --input "@$WORK/in/$input" \
        >"$WORK/kiln/$id.out" 2>"$WORK/kiln/$id.err"
    rc=$?
    status=$(cat "$WORK/node/$id.status")
    msg=$(cat "$WORK/node/$id.err")
    ok=1 why=""
    case $status in
    ok)
        if [ $rc != 0 ]; then
            ok=0 why="kiln exited $rc: $(head -c 300 "$WORK/kiln/$id.err")"
        elif ! cmp -s "$WORK/node/$id.out" "$WORK/kiln/$id.out"; then
            ok=0 why="outputs differ ($(wc -c <"$WORK/node/$id.out") bytes from node, $(wc -c <"$WORK/kiln/$id.out") from kiln): $(cmp "$WORK/node/$id.out" "$WORK/kiln/$id.out" 2>&1 | head -n 1)"
        fi ;;
    error)
        if [ $rc != 1 ] || ! grep -qxF -- "kiln: plugin error: $msg" "$WORK/kiln/$id.err"; then
            ok=0 why="node: error '$msg'; kiln exited $rc: $(head -c 300 "$WORK/kiln/$id.err")"
        fi ;;
    *)
        ok=0 why="node threw: $msg" ;;
    esac
    if [ $ok = 1 ]; then
        echo "ok   $id ($status)"
        passed=$((passed + 1))
    else
        echo "FAIL $id: $why"
        failed=$((failed + 1))
    fi
done
finish
