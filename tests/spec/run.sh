#!/usr/bin/env bash
# run.sh BUILD_DIR — the official spec testsuite (core/*.wast) against kiln,
# through `kiln wast` (kiln's own text parser and script runner).
#
# Runs BUILD_DIR/kiln wast on each .wast under a timeout and prints one line
# per file.  Files listed in tests/spec/known-failures.txt are run too, but
# their failures count as skipped; one that passes completely is reported
# as FIXED and counted as a failure, so the list cannot quietly go stale.
# The last line is "spec: N passed, N failed, N skipped" in commands; the
# exit status is non-zero if anything failed.
#
# Without the testsuite the run is skipped, saying where to put it (a
# failure when CI is set, as .ci/run sets it).
#
# Environment: KILN_SHARED (default: ../shared beside the repository),
# SPEC_TIMEOUT (seconds per file, default 60), SPEC_FILTER (a regular
# expression: run only the files whose name matches it),
# SPEC_SHOW (failure lines shown per failing file, default 5),
# SPEC_TIER (interp or native: kiln wast --tier; with native, each PASS
# line also says how many functions got native code, and a file in which
# any function stayed interpreted FAILs: the native tier covers every
# instruction, and this is what keeps it so).
set -u

build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
shared=${KILN_SHARED:-$(cd "$top/.." && pwd)/shared}
suite=$shared/spec-testsuite/core
known_file=$here/known-failures.txt
timeout_s=${SPEC_TIMEOUT:-60}
show=${SPEC_SHOW:-5}
kiln=$build/kiln
tier_args=()
[ -n "${SPEC_TIER:-}" ] && tier_args=(--tier "$SPEC_TIER")

if [ ! -d "$suite" ]; then
    echo "spec: no testsuite at $suite" >&2
    echo "spec: put a checkout of the WebAssembly testsuite there:" >&2
    echo "spec:     git clone https://github.com/WebAssembly/testsuite $shared/spec-testsuite" >&2
    echo "spec: or set KILN_SHARED to the directory that holds spec-testsuite/" >&2
    if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
        echo "FAIL spec: the testsuite is missing (CI: the spec suite may not be skipped)"
        echo "spec: 0 passed, 1 failed, 0 skipped"
        exit 1
    fi
    echo "SKIP spec: the spec suite was skipped (no testsuite at $suite)"
    echo "spec: 0 passed, 0 failed, 0 skipped"
    exit 0
fi
if [ ! -x "$kiln" ]; then
    echo "spec: $kiln not built (make $kiln)" >&2
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
    log=$out/result.txt
    mkdir -p "$out"

    timeout -k 5 "$timeout_s" "$kiln" wast "${tier_args[@]}" "$wast" >"$log" 2>&1
    rc=$?

    # kiln wast's last line: "<file>: P passed, F failed" (it skips nothing).
    summary=$(grep -E ': [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    s=0
    if [[ $summary =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
    else
        p=0 f=0
    fi
    why=
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        why="timed out after ${timeout_s}s"
    elif [ -z "$summary" ]; then
        why="kiln wast died (exit $rc)"
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        # E.g. a leak found by LeakSanitizer after the summary was printed.
        why="runner exited $rc"
    fi
    # On the native tier every function must have got native code: the
    # last "native code for N of M functions" line must have N = M.
    if [ -z "$why" ] && [ "${SPEC_TIER:-}" = native ]; then
        nm=$(sed -n 's/.*: native code for \([0-9]*\) of \([0-9]*\) functions$/\1 \2/p' "$log" | tail -n 1)
        if [ -z "$nm" ]; then
            why="no native code count (kiln wast --tier native)"
        elif [ "${nm% *}" != "${nm#* }" ]; then
            why="native code for only ${nm% *} of ${nm#* } functions"
        fi
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
    if [ "$f" -eq 0 ]; then
        native=$(sed -n 's/.*: native code for \([0-9]* of [0-9]*\) functions$/; native: \1/p' "$log" | tail -n 1)
        echo "PASS $name ($p commands$native)"
        files_pass=$((files_pass + 1))
    else
        echo "FAIL $name ($p passed, $f failed${why:+; $why}; log: $log)"
        files_fail=$((files_fail + 1))
        # kiln wast's failure lines ("file:line: ..."), its own complaints
        # and sanitizer reports; not the summary.
        grep -E '^[^ ]+:[0-9]+: |^kiln: |ERROR: |^SUMMARY: ' "$log" |
            head -n "$show" | sed 's/^/    /'
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
