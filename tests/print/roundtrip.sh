#!/usr/bin/env bash
# tests/print/roundtrip.sh — `kiln print` round trips: every module of the
# spec testsuite and of the fuzz generator is printed as text, parsed back
# with $PARSE, and the result compared with the original binary.
#
# Usage: tests/print/roundtrip.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   PARSE     the text parser, called as `$PARSE IN.wat -o OUT.wasm`
#             (default: kiln's own `BUILD/kiln parse`; PARSE=wat2wasm
#             checks the printed text against wabt's parser instead)
#   KILN_SHARED   where shared/ is (default ../shared), for
#             spec-testsuite/core/*.wast, converted with wast2json
#   GEN_N     modules to take from the fuzz generator (default 300)
#   EVERY     take every EVERY-th module of the spec testsuite (default 1:
#             all; tests/run.sh thins it under the sanitizers)
#
# Comparison: the original without its custom sections (wasm-strip; `kiln
# print` drops them, saying so in a comment) must equal the parsed text
# byte for byte.  Where it does not, the text may still be exact and only
# the encoding differ: the binary format has several encodings of one
# module (LEB128 padding, the flags of element and data segments, runs of
# locals split, merged or empty, a data count section nothing needs) and a
# text parser picks one; wat2wasm also writes `block (type N)` as a value
# type where it can and drops an empty `else`.  Those cases are compared
# again after putting both the original and the parsed text through wabt's
# own round trip (wasm2wat | wat2wasm), which picks one encoding for both;
# they pass, and are counted and listed as "encoding only".
#
# Each module's lowered code is also listed (kiln inspect --lowered), which
# fails if it does not walk cleanly by the lengths of the opcode table.  Only the modules a spec script defines
# are taken (not the assert_invalid ones); the few in KNOWN below are
# skipped, each with its reason.
# Ends with "print-roundtrip: N passed, N failed".
set -u
BUILD=${1:-build}
KILN=$BUILD/kiln
PARSE=${PARSE:-$KILN parse}
SPEC=${KILN_SHARED:-../shared}/spec-testsuite/core
GEN_N=${GEN_N:-300}
EVERY=${EVERY:-1}
nth=0
WORK=$BUILD/print-roundtrip
rm -rf "$WORK"
mkdir -p "$WORK/spec" "$WORK/gen" "$WORK/tmp"

# Modules that cannot round trip through kiln.h, and why:
#   names/names.2.wasm  export names containing U+0000: kiln.h hands out
#                       names as C strings, so the printer sees them cut
KNOWN="names/names.2.wasm"

passed=0 failed=0 encoding=0 skipped=0
enc_list=()

# canon IN.wasm OUT.wasm: wabt's own round trip, which picks one encoding
canon() {
    wasm2wat --no-check "$1" -o "$2.wat" 2>/dev/null &&
        wat2wasm --no-check "$2.wat" -o "$2" 2>/dev/null
}

# check NAME FILE.wasm
check() {
    local name=$1 wasm=$2 t=$WORK/tmp
    if ! "$KILN" print "$wasm" >"$t/m.wat" 2>"$t/err"; then
        echo "FAIL $name: kiln print: $(head -c 300 "$t/err")"
        failed=$((failed + 1))
        return
    fi
    if ! $PARSE "$t/m.wat" -o "$t/back.wasm" >"$t/err" 2>&1; then
        echo "FAIL $name: $PARSE rejects the printed text: $(head -n 3 "$t/err")"
        cp "$t/m.wat" "$WORK/$(echo "$name" | tr '/' '_').wat"
        failed=$((failed + 1))
        return
    fi
    # the same module's lowered code must walk cleanly by the opcode
    # table's lengths (kiln inspect --lowered checks every function)
    if ! "$KILN" inspect --lowered "$wasm" >/dev/null 2>"$t/err"; then
        echo "FAIL $name: lowered listing: $(head -c 300 "$t/err")"
        failed=$((failed + 1))
        return
    fi
    cp "$wasm" "$t/orig.wasm"
    wasm-strip "$t/orig.wasm" 2>/dev/null
    if cmp -s "$t/orig.wasm" "$t/back.wasm"; then
        passed=$((passed + 1))
        return
    fi
    if canon "$t/orig.wasm" "$t/canon1.wasm" && canon "$t/back.wasm" "$t/canon2.wasm" &&
        cmp -s "$t/canon1.wasm" "$t/canon2.wasm"; then
        passed=$((passed + 1))
        encoding=$((encoding + 1))
        enc_list+=("$name")
        return
    fi
    echo "FAIL $name: the printed text parses to a different module"
    cp "$t/m.wat" "$WORK/$(echo "$name" | tr '/' '_').wat"
    failed=$((failed + 1))
}

# ---- the spec testsuite --------------------------------------------------
if [ -d "$SPEC" ]; then
    for w in "$SPEC"/*.wast; do
        base=$(basename "$w" .wast)
        mkdir -p "$WORK/spec/$base"
        wast2json "$w" -o "$WORK/spec/$base/$base.json" >/dev/null 2>&1 || continue
        # the modules a script defines (not those of assert_invalid and
        # the like, which kiln rightly refuses to print)
        while read -r f; do
            case " $KNOWN " in
            *" $base/$f "*) skipped=$((skipped + 1)); continue ;;
            esac
            nth=$((nth + 1))
            [ $((nth % EVERY)) = 0 ] || continue
            check "spec/$base/$f" "$WORK/spec/$base/$f"
        done < <(grep -o '"type": "module"[^}]*"filename": "[^"]*"' "$WORK/spec/$base/$base.json" |
            sed 's/.*"filename": "//; s/"$//')
    done
else
    echo "FAIL: $SPEC not found (set KILN_SHARED to the directory holding spec-testsuite/)"
    failed=$((failed + 1))
fi

# ---- the fuzz generator --------------------------------------------------
gen=$WORK/kiln-gen-dump
if ! ${CC:-cc} -std=c11 -O1 -o "$gen" tests/fuzz/gen_dump.c tests/fuzz/wasmgen.c 2>"$WORK/tmp/err"; then
    echo "FAIL: cannot build kiln-gen-dump: $(head -n 3 "$WORK/tmp/err")"
    failed=$((failed + 1))
else
    for mode in --scalar --simd; do
        mkdir -p "$WORK/gen/$mode"
        "$gen" "$mode" --random "$GEN_N" --seed 11 "$WORK/gen/$mode" >/dev/null
        "$gen" "$mode" --catalog "$WORK/gen/$mode/catalog.wasm" >/dev/null
        for m in "$WORK/gen/$mode"/*.wasm; do
            check "gen$mode/$(basename "$m")" "$m"
        done
    done
fi

printf '%s\n' "${enc_list[@]}" >"$WORK/encoding-only.txt"
echo "print-roundtrip: $encoding of the passes differ from the original only in encoding ($WORK/encoding-only.txt):"
printf '  %s\n' "${enc_list[@]:0:20}"
[ "$encoding" -gt 20 ] && echo "  ... ($((encoding - 20)) more)"
echo "print-roundtrip: $skipped known exceptions skipped ($KNOWN)"
echo "print-roundtrip: $passed passed, $failed failed"
[ "$failed" = 0 ]
