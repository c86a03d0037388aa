#!/usr/bin/env bash
# tests/lowering/check.sh — that each lowering rewrite really happened.
#
# Usage: tests/lowering/check.sh [BUILD_DIR]        (default: build)
#
# The .wast scripts here check results (through the spec runner); this
# checks the code.  Each ";; lowered: EXPORT OP... !OP..." line in them
# names a function of the module defined above it and the instructions its
# lowered code must contain, in that order (others may come between), and
# (with !) must not contain.  The code is read with `kiln inspect --lowered
# --func EXPORT`, the engine's listing of lowered code, which also fails if
# the code does not walk cleanly by the opcode table's lengths.  Ends with
# "lowering-code: N passed, N failed".
set -u
BUILD=${1:-build}
KILN=$BUILD/kiln
WORK=$BUILD/lowering-code
mkdir -p "$WORK"
passed=0 failed=0

for w in tests/lowering/*.wast; do
    base=$(basename "$w" .wast)
    if ! wast2json "$w" -o "$WORK/$base.json" >/dev/null 2>&1; then
        echo "FAIL $w: wast2json"
        failed=$((failed + 1))
        continue
    fi
    # line and file of each module command, in order
    mods=$(grep -o '"type": "module", "line": [0-9]*, "filename": "[^"]*"' "$WORK/$base.json" |
        sed 's/.*"line": \([0-9]*\), "filename": "\([^"]*\)"/\1 \2/')
    while IFS=: read -r lineno rest; do
        read -r -a words <<<"${rest#*lowered:}"
        set -- "${words[@]}"
        export_name=$1
        shift
        wasm=$(awk -v l="$lineno" '$1 < l { f = $2 } END { print f }' <<<"$mods")
        name="$base:$lineno $export_name"
        if ! "$KILN" inspect --lowered --func "$export_name" "$WORK/$wasm" >"$WORK/out" 2>"$WORK/err"; then
            echo "FAIL $name: kiln inspect: $(head -c 300 "$WORK/err")"
            failed=$((failed + 1))
            continue
        fi
        # the instruction names of the lowered listing, one a line
        ops=$(sed -n '/^  lowered:/,$p' "$WORK/out" | awk '/^    [0-9]+: /{ print $2 }')
        ok=1 pos=0
        for want in "$@"; do
            if [ "${want#!}" != "$want" ]; then
                if grep -qxF -- "${want#!}" <<<"$ops"; then
                    echo "FAIL $name: has ${want#!}"
                    ok=0
                fi
                continue
            fi
            # the first occurrence after the previous match
            at=$(tail -n +$((pos + 1)) <<<"$ops" | grep -nxF -- "$want" | head -n 1 | cut -d: -f1)
            if [ -z "$at" ]; then
                echo "FAIL $name: no $want (in order) in: $(tr '\n' ' ' <<<"$ops")"
                ok=0
            else
                pos=$((pos + at))
            fi
        done
        if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done < <(grep -n '^;; lowered: ' "$w")
done
echo "lowering-code: $passed passed, $failed failed"
[ "$failed" = 0 ]
