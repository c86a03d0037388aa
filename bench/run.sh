#!/usr/bin/env bash
# bench/run.sh — benchmarks: native vs kiln vs node vs wasm-interp, on CPU
# workloads (bench/workloads, bench/simd) and WASI commands (bench/wasi).
#
#   bash bench/run.sh [WORKLOAD...]      (make bench runs it with no arguments)
#
# Builds every bench/workloads/*.c twice (wasm32 module and native binary)
# into build/bench/ (BENCH_OUT), runs each workload under each runner,
# checks that every runner computed the same checksum as the native binary,
# and prints a table of best wall-clock times and slow-down ratios relative
# to native, ending with the geometric mean of each ratio column.  See
# bench/README.md.
#
# The SIMD workloads, bench/simd/*.c, are built three times: wasm32 without
# SIMD (row "W"), wasm32 with -msimd128 (row "W+simd"; the build fails unless
# the module really contains SIMD instructions) and one native binary shared
# by both rows.  They get their own section of ratios (SIMD build vs scalar
# build, kiln vs node) after the main table.  WORKLOAD may name either row;
# "simd" stands for every SIMD row.
#
# Then the WASI section: the C programs in bench/wasi/ built against
# wasi-libc (clang-19 --target=wasm32-wasi) and natively from the same
# source, run as commands (kiln run, node's WASI, wasm-interp --wasi); every
# runner's stdout must equal the native binary's.  Its own table and
# geometric means, then a start-up table (hello.c run BENCH_WASI_SPAWNS
# times by bench/wasi/spawn_time.c: min and median microseconds).
#   bash bench/run.sh wasi               only the WASI section
#   bash bench/run.sh wasi:files wasi:startup   some of its rows
#
# Then the compile-speed section (bench/compile.c, bench/node_compile.js):
# every module built above, loaded by kiln on each tier and compiled by V8's
# Liftoff alone on one thread; ms, MB/s and kiln/Liftoff per module.
#   bash bench/run.sh compile            only that section
#
# Then the instantiation section: bench/instantiate.c, built with the host
# compiler against build/libkiln.a, prints microseconds per (instantiate +
# call a small export + free) through kiln_template's pool and through the
# per-store path (no memory, 1 MiB, a 30 MiB data image, WASI), what a
# per-request kiln_wasi costs, the RSS of 10,000 live instances, and RSS
# and /proc/self/maps before and after BENCH_INSTANTIATE_CYCLES cycles
# (a failure if either grew).
#   bash bench/run.sh instantiate        only that section
#
# Then the profiler section: one CPU workload (BENCH_PROFILE_WORKLOAD,
# default vm) run by kiln with and without --profile at the default rate,
# alternately, best of BENCH_PROFILE_RUNS each, and the overhead in percent
# (the goal is at most 5%; reported, not enforced).
#   bash bench/run.sh profile            only that section
#
# Then the serve section (bench/serve/run.sh; bench/README.md, "Serving
# HTTP"): kiln serve with a WAGI handler in C, node's http module (a
# cluster of one process per core, and one process), workerd (from npm,
# installed into BENCH_OUT/npm if missing) and h2o serving a static file,
# each answering GET /hello with "hello\n" on loopback, driven one at a
# time by the same wrk run; a table of requests/s, p50, p99 and RSS, kiln's
# ratios to each peer and whether issue 9's bar was met (reported only).
# It prints kiln serve's own instantiation figures from /metrics too; the
# engine's are the instantiation section above.  About a minute.
#   bash bench/run.sh serve              only that section
# Last, the plugin section (bench/plugin/run.sh): Extism plugin calls per
# second and microseconds per call through libkiln-plugin against node's
# @extism/extism, and the RSS of 1,000 loaded plugins.
#   bash bench/run.sh plugin             only that section
#
# Environment knobs (defaults in brackets):
#   BENCH_RUNS            runs per runner, best one is reported [3]
#   BENCH_REPEAT_MAX_MS   don't repeat a runner whose run took longer [2500]
#   BENCH_INTERP_TIMEOUT  seconds before wasm-interp is killed ("timeout",
#                         not a failure: it is just slow) [30]
#   BENCH_KILN_TIMEOUT    seconds before kiln is killed (a failure) [120]
#   BENCH_RUNNERS         runners to use
#                         ["native kiln kiln-nat kiln-lim node liftoff interp"]:
#                         kiln is the interpreter (--tier interp), kiln-nat the
#                         native tier, kiln-lim the native tier with limits,
#                         liftoff node with V8's baseline compiler alone
#   BENCH_SIMD            0: leave the bench/simd rows out of the default
#                         set (no WORKLOAD arguments) [1]
#   BENCH_KILN_LIMITS     kiln flags for the kiln-lim runner
#                         ["--fuel 1000000000000 --timeout 3600"]
#   BENCH_WASI            0: skip the WASI section when no WORKLOAD is named [1]
#   BENCH_WASI_SPAWNS     start-up runs of hello for native and kiln [200]
#   BENCH_WASI_NODE_SPAWNS  ... for node and wasm-interp [20]
#   BENCH_INSTANTIATE     0: skip the instantiation section when no WORKLOAD
#                         is named [1]
#   BENCH_INSTANTIATE_CYCLES  cycles of the growth check [1000000]
#   BENCH_SERVE           0: skip the serve section when no WORKLOAD is named [1]
#   BENCH_SERVE_SECONDS   seconds of each server's measured wrk run [10]
#   BENCH_SERVE_WARMUP    seconds of the untimed wrk run before it [2]
#   BENCH_SERVE_CONNS     wrk connections, the same for every server [64]
#   BENCH_SERVE_THREADS   wrk threads [2]
#   BENCH_SERVE_ROUNDS    serve rounds, servers in turn; each row its best [3]
#   BENCH_SERVE_CORES     kiln workers, node cluster processes, h2o threads
#                         [the core count]
#   BENCH_SERVE_SERVERS   the serve rows to run
#                         ["kiln node-cluster node workerd h2o-static"]
#   WORKERD               a workerd binary to use instead of npm's
#   BENCH_COMPILE         0: skip the compile-speed section when no WORKLOAD
#                         is named [1]
#   BENCH_PROFILE         0: skip the profiler section when no WORKLOAD is
#                         named [1]
#   BENCH_PROFILE_WORKLOAD  the bench/workloads row it profiles [vm]
#   BENCH_PROFILE_RUNS    runs with and without --profile [5]
#   BENCH_PLUGIN          0: skip the plugin section when no WORKLOAD is
#                         named [1]; BENCH_PLUGIN_SECS, BENCH_PLUGIN_LOAD
#                         tune it (bench/plugin/run.sh)
#   KILN                  the kiln CLI [build/kiln]
#   BENCH_OUT             where the modules and binaries are built [build/bench]
#   CLANG                 the compiler used for both builds [clang-19]
#
# Exit status: 0 when every checksum agrees and no runner failed, 1 otherwise.

# shellcheck disable=SC2059  # (whole file) the table formats are the constants $hdr, $hdr2
set -u
export LC_ALL=C
cd "$(dirname "$0")/.." || exit 2

OUT=${BENCH_OUT:-build/bench}
CLANG=${CLANG:-clang-19}
KILN=${KILN:-build/kiln}
RUNS=${BENCH_RUNS:-3}
REPEAT_MAX_MS=${BENCH_REPEAT_MAX_MS:-2500}
INTERP_TIMEOUT=${BENCH_INTERP_TIMEOUT:-30}
KILN_TIMEOUT=${BENCH_KILN_TIMEOUT:-120}
RUNNERS=" ${BENCH_RUNNERS:-native kiln kiln-nat kiln-lim node liftoff interp} "
WITH_SIMD=${BENCH_SIMD:-1}
WITH_WASI=${BENCH_WASI:-1}
WASI_SPAWNS=${BENCH_WASI_SPAWNS:-200}
WASI_NODE_SPAWNS=${BENCH_WASI_NODE_SPAWNS:-20}
RUN_INST=${BENCH_INSTANTIATE:-1}
RUN_SERVE=${BENCH_SERVE:-1}
INST_CYCLES=${BENCH_INSTANTIATE_CYCLES:-1000000}
RUN_PLUGIN=${BENCH_PLUGIN:-1}
RUN_PROFILE=${BENCH_PROFILE:-1}
RUN_COMPILE=${BENCH_COMPILE:-1}
PROFILE_WORKLOAD=${BENCH_PROFILE_WORKLOAD:-vm}
PROFILE_RUNS=${BENCH_PROFILE_RUNS:-5}
# V8's baseline compiler alone (the liftoff runner), eagerly, as the issue
# names it: Liftoff without tier-up to TurboFan.
LIFTOFF_FLAGS=(--liftoff --no-wasm-tier-up --no-wasm-dynamic-tiering)
# Every runner, in table order, with its column name; the ratio columns
# are "A/B" of the short names in RATIO_OF.
ALL_RUNNERS=(native kiln kiln-nat kiln-lim node liftoff interp)
declare -A SHORT=([native]=native [kiln]=k-interp [kiln-nat]=k-native [kiln-lim]=k-nat+lim
                  [node]=node [liftoff]=liftoff [interp]=wabt)
declare -A RATIO_OF=([nat]=native [int]=kiln [knat]=kiln-nat [klim]=kiln-lim [node]=node
                     [lift]=liftoff [wabt]=interp)
RATIO_COLS=(int/nat knat/nat klim/nat node/nat lift/nat wabt/nat klim/knat knat/lift)
declare -A RATIO_WHAT=([int/nat]="kiln interpreter / native" [knat/nat]="kiln native tier / native"
    [klim/nat]="kiln native+limits / native" [node/nat]="node (V8) / native"
    [lift/nat]="V8 Liftoff only / native" [wabt/nat]="wasm-interp / native"
    [klim/knat]="cost of --fuel/--timeout" [knat/lift]="kiln native / Liftoff")
read -r -a KILN_LIMITS <<<"${BENCH_KILN_LIMITS:---fuel 1000000000000 --timeout 3600}"

# Same optimisation and FP semantics for both targets: no FMA contraction and
# no errno-setting sqrt, so the floating-point workloads are bit-identical.
COMMON_CFLAGS=(-O2 -ffreestanding -fno-math-errno -ffp-contract=off -Wall -Wextra -Werror)
# shellcheck disable=SC2054  # the commas belong to -Wl,
WASM_FLAGS=(--target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export=run)
# added for the W+simd builds of bench/simd/W.c
SIMD_FLAGS=(-msimd128)

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
if has_runner kiln || has_runner kiln-nat || has_runner kiln-lim; then
    if [[ -x $KILN ]]; then have_kiln=1; else note "$KILN not built: kiln columns are n/a"; fi
fi
have_node=0
if has_runner node || has_runner liftoff; then
    if command -v node >/dev/null 2>&1; then have_node=1; else note "node not found: node column is n/a"; fi
fi
have_interp=0
if has_runner interp; then
    if command -v wasm-interp >/dev/null 2>&1; then have_interp=1; else note "wasm-interp not found: interp column is n/a"; fi
fi
# SIMD in wasm-interp: on by default in wabt >= 1.0.24 (it offers
# --disable-simd), behind --enable-simd in older ones; without either the
# +simd rows' interp cells are n/a.
INTERP_SIMD_FLAGS=() interp_simd=0
if ((have_interp)); then
    interp_help=$(wasm-interp --help 2>&1)
    if [[ $interp_help == *--disable-simd* ]]; then interp_simd=1
    elif [[ $interp_help == *--enable-simd* ]]; then interp_simd=1 INTERP_SIMD_FLAGS=(--enable-simd)
    fi
fi

# ---- build -------------------------------------------------------------------
mkdir -p "$OUT"
scalar_names=() simd_names=()
for f in bench/workloads/*.c; do scalar_names+=("$(basename "$f" .c)"); done
for f in bench/simd/*.c; do
    [[ -f $f ]] || continue
    b=$(basename "$f" .c)
    if [[ -f bench/workloads/$b.c || $b == startup || $b == simd ]]; then
        echo "bench: bench/simd/$b.c: the name $b is taken" >&2
        exit 2
    fi
    simd_names+=("$b" "$b+simd")
done
# "wasi" selects the whole WASI section, "wasi:NAME" one of its rows (NAME
# a bench/wasi workload or "startup"); naming only those skips the CPU part,
# naming only CPU workloads skips the WASI section.
RUN_CPU=1 RUN_WASI=1 wasi_sel=()
[[ $WITH_WASI == 0 ]] && RUN_WASI=0
if (($# > 0)); then
    workloads=() RUN_WASI=0 RUN_INST=0 RUN_SERVE=0 RUN_PLUGIN=0 RUN_PROFILE=0 RUN_COMPILE=0
    for w in "$@"; do
        if [[ $w == simd ]]; then workloads+=("${simd_names[@]}")
        elif [[ $w == instantiate ]]; then RUN_INST=1
        elif [[ $w == profile ]]; then RUN_PROFILE=1
        elif [[ $w == compile ]]; then RUN_COMPILE=1
        elif [[ $w == serve ]]; then RUN_SERVE=1
        elif [[ $w == plugin ]]; then RUN_PLUGIN=1
        elif [[ $w == wasi ]]; then RUN_WASI=1 wasi_sel+=(all)
        elif [[ $w == wasi:?* ]]; then RUN_WASI=1 wasi_sel+=("${w#wasi:}")
        else workloads+=("$w"); fi
    done
    ((${#workloads[@]})) || RUN_CPU=0
else
    workloads=("${scalar_names[@]}")
    [[ $WITH_SIMD == 0 ]] || workloads+=("${simd_names[@]}")
fi

# the WASI rows: every bench/wasi/*.c but the start-up probe and the timer
wasi_names=()
for f in bench/wasi/*.c; do
    [[ -f $f ]] || continue
    b=$(basename "$f" .c)
    [[ $b == hello || $b == spawn_time || $b == startup ]] || wasi_names+=("$b")
done
wasi_rows=() want_startup=0
if ((${#wasi_sel[@]} == 0)) || [[ " ${wasi_sel[*]} " == *" all "* ]]; then
    wasi_rows=("${wasi_names[@]}") want_startup=1
else
    for w in "${wasi_sel[@]}"; do
        if [[ $w == startup ]]; then want_startup=1
        elif [[ " ${wasi_names[*]} " == *" $w "* ]]; then wasi_rows+=("$w")
        else
            echo "bench: no such WASI workload: wasi:$w (have: ${wasi_names[*]/#/wasi:} wasi:startup)" >&2
            exit 2
        fi
    done
fi

# ---- measuring (both sections) ----------------------------------------------
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

# measure_guarded SECS CMD... : measure, after one untimed run of CMD under
# timeout(1) that must succeed within SECS (else M_RC is its status, 124
# for a timeout, and M_MS empty).  timeout puts a process of its own
# between the clock and CMD (~3.5 ms here, which the native and node rows
# do not pay), so the timed runs go without it: the workloads are
# deterministic, and one that finished once finishes again.  A guarded run
# longer than REPEAT_MAX_MS is the measurement itself (as measure would
# not repeat it either).
measure_guarded() {
    local secs=$1 t0 t1 us
    shift
    M_OUT=$TMP/out M_ERR=$TMP/err
    t0=${EPOCHREALTIME/./}
    [[ -n $t0 ]] || t0=$(now_us)
    with_timeout "$secs" "$@" >"$M_OUT" 2>"$M_ERR" </dev/null
    M_RC=$?
    t1=${EPOCHREALTIME/./}
    [[ -n $t1 ]] || t1=$(now_us)
    if ((M_RC != 0)); then
        M_MS=""
        return
    fi
    us=$((10#$t1 - 10#$t0))
    if ((us > REPEAT_MAX_MS * 1000)); then
        M_MS=$(awk -v u="$us" 'BEGIN { printf "%.1f", u / 1000 }')
        return
    fi
    measure "$@"
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

# The runner tables of both sections: a header, rows of times with their
# ratios (RATIO_COLS: each runner to native, then the two cross ratios; ROW_R
# holds the last row's, keep_ratios adds them to the means), and the
# geometric mean of every ratio column.
ratio_header() {
    local c
    dashes=$(printf '%*s' "$WW" '' | tr ' ' -)
    printf '%-*s' "$WW" workload
    for c in "${ALL_RUNNERS[@]}"; do printf ' %8s' "${SHORT[$c]}"; done
    printf ' |'
    for c in "${RATIO_COLS[@]}"; do printf ' %9s' "$c"; done
    printf '\n%s' "$dashes"
    for c in "${ALL_RUNNERS[@]}"; do printf ' %8s' --------; done
    printf ' |'
    for c in "${RATIO_COLS[@]}"; do printf ' %9s' ---------; done
    printf '\n'
    declare -gA R_ALL=()
    KEPT=0
}
ratio_row() { # NAME CELLFN: CELLFN workload/runner gives each time
    local w=$1 get=$2 r c a b
    local -A t=()
    for r in "${ALL_RUNNERS[@]}"; do t[$r]=$("$get" "$w/$r"); done
    ROW_R=()
    for c in "${RATIO_COLS[@]}"; do
        a=${c%%/*} b=${c#*/}
        ROW_R+=("$(ratio "${t[${RATIO_OF[$a]}]}" "${t[${RATIO_OF[$b]}]}")")
    done
    printf '%-*s' "$WW" "$w"
    for r in "${ALL_RUNNERS[@]}"; do printf ' %8s' "${t[$r]}"; done
    printf ' |'
    for c in "${ROW_R[@]}"; do printf ' %9s' "$c"; done
    printf '\n'
}
keep_ratios() {
    local i
    KEPT=$((${KEPT:-0} + 1))
    for i in "${!RATIO_COLS[@]}"; do R_ALL[$i]+="${ROW_R[$i]} "; done
}
print_geomeans() {
    local i c
    for i in "${!RATIO_COLS[@]}"; do
        c=${RATIO_COLS[$i]}
        # shellcheck disable=SC2086  # the kept ratios are space-separated
        printf '  %-10s %-31s %s\n' "$c" "(${RATIO_WHAT[$c]})" "$(geomean ${R_ALL[$i]:-})"
    done
}

# ==== the CPU section: bench/workloads, bench/simd ============================
if ((RUN_CPU)); then

# "startup" (bench/startup.c, an empty run()) measures each runner's fixed
# cost; it is shown first and left out of the geometric means.
# KIND: "scalar" (bench/workloads), "simd-off" (bench/simd built without
# SIMD), "simd-on" (bench/simd built with -msimd128), or "startup".
declare -A KIND
find_src() { # workload: sets src (its source file, "" if none) and KIND[workload]
    local w=$1 b=${1%+simd}
    src=""
    if [[ $w == startup ]]; then KIND[$w]=startup src=bench/startup.c
    elif [[ $w != *+simd && -f bench/workloads/$w.c ]]; then KIND[$w]=scalar src=bench/workloads/$w.c
    elif [[ $w != *+simd && -f bench/simd/$w.c ]]; then KIND[$w]=simd-off src=bench/simd/$w.c
    elif [[ $w == *+simd && -f bench/simd/$b.c ]]; then KIND[$w]=simd-on src=bench/simd/$b.c
    fi
}
rest=(); for w in "${workloads[@]}"; do [[ $w == startup ]] || rest+=("$w"); done
workloads=(startup "${rest[@]}")

# simd_ops FILE.wasm: how many SIMD (v128) instructions its code has
simd_ops() {
    local dis
    dis=$(wasm-objdump -d "$1" 2>&1) || { echo "bench: wasm-objdump -d $1 failed: ${dis:0:300}" >&2; return 1; }
    grep -cE '\| *(v128|[if](8x16|16x8|32x4|64x2))\.' <<<"$dis" || true   # 0 matches: exit 1
}
have_objdump=0
if command -v wasm-objdump >/dev/null 2>&1; then have_objdump=1
else note "wasm-objdump (wabt) not found: cannot check that the +simd modules contain SIMD code"
fi

declare -A BITS   # workload -> 32 or 64 (width of run()'s result)
declare -A NATIVE # workload -> native binary (one per source file)
for w in "${workloads[@]}"; do
    find_src "$w"
    if [[ -z $src ]]; then
        echo "bench: no such workload: $w (have: ${scalar_names[*]} ${simd_names[*]}; simd = every SIMD row)" >&2
        exit 2
    fi
    if grep -qE '^uint64_t run\(void\)' "$src"; then BITS[$w]=64
    elif grep -qE '^uint32_t run\(void\)' "$src"; then BITS[$w]=32
    else echo "bench: $src must define 'uint32_t run(void)' or 'uint64_t run(void)'" >&2; exit 2
    fi
    base=${w%+simd}
    wasm=$OUT/$w.wasm nat=$OUT/$base.native
    NATIVE[$w]=$nat
    extra=(); [[ ${KIND[$w]} == simd-on ]] && extra=("${SIMD_FLAGS[@]}")
    if [[ ! -f $wasm || $src -nt $wasm || bench/wasm_rt.c -nt $wasm || bench/run.sh -nt $wasm ]]; then
        "$CLANG" "${COMMON_CFLAGS[@]}" "${WASM_FLAGS[@]}" ${extra[@]+"${extra[@]}"} -o "$wasm" "$src" bench/wasm_rt.c ||
            { echo "bench: building $wasm failed" >&2; exit 2; }
    fi
    # a +simd row must measure SIMD code, every other row MVP code
    if ((have_objdump)) && [[ ${KIND[$w]} != startup ]]; then
        n=$(simd_ops "$wasm") || exit 2
        if [[ ${KIND[$w]} == simd-on ]]; then
            if ((n == 0)); then
                echo "!!! bench: $wasm was built with ${SIMD_FLAGS[*]} but contains no SIMD instruction:" >&2
                echo "!!! clang did not vectorise $src, so the $w row would measure scalar code" >&2
                exit 2
            fi
            note "$w: $n SIMD instructions in $wasm"
        elif ((n != 0)); then
            echo "!!! bench: $wasm contains $n SIMD instructions but should be MVP-only" >&2
            exit 2
        fi
    fi
    if [[ ! -f $nat || $src -nt $nat || bench/native_main.c -nt $nat || bench/run.sh -nt $nat ]]; then
        r64=0; [[ ${BITS[$w]} == 64 ]] && r64=1
        if ! "$CLANG" "${COMMON_CFLAGS[@]}" -c -o "$OUT/$base.o" "$src" ||
            ! "$CLANG" -O2 -DBENCH_RESULT_64=$r64 -o "$nat" bench/native_main.c "$OUT/$base.o"; then
            echo "bench: building $nat failed" >&2
            exit 2
        fi
    fi
done

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

# run one runner on one workload; sets TIME[workload/runner] to the time in
# ms or a status, and SUM[workload/runner] to the checksum
declare -A TIME SUM
declare -A NATIVE_ROW   # native binary -> the first row that measured it
run_one() { # workload runner
    local w=$1 r=$2 raw cs key="$1/$2" iflags=()
    case $r in
    native)
        # W and W+simd share one native binary: measure it once
        local prev=${NATIVE_ROW[${NATIVE[$w]}]:-}
        if [[ -n $prev ]]; then
            TIME[$key]=${TIME[$prev/native]:-}
            [[ -n ${SUM[$prev/native]:-} ]] && SUM[$key]=${SUM[$prev/native]}
            return
        fi
        NATIVE_ROW[${NATIVE[$w]}]=$w
        measure "${NATIVE[$w]}" ;;
    kiln) measure_guarded "$KILN_TIMEOUT" "$KILN" run --tier interp --invoke run "$OUT/$w.wasm" ;;
    kiln-nat) measure_guarded "$KILN_TIMEOUT" "$KILN" run --tier native --invoke run "$OUT/$w.wasm" ;;
    kiln-lim) measure_guarded "$KILN_TIMEOUT" "$KILN" run --tier native "${KILN_LIMITS[@]}" --invoke run "$OUT/$w.wasm" ;;
    node) measure node bench/node_run.js "$OUT/$w.wasm" ;;
    liftoff) measure node "${LIFTOFF_FLAGS[@]}" bench/node_run.js "$OUT/$w.wasm" ;;
    interp)
        if [[ ${KIND[$w]} == simd-on ]]; then
            if ((!interp_simd)); then TIME[$key]=n/a; return; fi
            iflags=(${INTERP_SIMD_FLAGS[@]+"${INTERP_SIMD_FLAGS[@]}"})
        fi
        measure_guarded "$INTERP_TIMEOUT" wasm-interp ${iflags[@]+"${iflags[@]}"} "$OUT/$w.wasm" --run-all-exports ;;
    esac
    if ((M_RC == 124)) && [[ $r != native && $r != node && $r != liftoff ]]; then
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

declare -A ACTIVE=([native]=1 [kiln]=$have_kiln [kiln-nat]=$have_kiln [kiln-lim]=$have_kiln
                   [node]=$have_node [liftoff]=$have_node [interp]=$have_interp)
ORDER=("${ALL_RUNNERS[@]}")

WW=8   # width of the workload column
for w in "${workloads[@]}"; do ((${#w} > WW)) && WW=${#w}; done
((have_interp && !interp_simd)) && note "wasm-interp has no SIMD support: its +simd cells are n/a"

note "runs: best of up to $RUNS (no repeats after a run over ${REPEAT_MAX_MS} ms); interp timeout ${INTERP_TIMEOUT}s"
for w in "${workloads[@]}"; do
    for r in "${ORDER[@]}"; do
        has_runner "$r" || continue
        ((ACTIVE[$r])) || continue
        run_one "$w" "$r"
        printf 'bench: %-*s %-9s %s\n' "$WW" "$w" "$r" "${TIME[$w/$r]}" >&2
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
# W and W+simd come from the same source: their reference checksums must agree
for w in "${workloads[@]}"; do
    [[ ${KIND[$w]} == simd-on ]] || continue
    a=${SUM[$w/ref]:-} b=${SUM[${w%+simd}/ref]:-}
    if [[ -n $a && -n $b && $a != "$b" ]]; then
        fail "CHECKSUM MISMATCH between $w ($a) and ${w%+simd} ($b)"
    fi
done

# ---- report ------------------------------------------------------------------
cell() { # runner-key
    local v=${TIME[$1]:-}
    local r=${1#*/}
    if [[ -z $v ]]; then
        if has_runner "$r" && ((ACTIVE[$r])); then echo "-"; else echo "n/a"; fi
    else echo "$v"; fi
}
net() { # workload/runner -> its time minus the same runner's startup time ("-" if unknown)
    local t=${TIME[$1]:-} s=${TIME[startup/${1#*/}]:-}
    if isnum "$t" && isnum "$s"; then awk -v t="$t" -v s="$s" 'BEGIN { d = t - s; if (d > 0) printf "%.1f", d; else printf "-" }'
    else echo "-"; fi
}

echo
echo "kiln benchmarks — best wall-clock ms of up to $RUNS runs (process start-up included);"
echo "x/native = slow-down relative to the native build of the same C code"
echo
ratio_header
simd_bases=()   # bench/simd workloads with a row in the table
for w in "${workloads[@]}"; do
    ratio_row "$w" cell
    # the overall means cover bench/workloads only, so they stay comparable
    # with earlier runs; the SIMD rows get their own summary below
    [[ ${KIND[$w]} == scalar ]] && keep_ratios
    if [[ ${KIND[$w]} == simd-* && " ${simd_bases[*]} " != *" ${w%+simd} "* ]]; then
        simd_bases+=("${w%+simd}")
    fi
done
if ((${KEPT:-0} || !${#simd_bases[@]})); then
    echo
    if ((${#simd_bases[@]})); then
        echo "geometric mean of the ratios over the bench/workloads rows (n = workloads with a number in both columns):"
    else
        echo "geometric mean of the ratios (n = workloads with a number in both columns):"
    fi
    print_geomeans
fi

# one table of the SIMD-vs-scalar ratios: MODE "whole" uses the times of the
# table above, "net" each time minus the same runner's startup row
simd_time() { if [[ $1 == net ]]; then net "$2"; else cell "$2"; fi; } # MODE workload/runner
simd_table() { # MODE
    local b s nat k ks n ns i is rows="" vals cols
    printf "$hdr2" "$WW" workload "kiln s/s" "node s/s" "intp s/s" "k/n scal" "k/n simd" "k/nat sc" "k/nat si"
    printf "$hdr2" "$WW" "$dashes" --------- --------- --------- --------- --------- --------- ---------
    for b in "${simd_bases[@]}"; do
        s=$b+simd
        nat=$(simd_time "$1" "$b/native")
        isnum "$nat" || nat=$(simd_time "$1" "$s/native")
        k=$(simd_time "$1" "$b/kiln") ks=$(simd_time "$1" "$s/kiln") n=$(simd_time "$1" "$b/node") ns=$(simd_time "$1" "$s/node")
        i=$(simd_time "$1" "$b/interp") is=$(simd_time "$1" "$s/interp")
        vals=("$(ratio "$ks" "$k")" "$(ratio "$ns" "$n")" "$(ratio "$is" "$i")" "$(ratio "$k" "$n")"
              "$(ratio "$ks" "$ns")" "$(ratio "$k" "$nat")" "$(ratio "$ks" "$nat")")
        rows+="${vals[*]}"$'\n'
        printf "$hdr2" "$WW" "$b" "${vals[@]}"
    done
    # geometric mean of each column over the workloads with a number in it
    read -r -a cols < <(awk '{ for (c = 1; c <= NF; c++) if ($c ~ /^[0-9.]+$/ && $c > 0) { s[c] += log($c); n[c]++ } }
        END { for (c = 1; c <= 7; c++) printf "%s ", n[c] ? sprintf("%.2f", exp(s[c] / n[c])) : "-"; print "" }' <<<"$rows")
    printf "$hdr2" "$WW" geomean "${cols[@]}"
}
if ((${#simd_bases[@]})); then
    hdr2='%-*s %9s %9s %9s %9s %9s %9s %9s\n'
    echo
    echo "SIMD workloads (bench/simd): W built without SIMD, W+simd built with ${SIMD_FLAGS[*]};"
    echo "ratios of times, < 1 = the first is faster:"
    echo "  kiln s/s  kiln on W+simd / kiln on W  (what SIMD buys; node s/s, intp s/s likewise)"
    echo "  k/n scal  kiln / node on W            k/n simd  kiln / node on W+simd"
    echo "  k/nat sc  kiln on W / native          k/nat si  kiln on W+simd / native"
    echo
    echo "whole-process times (as in the table above):"
    simd_table whole
    echo
    echo "compute times (each time minus the same runner's startup row; node's start-up"
    echo "is large and noisy next to its compute time, so its ratios here are rough):"
    simd_table net
fi
echo
echo "checksums (unsigned; all runners agree unless a failure is reported):"
for w in "${workloads[@]}"; do
    [[ $w == startup ]] || printf '  %-*s %s\n' "$WW" "$w" "${SUM[$w/ref]:-none}"
done

fi # RUN_CPU

# ==== the WASI section: bench/wasi ============================================
if ((RUN_WASI)); then
WOUT=$OUT/wasi
mkdir -p "$WOUT"
# The same flags for both builds of a bench/wasi program; wasm32-wasi links
# Debian's wasi-libc (crt1-command.o: main through _start).  Debug sections
# are stripped (libc.a carries DWARF), the name section is kept.
WASI_CFLAGS=(-O2 -fno-math-errno -ffp-contract=off -Wall -Wextra -Werror)
# shellcheck disable=SC2054  # the commas belong to -Wl,
WASI_WASM_FLAGS=(--target=wasm32-wasi -Wl,--strip-debug)
WASI_GUEST_DIR=/data   # what the guests see of the granted directory

# A bench/wasi program whose opening comment says " * bench-extra: duktape"
# also links Duktape's single-file source from Debian's duktape-dev (built
# once per target into an object, without -Werror: it is not our code),
# with bench/wasi/shim/ first on the wasm build's include path.
DUKTAPE_DIR=/usr/share/duktape
duktape_objs() { # sets DUK_WASM, DUK_NATIVE (objects), or returns 1
    DUK_WASM=$WOUT/duktape.wasm.o DUK_NATIVE=$WOUT/duktape.native.o
    if [[ ! -f $DUKTAPE_DIR/duktape.c ]]; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            note "installing duktape-dev with apt-get (bench/wasi/js.c)"
            env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends duktape-dev >&2 ||
                { env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
                  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends duktape-dev >&2; }
        fi
        [[ -f $DUKTAPE_DIR/duktape.c ]] || { echo "no $DUKTAPE_DIR/duktape.c (apt-get install duktape-dev)" >"$TMP/cc.err"; return 1; }
    fi
    if [[ ! -f $DUK_WASM || bench/run.sh -nt $DUK_WASM ]]; then
        "$CLANG" -O2 -w --target=wasm32-wasi -Ibench/wasi/shim -I"$DUKTAPE_DIR" -c -o "$DUK_WASM" \
            "$DUKTAPE_DIR/duktape.c" 2>"$TMP/cc.err" || { rm -f "$DUK_WASM"; return 1; }
    fi
    if [[ ! -f $DUK_NATIVE || bench/run.sh -nt $DUK_NATIVE ]]; then
        "$CLANG" -O2 -w -I"$DUKTAPE_DIR" -c -o "$DUK_NATIVE" "$DUKTAPE_DIR/duktape.c" 2>"$TMP/cc.err" ||
            { rm -f "$DUK_NATIVE"; return 1; }
    fi
}

# wasi_build NAME: build/bench/wasi/NAME.wasm and NAME.native from bench/wasi/NAME.c
wasi_build() {
    local src=bench/wasi/$1.c wasm=$WOUT/$1.wasm nat=$WOUT/$1.native
    local wextra=() nextra=()
    if grep -q '^ \* bench-extra: duktape' "$src"; then
        duktape_objs || return 1
        wextra=(-Ibench/wasi/shim -I"$DUKTAPE_DIR" "$DUK_WASM") nextra=(-I"$DUKTAPE_DIR" "$DUK_NATIVE" -lm)
    fi
    if [[ ! -f $wasm || $src -nt $wasm || bench/run.sh -nt $wasm ]]; then
        "$CLANG" "${WASI_CFLAGS[@]}" "${WASI_WASM_FLAGS[@]}" -o "$wasm" "$src" ${wextra[@]+"${wextra[@]}"} \
            2>"$TMP/cc.err" || { rm -f "$wasm"; return 1; }
    fi
    if [[ ! -f $nat || $src -nt $nat || bench/run.sh -nt $nat ]]; then
        "$CLANG" "${WASI_CFLAGS[@]}" -o "$nat" "$src" ${nextra[@]+"${nextra[@]}"} 2>"$TMP/cc.err" ||
            { rm -f "$nat"; return 1; }
    fi
}

wasi_skip=""
if ! wasi_build hello; then
    wasi_skip="cannot build for wasm32-wasi (wasi-libc and libclang-rt-19-dev-wasm32 installed?): $(head -c 300 "$TMP/cc.err")"
elif [[ ! -x $WOUT/spawn_time || bench/wasi/spawn_time.c -nt $WOUT/spawn_time ]] &&
    ! "$CLANG" "${WASI_CFLAGS[@]}" -o "$WOUT/spawn_time" bench/wasi/spawn_time.c 2>"$TMP/cc.err"; then
    echo "bench: building $WOUT/spawn_time failed: $(cat "$TMP/cc.err")" >&2
    exit 2
fi
for w in "${wasi_rows[@]}"; do
    [[ -z $wasi_skip ]] || break
    if ! wasi_build "$w"; then
        echo "bench: building bench/wasi/$w.c failed:" >&2
        cat "$TMP/cc.err" >&2
        exit 2
    fi
done

if [[ -n $wasi_skip ]]; then
    note "WASI section skipped: $wasi_skip"
else
    # Which runners can run WASI commands: kiln whenever it is built (every
    # kiln failure is a failure); wasm-interp only if its --help has --wasi
    # and it really runs hello (Debian's wabt prints "wasi support not
    # compiled in").
    declare -A WACT=([native]=1 [kiln]=$have_kiln [kiln-nat]=$have_kiln [kiln-lim]=$have_kiln
                     [node]=$have_node [liftoff]=$have_node [interp]=0)
    if ((have_interp)); then
        if [[ $(wasm-interp --help 2>&1) != *--wasi* ]]; then
            note "wasm-interp has no --wasi: WASI interp cells are n/a"
        elif [[ $(with_timeout 20 wasm-interp --wasi "$WOUT/hello.wasm" 2>"$TMP/err" </dev/null) == hello ]]; then
            WACT[interp]=1
        else
            note "wasm-interp --wasi cannot run hello.wasm ($(head -c 200 "$TMP/err" | tr '\n' ' ' | sed 's/ *$//')): WASI interp cells are n/a"
        fi
    fi
    wasi_active() { has_runner "$1" && ((WACT[$1])); }
    ORDER=("${ALL_RUNNERS[@]}")

    # The command line of a bench/wasi program comes from its opening comment:
    #  " * bench-args: ARGS..." (@DIR@ = the granted directory: the host path
    # natively and for wasm-interp, /data for kiln and node) and
    #  " * bench-env: NAME=VALUE..." (the guest's environment).
    wasi_spec() { # NAME: sets W_ARGS, W_ENV, W_DIR (1: grant a directory)
        local src=bench/wasi/$1.c
        read -r -a W_ARGS <<<"$(sed -n 's/^ \* bench-args: *//p' "$src" | head -n 1)"
        read -r -a W_ENV <<<"$(sed -n 's/^ \* bench-env: *//p' "$src" | head -n 1)"
        W_DIR=0
        [[ " ${W_ARGS[*]} " == *" @DIR@ "* ]] && W_DIR=1
        return 0
    }
    # wasi_cmd RUNNER NAME HOSTDIR: sets CMD, the command line of NAME under RUNNER
    wasi_cmd() {
        local r=$1 w=$2 dir=$3 a kv gargs=() hargs=() flags=()
        for a in ${W_ARGS[@]+"${W_ARGS[@]}"}; do
            if [[ $a == @DIR@ ]]; then gargs+=("$WASI_GUEST_DIR") hargs+=("$dir")
            else gargs+=("$a") hargs+=("$a"); fi
        done
        case $r in
        kiln | kiln-nat | kiln-lim | node | liftoff)
            ((W_DIR)) && flags+=(--dir "$dir::$WASI_GUEST_DIR")
            for kv in ${W_ENV[@]+"${W_ENV[@]}"}; do flags+=(--env "$kv"); done ;;
        interp)
            ((W_DIR)) && flags+=("--dir=$dir")
            for kv in ${W_ENV[@]+"${W_ENV[@]}"}; do flags+=("--env=$kv"); done ;;
        esac
        local wasm=$WOUT/$w.wasm
        case $r in
        native) CMD=("$WOUT/$w.native" ${hargs[@]+"${hargs[@]}"}) ;;
        kiln) CMD=("$KILN" run --tier interp ${flags[@]+"${flags[@]}"} "$wasm" ${gargs[@]+"${gargs[@]}"}) ;;
        kiln-nat) CMD=("$KILN" run --tier native ${flags[@]+"${flags[@]}"} "$wasm" ${gargs[@]+"${gargs[@]}"}) ;;
        kiln-lim) CMD=("$KILN" run --tier native "${KILN_LIMITS[@]}" ${flags[@]+"${flags[@]}"} "$wasm" ${gargs[@]+"${gargs[@]}"}) ;;
        node) CMD=(node bench/node_wasi.js ${flags[@]+"${flags[@]}"} "$wasm" ${gargs[@]+"${gargs[@]}"}) ;;
        liftoff) CMD=(node "${LIFTOFF_FLAGS[@]}" bench/node_wasi.js ${flags[@]+"${flags[@]}"} "$wasm" ${gargs[@]+"${gargs[@]}"}) ;;
        interp) CMD=(wasm-interp --wasi ${flags[@]+"${flags[@]}"} "$wasm" ${hargs[@]+"${hargs[@]}"}) ;;
        esac
    }

    # ---- WASI workloads: best of RUNS, stdout compared with native's ----
    declare -A WTIME WOUTSUM
    WDIR=$TMP/wasi-dir
    WW=11
    for w in "${wasi_rows[@]}"; do ((${#w} > WW)) && WW=${#w}; done
    ((${#wasi_rows[@]})) && note "WASI runs: best of up to $RUNS; granted directory $WDIR (as $WASI_GUEST_DIR)"
    for w in "${wasi_rows[@]}"; do
        wasi_spec "$w"
        for r in "${ORDER[@]}"; do
            wasi_active "$r" || continue
            rm -rf "$WDIR" && mkdir -p "$WDIR"
            wasi_cmd "$r" "$w" "$WDIR"
            case $r in
            native)
                # the guests get W_ENV through their runner's flags, native by export
                for kv in ${W_ENV[@]+"${W_ENV[@]}"}; do export "${kv?}"; done
                measure "${CMD[@]}"
                for kv in ${W_ENV[@]+"${W_ENV[@]}"}; do unset "${kv%%=*}"; done ;;
            kiln | kiln-nat | kiln-lim) measure_guarded "$KILN_TIMEOUT" "${CMD[@]}" ;;
            interp) measure_guarded "$INTERP_TIMEOUT" "${CMD[@]}" ;;
            *) measure "${CMD[@]}" ;;
            esac
            key=$w/$r
            if ((M_RC == 124)) && [[ $r == kiln* || $r == interp ]]; then
                WTIME[$key]=timeout
                if [[ $r == interp ]]; then note "wasi $w: interp timed out after ${INTERP_TIMEOUT}s"
                else fail "wasi $w: $r timed out after ${KILN_TIMEOUT}s (hang?)"; fi
            elif ((M_RC != 0)); then
                WTIME[$key]=error
                fail "wasi $w: $r failed (exit $M_RC): $(head -c 300 "$M_ERR" 2>/dev/null | tr '\n' ' ')"
            elif [[ $r == native ]]; then
                WTIME[$key]=$M_MS
                cp "$M_OUT" "$TMP/$w.native.out"
                WOUTSUM[$w]="$(wc -c <"$M_OUT" | tr -d ' ') bytes, $(wc -l <"$M_OUT" | tr -d ' ') lines, cksum $(cksum <"$M_OUT" | cut -d' ' -f1)"
            elif [[ ! -f $TMP/$w.native.out ]]; then
                WTIME[$key]=$M_MS   # nothing to compare with: native failed
            elif ! cmp -s "$M_OUT" "$TMP/$w.native.out"; then
                WTIME[$key]=MISMATCH
                fail "OUTPUT MISMATCH in wasi $w: $r's stdout differs from native's" \
                    "($(cmp "$M_OUT" "$TMP/$w.native.out" 2>&1 | sed 's/^.* differ: //; s/^cmp: //' | head -c 100)):" \
                    "$r: '$(diff "$M_OUT" "$TMP/$w.native.out" | grep -m1 '^<' | cut -c3- | head -c 150)'," \
                    "native: '$(diff "$M_OUT" "$TMP/$w.native.out" | grep -m1 '^>' | cut -c3- | head -c 150)'"
            else
                WTIME[$key]=$M_MS
            fi
            printf 'bench: wasi %-*s %-9s %s\n' "$WW" "$w" "$r" "${WTIME[$key]}" >&2
        done
        rm -rf "$WDIR"
    done

    # ---- start-up: hello, many runs each through spawn_time ----
    declare -A SMIN SMED SRUNS
    if ((want_startup)) && ((WASI_SPAWNS > 0 && WASI_NODE_SPAWNS > 0)); then
        W_ARGS=() W_ENV=() W_DIR=0
        note "WASI start-up: hello, $WASI_SPAWNS runs (native, kiln), $WASI_NODE_SPAWNS (node, interp)"
        for r in "${ORDER[@]}"; do
            wasi_active "$r" || continue
            wasi_cmd "$r" hello "$TMP"
            # one checked run first: exit status and output
            out=$(with_timeout 60 "${CMD[@]}" 2>"$TMP/err" </dev/null)
            rc=$?
            if ((rc != 0)) || [[ $out != hello ]]; then
                SMIN[$r]=error
                fail "wasi startup: $r: exit $rc, printed '$(head -c 100 <<<"$out")': $(head -c 300 "$TMP/err" | tr '\n' ' ')"
                continue
            fi
            n=$WASI_SPAWNS
            [[ $r == node || $r == liftoff || $r == interp ]] && n=$WASI_NODE_SPAWNS
            if read -r mn md _ _ < <("$WOUT/spawn_time" "$n" "${CMD[@]}" 2>"$TMP/err") && isnum "$mn"; then
                SMIN[$r]=$mn SMED[$r]=$md SRUNS[$r]=$n
            else
                SMIN[$r]=error
                fail "wasi startup: $r: spawn_time failed: $(head -c 300 "$TMP/err" | tr '\n' ' ')"
            fi
            printf 'bench: wasi %-*s %-9s %s\n' "$WW" startup "$r" "${SMIN[$r]}${SMED[$r]:+ / ${SMED[$r]}} us" >&2
        done
    fi

    # ---- report ----
    wcell() { # workload/runner
        local v=${WTIME[$1]:-} r=${1#*/}
        if [[ -n $v ]]; then echo "$v"; elif wasi_active "$r"; then echo "-"; else echo "n/a"; fi
    }
    if ((${#wasi_rows[@]})); then
        echo
        echo "WASI commands (bench/wasi, wasi-libc) — best wall-clock ms of up to $RUNS runs, process"
        echo "start-up included; every runner's stdout must equal native's byte for byte"
        echo
        ratio_header
        for w in "${wasi_rows[@]}"; do
            ratio_row "$w" wcell
            keep_ratios
        done
        echo
        echo "geometric mean of the WASI ratios (n = workloads with a number in both columns):"
        print_geomeans
        echo
        echo "outputs (native's stdout; all runners agree unless a failure is reported):"
        for w in "${wasi_rows[@]}"; do printf '  %-*s %s\n' "$WW" "$w" "${WOUTSUM[$w]:-none}"; done
    fi
    if ((want_startup)) && ((WASI_SPAWNS > 0 && WASI_NODE_SPAWNS > 0)); then
        echo
        printf 'WASI start-up — bench/wasi/hello.c (printf("hello\\n"), %s bytes of wasm),\n' "$(wc -c <"$WOUT/hello.wasm" | tr -d ' ')"
        echo "start-to-exit wall time of each run (fork, exec, load, instantiate, _start, exit), microseconds:"
        echo
        shdr='%-9s %6s %10s %10s | %8s %8s\n'
        printf "$shdr" runner runs "min us" "median us" min/nat med/nat | sed 's/min us/min µs/; s/median us/median µs/'
        printf "$shdr" --------- ------ ---------- ---------- -------- --------
        for r in "${ORDER[@]}"; do
            if ! wasi_active "$r"; then printf "$shdr" "$r" - n/a n/a - -; continue; fi
            mn=${SMIN[$r]:--} md=${SMED[$r]:--}
            printf "$shdr" "$r" "${SRUNS[$r]:--}" "$mn" "$md" "$(ratio "$mn" "${SMIN[native]:-}")" "$(ratio "$md" "${SMED[native]:-}")"
        done
    fi
fi
fi # RUN_WASI

# ---- compile speed: kiln's tiers and V8's Liftoff on every module built -------
compile_section() {
    local mods=() f line name bytes kt ki kj lt
    for f in "$OUT"/*.wasm "$OUT"/wasi/*.wasm; do
        [[ -f $f && $(basename "$f") != profile-* ]] && mods+=("$f")
    done
    echo
    echo "Compile speed — every module bench/ has built (run the CPU and WASI sections"
    echo "first to have them all): best of 5 kiln_module_new (decode, validate, lower, and"
    echo "machine code on the native tier; no cache) against V8's Liftoff compiling the same"
    echo "bytes eagerly on one thread (node ${LIFTOFF_FLAGS[*]}"
    echo "--no-wasm-lazy-compilation --single-threaded, new WebAssembly.Module); load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    if ((${#mods[@]} == 0)); then
        fail "compile: no modules in $OUT (run the CPU or WASI section first)"
        return
    fi
    if ! ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -o "$OUT/compile" \
        bench/compile.c build/libkiln.a -lm -lpthread; then
        fail "compile: bench/compile.c does not build"
        return
    fi
    if ! "$OUT/compile" -n 5 "${mods[@]}" >"$TMP/kc.out" 2>"$TMP/kc.err"; then
        fail "compile: bench/compile.c failed: $(head -c 300 "$TMP/kc.err")"
        return
    fi
    declare -A LO=()
    if ((have_node)); then
        if node "${LIFTOFF_FLAGS[@]}" --no-wasm-lazy-compilation --single-threaded bench/node_compile.js \
            -n 5 "${mods[@]}" >"$TMP/lc.out" 2>"$TMP/lc.err"; then
            while read -r name bytes lt; do LO[$name]=$lt; done <"$TMP/lc.out"
        else
            fail "compile: node_compile.js failed: $(head -c 300 "$TMP/lc.err")"
        fi
    fi
    local chdr='%-14s %8s | %9s %9s %9s %8s | %9s %8s | %9s %10s\n'
    printf "$chdr" module KiB "k-int ms" "k-nat ms" "+jit ms" "k MB/s" "lift ms" "lo MB/s" "knat/lift" "native fns"
    printf "$chdr" -------------- -------- --------- --------- --------- -------- --------- -------- --------- ----------
    local tb=0 tk=0 tl=0 big="" bigb=0 rows=()
    while read -r name kib ki kt kj mbs fns; do
        [[ $name == module ]] && continue
        lt=${LO[$name]:--}
        bytes=$(awk -v k="$kib" 'BEGIN { printf "%d", k * 1024 }')
        lmbs=-; isnum "$lt" && lmbs=$(awk -v b="$bytes" -v t="$lt" 'BEGIN { if (t > 0) printf "%.1f", b / 1e6 / (t / 1e3); else printf "-" }')
        printf "$chdr" "$name" "$kib" "$ki" "$kt" "$kj" "$mbs" "$lt" "$lmbs" "$(ratio "$kt" "$lt")" "$fns"
        rows+=("$(ratio "$kt" "$lt")")
        if isnum "$lt"; then
            tb=$((tb + bytes))
            tk=$(awk -v a="$tk" -v b="$kt" 'BEGIN { print a + b }')
            tl=$(awk -v a="$tl" -v b="$lt" 'BEGIN { print a + b }')
        fi
        ((bytes > bigb)) && bigb=$bytes big=$name
    done <"$TMP/kc.out"
    echo
    if ((tb > 0)); then
        awk -v b="$tb" -v k="$tk" -v l="$tl" 'BEGIN {
            printf "all modules: %.2f MB, kiln native tier %.1f ms (%.1f MB/s), Liftoff %.1f ms (%.1f MB/s)\n",
                b / 1e6, k, b / 1e6 / (k / 1e3), l, b / 1e6 / (l / 1e3) }'
    fi
    printf 'geometric mean of knat/lift (compile time, < 1 = kiln compiles faster): %s\n' "$(geomean "${rows[@]}")"
    [[ -n $big ]] && echo "largest module: $big ($bigb bytes)"
}
((RUN_COMPILE)) && compile_section

# ---- instantiation: fresh instances per request (bench/instantiate.c) --------
if ((RUN_INST)); then
    echo
    echo "Instantiation — bench/instantiate.c: a fresh instance per request, through"
    echo "kiln_template's pool and the per-store path (best of 5 runs each; load: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    if ! ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -o "$OUT/instantiate" \
        bench/instantiate.c build/libkiln.a -lm -lpthread; then
        fail "instantiate: bench/instantiate.c does not build"
    elif ! with_timeout 1800 "$OUT/instantiate" "$INST_CYCLES"; then
        fail "instantiate: bench/instantiate.c failed (see above)"
    fi
fi

# ---- profiler overhead: kiln run with and without --profile -------------------
profile_section() {
    local w=$PROFILE_WORKLOAD wasm=$OUT/profile-$PROFILE_WORKLOAD.wasm i mode t
    local -A best=([off]=-1 [on]=-1)
    echo
    echo "Profiler overhead — bench/workloads/$w.c, kiln run --invoke run, without and with"
    echo "--profile at the default rate, alternately; CPU time (user + sys, which a"
    echo "busy machine disturbs less than wall time), best of $PROFILE_RUNS each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    if ! "$CLANG" "${COMMON_CFLAGS[@]}" "${WASM_FLAGS[@]}" -o "$wasm" "bench/workloads/$w.c"; then
        fail "profile: bench/workloads/$w.c does not build"
        return
    fi
    for ((i = 0; i < PROFILE_RUNS; i++)); do
        for mode in off on; do
            local flags=()
            [[ $mode == on ]] && flags=(--profile "$OUT/profile-$w.folded")
            # bash's own `time`: CPU seconds of the child, to the millisecond
            if ! t=$( { TIMEFORMAT='%3U %3S'; time with_timeout "$KILN_TIMEOUT" "$KILN" run \
                ${flags[@]+"${flags[@]}"} --invoke run "$wasm" >/dev/null 2>"$TMP/prof.err"; } 2>&1); then
                fail "profile: kiln run ${flags[*]} $wasm failed: $(head -c 300 "$TMP/prof.err")"
                return
            fi
            t=$(awk '{ printf "%d", ($1 + $2) * 1000 }' <<<"$t")
            ((best[$mode] < 0 || t < best[$mode])) && best[$mode]=$t
        done
    done
    if [[ ! -s $OUT/profile-$w.folded ]]; then
        fail "profile: --profile wrote no samples for $w"
        return
    fi
    awk -v a="${best[off]}" -v b="${best[on]}" -v w="$w" \
        -v n="$(awk '{s += $NF} END {print s + 0}' "$OUT/profile-$w.folded")" 'BEGIN {
        pct = 100 * (b - a) / a
        printf "%-8s %12s %16s %10s %9s\n", "workload", "kiln CPU ms", "--profile CPU ms", "overhead", "samples"
        printf "%-8s %12d %16d %9.1f%% %9d\n", w, a, b, pct, n
        printf "\noverhead %.1f%%: %s\n", pct, pct <= 5 ? "within the 5% goal" : "OVER the 5% goal"
    }'
}
((RUN_PROFILE)) && profile_section

# ---- serve: kiln serve against node, workerd, static h2o (bench/serve/) --------
if [[ $RUN_SERVE != 0 ]]; then
    KILN=$KILN BENCH_OUT=$OUT CLANG=$CLANG bash bench/serve/run.sh ||
        fail "serve: a server failed to start or answer, or kiln had errors under load (see above)"
fi

# ---- plugins: Extism calls, kiln against @extism/extism (bench/plugin/) -----
if ((RUN_PLUGIN)); then
    bash bench/plugin/run.sh "$(dirname "$KILN")" || fail "plugin: bench/plugin/run.sh failed (see above)"
fi

if ((${#FAILS[@]})); then
    echo
    echo "!!! ${#FAILS[@]} BENCHMARK FAILURE(S):"
    printf '!!!   %s\n' "${FAILS[@]}"
    exit 1
fi
exit 0
