#!/usr/bin/env bash
# tests/plugin/run.sh — the `plugin` suite: builds the test plugins
# (tests/plugin/plugins/*.c, clang-19 --target=wasm32-wasi, reactors, with
# our PDK header tests/plugin/pdk/kiln_pdk.h) into BUILD/plugin-test, then
# runs BUILD/plugin-unit-tests (the plugin host's unit and integration
# tests, tests/plugin/test_*.c) against them.
#
#   tests/plugin/run.sh [BUILD]        (default build)
#
# Ends with "plugin: N passed, N failed": the test binary's counts plus one
# failure per plugin that does not build.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
OUT=$PWD/$BUILD/plugin-test
f=0

command -v clang-19 >/dev/null || { echo "plugin: 0 passed, 1 failed (clang-19 missing)"; exit 1; }
mkdir -p "$OUT"
for src in tests/plugin/plugins/*.c; do
    name=$(basename "$src" .c)
    if ! clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor \
        -o "$OUT/$name.wasm" "$src"; then
        echo "FAIL build plugin $name"
        f=$((f + 1))
    fi
done
# A multi-module plugin: lib.wasm exports what main.wasm imports by name.
for src in tests/plugin/plugins/multi/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if ! clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor \
        -Wl,--allow-undefined -o "$OUT/multi-$name.wasm" "$src"; then
        echo "FAIL build plugin multi/$name"
        f=$((f + 1))
    fi
done
# WASI commands (with _start), built as commands.
for src in tests/plugin/plugins/command/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if ! clang-19 --target=wasm32-wasi -O2 -Wall -Wextra -Werror -o "$OUT/$name.wasm" "$src"; then
        echo "FAIL build plugin command/$name"
        f=$((f + 1))
    fi
done

# tests/run.sh builds the binary with its make arguments (SAN, CC); run by
# hand, this builds it with the defaults if it is missing.
[ -x "$BUILD/plugin-unit-tests" ] || make -s --no-print-directory "BUILD=$BUILD" \
    "$BUILD/plugin-unit-tests" || { echo "plugin: 0 passed, $((f + 1)) failed (build failed)"; exit 1; }
line=$(KILN_PLUGIN_DIR=$OUT timeout -k 10 600 "$BUILD/plugin-unit-tests" | tee /dev/stderr | tail -n 1)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    p=${BASH_REMATCH[1]} f=$((f + BASH_REMATCH[2]))
else
    p=0 f=$((f + 1))
    echo "FAIL plugin-unit-tests: no summary"
fi
echo "plugin: $p passed, $f failed"
[ $f = 0 ]
