#!/usr/bin/env bash
# bench/run.sh — CPU benchmarks: native vs kiln vs node vs wasm-interp.
#
#   bash bench/run.sh [WORKLOAD...]      (make bench runs it with no arguments)
#
# Builds every bench/workloads/*.c twice (wasm32 module and native binary)
# into build/bench/, runs each workload under each runner, checks that every
# runner computed the same checksum as the native binary, and prints a table
# of best wall-clock times and slow-down ratios relative to native, ending
# with the geometric mean of each ratio column.  See bench/README.md.
#
# Environment knobs (defaults in brackets):
#   BENCH_RUNS            runs per runner, best one is reported [3]
#   BENCH_REPEAT_MAX_MS   don't repeat a runner whose run took longer [2500]
#   BENCH_INTERP_TIMEOUT  seconds before wasm-interp is killed ("timeout",
#                         not a failure: it is just slow) [30]
#   BENCH_KILN_TIMEOUT    seconds before kiln is killed (a failure) [120]
#   BENCH_RUNNERS         runners to use ["native kiln kiln-lim node interp"]
#   BENCH_KILN_LIMITS     kiln flags for the kiln-lim runner
#                         ["--fuel 1000000000000 --timeout 3600"]
#   KILN                  the kiln CLI [build/kiln]
#   CLANG                 the compiler used for both builds [clang-19]
#
# Exit status: 0 when every checksum agrees and no runner failed, 1 otherwise.

set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2

OUT=build/bench
CLANG=${CLANG:-clang-19}
KILN=${KILN:-build/kiln}
RUNS=${BENCH_RUNS:-3}
REPEAT_MAX_MS=${BENCH_REPEAT_MAX_MS:-2500}
INTERP_TIMEOUT=${BENCH_INTERP_TIMEOUT:-30}
KILN_TIMEOUT=${BENCH_KILN_TIMEOUT:-120}
RUNNERS=" ${BENCH_RUNNERS:-native kiln kiln-lim node interp} "
read -r -a KILN_LIMITS <<<"${BENCH_KILN_LIMITS:---fuel 1000000000000 --timeout 3600}"

# Same optimisation and FP semantics for both targets: no FMA contraction and
# no errno-setting sqrt, so the floating-point workloads are bit-identical.
COMMON_CFLAGS=(-O2 -ffreestanding -fno-math-errno -ffp-contract=off -Wall -Wextra -Werror)
# shellcheck disable=SC2054  # the commas belong to -Wl,
WASM_FLAGS=(--target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export=run)

FAILS=()
fail() { echo "!!! BENCH FAILURE: $*" >&2; FAILS+=("$*"); }
note() { echo "bench: $*" >&2; }
has_runner() { [[ $RUNNERS == *" $1 "* ]]; }

# ---- tools -------------------------------------------------------------------
if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "bench: $CLANG not found (needed to build the workloads)" >&2
    exit 2
fi
have_timeout=0
command -v timeout >/dev/null 2>&1 && have_timeout=1
# with_timeout SECS CMD... : exit status 124 when CMD was killed
# shellcheck disable=SC2317  # called indirectly through measure
with_timeout() {
    local secs=$1; shift
    if ((have_timeout)); then timeout -k 5 "$secs" "$@"; else "$@"; fi
}

have_kiln=0
if has_runner kiln || has_runner kiln-lim; then
    if [[ -x $KILN ]]; then have_kiln=1; else note "$KILN not built: kiln columns are n/a"; fi
fi
have_node=0
if has_runner node; then
    if command -v node >/dev/null 2>&1; then have_node=1; else note "node not found: node column is n/a"; fi
fi
have_interp=0
if has_runner interp; then
    if command -v wasm-interp >/dev/null 2>&1; then have_interp=1; else note "wasm-interp not found: interp column is n/a"; fi
fi

# ---- build -------------------------------------------------------------------
mkdir -p "$OUT"
if (($# > 0)); then
    workloads=("$@")
else
    workloads=()
    for f in bench/workloads/*.c; do workloads+=("$(basename "$f" .c)"); done
fi

# "startup" (bench/startup.c, an empty run()) measures each runner's fixed
# cost; it is shown first and left out of the geometric means.
src_of() { if [[ $1 == startup ]]; then echo bench/startup.c; else echo "bench/workloads/$1.c"; fi; }
rest=(); for w in "${workloads[@]}"; do [[ $w == startup ]] || rest+=("$w"); done
workloads=(startup "${rest[@]}")

declare -A BITS   # workload -> 32 or 64 (width of run()'s result)
for w in "${workloads[@]}"; do
    src=$(src_of "$w")
    if [[ ! -f $src ]]; then
        echo "bench: no such workload: $w (have: $(cd bench/workloads && ls -- *.c | sed 's/\.c$//' | tr '\n' ' '))" >&2
        exit 2
    fi
    if grep -qE '^uint64_t run\(void\)' "$src"; then BITS[$w]=64
    elif grep -qE '^uint32_t run\(void\)' "$src"; then BITS[$w]=32
    else echo "bench: $src must define 'uint32_t run(void)' or 'uint64_t run(void)'" >&2; exit 2
    fi
    wasm=$OUT/$w.wasm nat=$OUT/$w.native
    if [[ ! -f $wasm || $src -nt $wasm || bench/wasm_rt.c -nt $wasm || bench/run.sh -nt $wasm ]]; then
        "$CLANG" "${COMMON_CFLAGS[@]}" "${WASM_FLAGS[@]}" -o "$wasm" "$src" bench/wasm_rt.c ||
            { echo "bench: building $wasm failed" >&2; exit 2; }
    fi
    if [[ ! -f $nat || $src -nt $nat || bench/native_main.c -nt $nat || bench/run.sh -nt $nat ]]; then
        r64=0; [[ ${BITS[$w]} == 64 ]] && r64=1
        if ! "$CLANG" "${COMMON_CFLAGS[@]}" -c -o "$OUT/$w.o" "$src" ||
            ! "$CLANG" -O2 -DBENCH_RESULT_64=$r64 -o "$nat" bench/native_main.c "$OUT/$w.o"; then
            echo "bench: building $nat failed" >&2
            exit 2
        fi
    fi
done

# ---- measuring ---------------------------------------------------------------
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [[ -z ${EPOCHREALTIME:-} ]]; then   # bash < 5: fall back to date(1)
    now_us() { date +%s%6N; }
else
    now_us() { :; }
fi

# measure CMD... : run up to RUNS times; sets M_MS (best time, ms with one
# decimal), M_OUT (file with the last stdout), M_ERR (stderr), M_RC.
measure() {
    local best=-1 i t0 t1 us
    M_OUT=$TMP/out M_ERR=$TMP/err M_RC=0
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/./}      # microseconds, no fork
        [[ -n $t0 ]] || t0=$(now_us)
        "$@" >"$M_OUT" 2>"$M_ERR" </dev/null
        M_RC=$?
        t1=${EPOCHREALTIME/./}
        [[ -n $t1 ]] || t1=$(now_us)
        ((M_RC != 0)) && break
        us=$((10#$t1 - 10#$t0))
        ((best < 0 || us < best)) && best=$us
        ((us > REPEAT_MAX_MS * 1000)) && break
    done
    if ((best < 0)); then M_MS=""; else M_MS=$(awk -v u="$best" 'BEGIN { printf "%.1f", u / 1000 }'); fi
}

# normalise a result to the unsigned decimal of the workload's width
normalise() { # value bits
    local v=$1 bits=$2 sign=""
    [[ $v =~ ^-?[0-9]+$ ]] || { echo "?"; return; }
    [[ $v == -* ]] && { sign=-; v=${v#-}; }
    while [[ $v == 0?* ]]; do v=${v#0}; done   # no octal surprises
    v=$sign$v
    if ((bits == 32)); then
        echo $(((v % 4294967296 + 4294967296) % 4294967296))
    elif [[ $v == -* ]]; then
        printf '%u\n' "$v"
    else
        echo "$v"
    fi
}

# last integer on the first output line that has a digit: handles "123",
# "-5", "i32:-5" and wasm-interp's "run() => i64:123"
first_result() { sed -n '/[0-9]/{p;q;}' "$1" | grep -oE -- '-?[0-9]+$'; }

# run one runner on one workload; prints the cell: time in ms or a status
declare -A TIME SUM
run_one() { # workload runner
    local w=$1 r=$2 raw cs key="$1/$2"
    case $r in
    native) measure "$OUT/$w.native" ;;
    kiln) measure with_timeout "$KILN_TIMEOUT" "$KILN" run --invoke run "$OUT/$w.wasm" ;;
    kiln-lim) measure with_timeout "$KILN_TIMEOUT" "$KILN" run "${KILN_LIMITS[@]}" --invoke run "$OUT/$w.wasm" ;;
    node) measure node bench/node_run.js "$OUT/$w.wasm" ;;
    interp) measure with_timeout "$INTERP_TIMEOUT" wasm-interp "$OUT/$w.wasm" --run-all-exports ;;
    esac
    if ((M_RC == 124)) && [[ $r != native && $r != node ]]; then
        TIME[$key]=timeout
        if [[ $r == kiln* ]]; then
            fail "$w: $r timed out after ${KILN_TIMEOUT}s (hang?)"
        else
            note "$w: $r timed out after ${INTERP_TIMEOUT}s"
        fi
        return
    fi
    if ((M_RC != 0)) || { [[ $r == interp ]] && grep -q '=> error' "$M_OUT"; }; then
        TIME[$key]=error
        fail "$w: $r failed (exit $M_RC): $(cat "$M_ERR" "$M_OUT" 2>/dev/null | head -c 300 | tr '\n' ' ')"
        return
    fi
    raw=$(first_result "$M_OUT")
    cs=$(normalise "${raw:-x}" "${BITS[$w]}")
    TIME[$key]=$M_MS
    SUM[$key]=$cs
    if [[ $cs == "?" ]]; then
        TIME[$key]=error
        fail "$w: $r printed no result: $(head -c 200 "$M_OUT" | tr '\n' ' ')"
    fi
}

declare -A ACTIVE=([native]=1 [kiln]=$have_kiln [kiln-lim]=$have_kiln [node]=$have_node [interp]=$have_interp)
ORDER=(native kiln kiln-lim node interp)

note "runs: best of up to $RUNS (no repeats after a run over ${REPEAT_MAX_MS} ms); interp timeout ${INTERP_TIMEOUT}s"
for w in "${workloads[@]}"; do
    for r in "${ORDER[@]}"; do
        has_runner "$r" || continue
        ((ACTIVE[$r])) || continue
        run_one "$w" "$r"
        printf 'bench: %-8s %-9s %s\n' "$w" "$r" "${TIME[$w/$r]}" >&2
    done
    # checksums: native is the reference (else the first runner that produced one)
    ref="" refr=""
    for r in "${ORDER[@]}"; do
        [[ -n ${SUM[$w/$r]:-} ]] && { ref=${SUM[$w/$r]}; refr=$r; break; }
    done
    for r in "${ORDER[@]}"; do
        s=${SUM[$w/$r]:-}
        if [[ -n $s && $s != "$ref" ]]; then
            fail "CHECKSUM MISMATCH in $w: $r computed $s but $refr computed $ref"
            TIME[$w/$r]="MISMATCH"
        fi
    done
    SUM[$w/ref]=$ref
done

# ---- report ------------------------------------------------------------------
cell() { # runner-key
    local v=${TIME[$1]:-}
    local r=${1#*/}
    if [[ -z $v ]]; then
        if has_runner "$r" && ((ACTIVE[$r])); then echo "-"; else echo "n/a"; fi
    else echo "$v"; fi
}
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
ratio() { # a b -> a/b
    if isnum "$1" && isnum "$2" && [[ $2 != 0.0 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    else echo "-"; fi
}
geomean() { # values... (non-numbers skipped) -> "G (n)"
    printf '%s\n' "$@" | awk '/^[0-9.]+$/ && $1 > 0 { s += log($1); n++ }
        END { if (n) printf "%.2f (n=%d)", exp(s / n), n; else printf "-" }'
}

echo
echo "kiln benchmarks — best wall-clock ms of up to $RUNS runs (process start-up included);"
echo "x/native = slow-down relative to the native build of the same C code"
echo
# shellcheck disable=SC2059
hdr='%-8s %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n'
printf "$hdr" workload native kiln kiln-lim node interp kiln/nat klim/nat node/nat intp/nat lim-cost
printf "$hdr" -------- --------- --------- --------- --------- --------- --------- --------- --------- --------- ---------
declare -a R_K R_KL R_N R_I R_LC
for w in "${workloads[@]}"; do
    nat=$(cell "$w/native") k=$(cell "$w/kiln") kl=$(cell "$w/kiln-lim") n=$(cell "$w/node") i=$(cell "$w/interp")
    rk=$(ratio "$k" "$nat") rkl=$(ratio "$kl" "$nat") rn=$(ratio "$n" "$nat") ri=$(ratio "$i" "$nat") rlc=$(ratio "$kl" "$k")
    [[ $w == startup ]] || R_K+=("$rk") R_KL+=("$rkl") R_N+=("$rn") R_I+=("$ri") R_LC+=("$rlc")
    printf "$hdr" "$w" "$nat" "$k" "$kl" "$n" "$i" "$rk" "$rkl" "$rn" "$ri" "$rlc"
done
echo
echo "geometric mean of the ratios (n = workloads with a number in both columns):"
printf '  kiln / native            %s\n' "$(geomean "${R_K[@]}")"
printf '  kiln+limits / native     %s\n' "$(geomean "${R_KL[@]}")"
printf '  node / native            %s\n' "$(geomean "${R_N[@]}")"
printf '  wasm-interp / native     %s\n' "$(geomean "${R_I[@]}")"
printf '  kiln+limits / kiln       %s   (cost of --fuel/--timeout)\n' "$(geomean "${R_LC[@]}")"
echo
echo "checksums (unsigned; all runners agree unless a failure is reported):"
for w in "${workloads[@]}"; do
    [[ $w == startup ]] || printf '  %-8s %s\n' "$w" "${SUM[$w/ref]:-none}"
done

if ((${#FAILS[@]})); then
    echo
    echo "!!! ${#FAILS[@]} BENCHMARK FAILURE(S):"
    printf '!!!   %s\n' "${FAILS[@]}"
    exit 1
fi
exit 0
