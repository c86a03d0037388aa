#!/usr/bin/env bash
# run.sh BUILD_DIR — the official spec testsuite (core/*.wast) against kiln.
#
# Converts each .wast with wast2json into BUILD_DIR/spec/<name>/ (again only
# when the .wast is newer than the conversion), runs BUILD_DIR/spec-runner on
# it under a timeout, and prints one line per file.  Files listed in
# tests/spec/known-failures.txt are run too, but their failures count as
# skipped; one that passes completely is reported as FIXED and counted as a
# failure, so the list cannot quietly go stale.  The last line is
# "spec: N passed, N failed, N skipped" in assertions; the exit status is
# non-zero if anything failed.
#
# Environment: KILN_SHARED (default: ../shared beside the repository),
# SPEC_TIMEOUT (seconds per file, default 60), SPEC_FILTER (a regular
# expression: run only the files whose name matches it),
# SPEC_SHOW (failure lines shown per failing file, default 5),
# SPEC_TIER (interp or native: the tier the runner asks for; with native,
# each PASS line also says how many functions got native code).
set -u

build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
shared=${KILN_SHARED:-$top/../shared}
suite=$shared/spec-testsuite/core
known_file=$here/known-failures.txt
timeout_s=${SPEC_TIMEOUT:-60}
show=${SPEC_SHOW:-5}
runner=$build/spec-runner
runner_args=()
[ -n "${SPEC_TIER:-}" ] && runner_args=(--tier "$SPEC_TIER")

if [ ! -d "$suite" ]; then
    echo "spec: no testsuite at $suite (set KILN_SHARED)" >&2
    echo "spec: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
if ! command -v wast2json >/dev/null; then
    echo "spec: wast2json not found (apt-get install wabt)" >&2
    echo "spec: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
if [ ! -x "$runner" ]; then
    echo "spec: $runner not built (make $runner)" >&2
    echo "spec: 0 passed, 1 failed, 0 skipped"
    exit 1
fi

# name -> reason, from "name  # reason" lines.
declare -A known=()
if [ -f "$known_file" ]; then
    while IFS= read -r entry || [ -n "$entry" ]; do
        name=${entry%%#*}
        name=${name//[[:space:]]/}
        [ -n "$name" ] || continue
        reason=
        [[ $entry == *"#"* ]] && reason=${entry#*#} && reason=${reason# }
        known[$name]=$reason
    done <"$known_file"
fi

total_pass=0 total_fail=0 total_skip=0
files_pass=0 files_fail=0 files_known=0
declare -A seen=()

for wast in "$suite"/*.wast; do
    name=$(basename "$wast" .wast)
    seen[$name]=1
    if [ -n "${SPEC_FILTER:-}" ] && ! [[ $name =~ $SPEC_FILTER ]]; then
        continue
    fi
    out=$build/spec/$name
    json=$out/$name.json
    log=$out/result.txt

    if [ ! -f "$json" ] || [ "$wast" -nt "$json" ]; then
        rm -rf "$out"
        mkdir -p "$out"
        if ! wast2json "$wast" -o "$json" >"$out/wast2json.txt" 2>&1; then
            rm -f "$json"
            echo "FAIL $name (wast2json failed: $(head -n 1 "$out/wast2json.txt"))"
            total_fail=$((total_fail + 1))
            files_fail=$((files_fail + 1))
            continue
        fi
    fi

    timeout -k 5 "$timeout_s" "$runner" "${runner_args[@]}" "$json" >"$log" 2>&1
    rc=$?

    # The runner's last line: "<file>: P passed, F failed, S skipped".
    summary=$(grep -E ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
    if [[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
    else
        p=0 f=0 s=0
    fi
    why=
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        why="timed out after ${timeout_s}s"
    elif [ -z "$summary" ]; then
        why="runner died (exit $rc)"
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        # E.g. a leak found by LeakSanitizer after the summary was printed.
        why="runner exited $rc"
    fi
    # A file that did not finish counts as one failure beyond what it printed.
    [ -n "$why" ] && f=$((f + 1))

    if [ -n "${known[$name]+x}" ]; then
        if [ "$f" -eq 0 ]; then
            echo "FIXED $name: remove it from known-failures.txt"
            total_pass=$((total_pass + p))
            total_skip=$((total_skip + s))
            total_fail=$((total_fail + 1))
            files_fail=$((files_fail + 1))
        else
            echo "KNOWN $name ($p passed, $f failed: ${known[$name]})"
            total_pass=$((total_pass + p))
            total_skip=$((total_skip + s + f))
            files_known=$((files_known + 1))
        fi
        continue
    fi

    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + s))
    native=$(sed -n 's/.*: native code for \([0-9]* of [0-9]*\) functions$/; native: \1/p' "$log" | tail -n 1)
    if [ "$f" -eq 0 ]; then
        echo "PASS $name ($p assertions$native)"
        files_pass=$((files_pass + 1))
    else
        echo "FAIL $name ($p passed, $f failed${why:+; $why}; log: $log)"
        files_fail=$((files_fail + 1))
        # The runner's failure lines ("file:line: ..."), its own complaints
        # and sanitizer reports; not warnings, not the summary.
        grep -E '^[^ :]+:[0-9]+: |^spec-runner: |ERROR: |^SUMMARY: ' "$log" |
            grep -v -E '^[^ :]+:[0-9]+: [a-z_]+: warning: ' | head -n "$show" | sed 's/^/    /'
        [ -n "$why" ] && tail -n 2 "$log" | sed 's/^/    ... /'
    fi
done

# A stale entry (the file no longer exists) is worth a note, not a failure.
for name in "${!known[@]}"; do
    [ -n "${seen[$name]+x}" ] || echo "note: known-failures.txt lists $name, which is not in $suite"
done

echo "spec files: $files_pass passed, $files_fail failed, $files_known known failures"
echo "spec: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
