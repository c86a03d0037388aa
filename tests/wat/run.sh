#!/usr/bin/env bash
# tests/wat/run.sh BUILD_DIR — the text-format parser (src/wat/) against the
# spec testsuite and its own unit tests.
#
# For every core/*.wast of the testsuite, wast2json (the oracle) converts
# the script into BUILD_DIR/wat/NAME/, and BUILD_DIR/wat-spec-check compares
# kiln's reading of the same script with it, command by command (see
# tests/wat/spec_check.c): module bytes identical, every assert_malformed
# text module rejected, actions and expected values identical; and again
# with names: wast2json --debug-names against kiln's debug_names option.  Then
# BUILD_DIR/wat-unit runs tests/wat/test_*.c.  The last line is
# "wat: N passed, N failed".
#
# Environment: KILN_SHARED (default ../shared beside the repository),
# WAT_FILTER (a regular expression: only the .wast files it matches), SAN
# (passed to make when the two programs are not built yet).
set -u
build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
shared=${KILN_SHARED:-$top/../shared}
suite=$shared/spec-testsuite/core
p=0 f=0

# tests/run.sh builds both first (with its SAN/CC); alone, this does
if [ ! -x "$top/$build/wat-spec-check" ] || [ ! -x "$top/$build/wat-unit" ]; then
    if ! make -s --no-print-directory -C "$top" "SAN=${SAN:-0}" "BUILD=$build" \
        "$build/wat-spec-check" "$build/wat-unit"; then
        echo "wat: 0 passed, 1 failed"
        exit 1
    fi
fi

# Adds a program's "N passed, N failed" line to the totals; a crash, a
# missing line or a non-zero exit with 0 failed (LeakSanitizer under
# SAN=1) counts as one failure.
count() { # NAME RC LINE
    if [[ $3 =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2]))
        if [ "$2" != 0 ] && [ "${BASH_REMATCH[2]}" = 0 ]; then
            echo "FAIL $1: exit status $2"
            f=$((f + 1))
        fi
    else
        echo "FAIL $1: no summary (exit status $2)"
        f=$((f + 1))
    fi
}

"$top/$build/wat-unit" >"$top/$build/wat-unit.log" 2>&1
rc=$?
cat "$top/$build/wat-unit.log"
count wat-unit "$rc" "$(tail -n 1 "$top/$build/wat-unit.log")"

if [ ! -d "$suite" ]; then
    echo "wat: no testsuite at $suite (set KILN_SHARED)"
    f=$((f + 1))
elif ! command -v wast2json >/dev/null; then
    echo "wat: wast2json not found (apt-get install wabt)"
    f=$((f + 1))
else
    for wast in "$suite"/*.wast; do
        name=$(basename "$wast" .wast)
        if [ -n "${WAT_FILTER:-}" ] && ! [[ $name =~ $WAT_FILTER ]]; then
            continue
        fi
        out=$top/$build/wat/$name
        json=$out/$name.json
        names=$out/names/$name.json
        if [ ! -f "$json" ] || [ "$wast" -nt "$json" ] || [ ! -f "$names" ]; then
            rm -rf "$out"
            mkdir -p "$out/names"
            if ! wast2json "$wast" -o "$json" >"$out/wast2json.txt" 2>&1 ||
                ! wast2json --debug-names "$wast" -o "$names" >>"$out/wast2json.txt" 2>&1; then
                echo "FAIL $name: wast2json failed"
                rm -f "$json" "$names"
                f=$((f + 1))
                continue
            fi
        fi
        timeout -k 5 60 "$top/$build/wat-spec-check" "$wast" "$json" --names "$names" \
            >"$out/check.txt" 2>&1
        rc=$?
        grep '^FAIL' "$out/check.txt" | head -n 5
        line=$(tail -n 1 "$out/check.txt")
        echo "$line"
        count "$name" "$rc" "$line"
    done
fi
echo "wat: $p passed, $f failed"
[ "$f" = 0 ]
