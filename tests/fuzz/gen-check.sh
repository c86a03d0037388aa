#!/usr/bin/env bash
# gen-check.sh — checks the promise of tests/fuzz/wasmgen.c: every module it
# makes is valid, and its opcode table is the spec's.  No kiln involved.
#
#   bash tests/fuzz/gen-check.sh [N] [KILN_GEN_DUMP]      (make -f tests/fuzz/fuzz.mk gen-check)
#
# For each mode (scalar, simd):
#   - the catalog (one function per instruction the generator knows) passes
#     wasm-validate, and wasm-objdump decodes each function's instruction to
#     the name the generator's table gives it;
#   - N modules (default 300) made from random inputs of 0..4096 bytes pass
#     wasm-validate.
# GEN_CHECK_SEED (default 1) picks the random inputs; GEN_CHECK_DIR (default
# build/fuzz/gen-check) keeps the modules and inputs of failures.  The last
# line is "N passed, N failed".
set -u
n=${1:-300}
dump=${2:-build/fuzz/kiln-gen-dump}
seed=${GEN_CHECK_SEED:-1}
work=${GEN_CHECK_DIR:-build/fuzz/gen-check}
pass=0 fail=0

for tool in wasm-validate wasm-objdump "$dump"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "gen-check: $tool not found"; echo "0 passed, 1 failed"; exit 1; }
done

for mode in scalar simd; do
    dir=$work/$mode
    rm -rf "$dir" && mkdir -p "$dir"

    "$dump" --$mode --catalog "$dir/catalog.wasm" >"$dir/catalog.names" || {
        echo "FAIL $mode catalog: kiln-gen-dump failed"; fail=$((fail + 1)); continue; }
    if wasm-validate "$dir/catalog.wasm" >"$dir/catalog.err" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL $mode catalog: wasm-validate"; head -5 "$dir/catalog.err"; fail=$((fail + 1))
    fi
    # The last instruction before each function's end, as wasm-objdump names it.
    wasm-objdump -d "$dir/catalog.wasm" | awk '
        /^[0-9a-f]+ func\[/ { if (started) print prev; started = 1; prev = ""; next }
        /\| *$/ || /\| end$/ { next }
        /\|/ { line = $0; sub(/.*\| /, "", line); split(line, w, " "); prev = w[1] }
        END { if (started) print prev }' >"$dir/catalog.objdump"
    if cmp -s "$dir/catalog.names" "$dir/catalog.objdump"; then
        pass=$((pass + 1))
        echo "ok   $mode catalog: $(wc -l <"$dir/catalog.names") instructions, names match wasm-objdump"
    else
        echo "FAIL $mode catalog: names differ from wasm-objdump's (table, objdump):"
        diff "$dir/catalog.names" "$dir/catalog.objdump" | head -20
        fail=$((fail + 1))
    fi

    "$dump" --$mode --random "$n" --seed "$seed" "$dir" || {
        echo "FAIL $mode: kiln-gen-dump --random failed"; fail=$((fail + 1)); continue; }
    bad=0
    for f in "$dir"/gen-*.wasm; do
        if wasm-validate "$f" >"${f%.wasm}.err" 2>&1; then
            pass=$((pass + 1))
            rm -f "$f" "${f%.wasm}.in" "${f%.wasm}.err"
        else
            bad=$((bad + 1))
            fail=$((fail + 1))
            [ $bad -le 5 ] && { echo "FAIL $f (input ${f%.wasm}.in):"; head -3 "${f%.wasm}.err"; }
        fi
    done
    echo "$([ $bad = 0 ] && echo ok || echo FAIL)   $mode: $((n - bad)) of $n random modules valid (seed $seed)"
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
