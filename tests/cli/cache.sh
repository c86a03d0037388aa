# tests/cli/cache.sh — kiln compile, .kcw artifacts, the code cache and
# --profile=perfmap; sourced by tests/cli/run.sh, whose assertion language
# (begin/run/code_is/out_is/err_has/.../end), wat helper, $KILN and $WORK
# it uses.
#
# The cache lives in $WORK/xdg (XDG_CACHE_HOME), emptied first, so runs
# are independent of the user's ~/.cache.  KILN_CACHE_DEBUG=1 makes kiln
# say what the cache did ("kiln: cache hit|stored|..."), which is how a
# hit is told from a recompile.  Damaged and foreign artifacts come from
# kcw_patch.py (python3).  On a machine without the native tier (not
# x86-64 Linux) there is no code to cache and the suite skips itself.

CACHE_XDG=$(cd "$WORK" && pwd)/xdg   # XDG: a relative path is ignored
rm -rf "$CACHE_XDG"
kc() { env XDG_CACHE_HOME="$CACHE_XDG" KILN_CACHE_DEBUG=1 "$KILN" "$@"; }
kcw_patch() { python3 "$(dirname "${BASH_SOURCE[0]}")/kcw_patch.py" "$@"; }

wat cachefib <<'WAT'
(module
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
WAT

if [ "$(uname -m)" = x86_64 ] && command -v python3 >/dev/null; then

begin "compile: kiln compile writes a .kcw that runs like the module"
run "$KILN" compile "$WORK/cachefib.wasm" -o "$WORK/cachefib.kcw"
code_is 0
run "$KILN" run --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"
run "$KILN" run --invoke fib "$WORK/cachefib.kcw" 20
code_is 0; out_is "6765"; err_lines 0
# a helper call (div traps through the C helper's relocation) and a trap
run "$KILN" run --invoke div "$WORK/cachefib.kcw" 7 0
code_is 134; err_has "integer divide by zero"; err_has "div"
run "$KILN" compile "$WORK/cachefib.wasm"
code_is 0
[ -s "$WORK/cachefib.kcw" ] || fail "default output cachefib.kcw missing"
run "$KILN" help compile
code_is 0; out_has "Usage: kiln compile"
end

begin "compile: a module with nothing to compile, and usage errors"
wat cacheempty <<'WAT'
(module (import "m" "f" (func)))
WAT
run "$KILN" compile "$WORK/cacheempty.wasm" -o "$WORK/cacheempty.kcw"
code_is 1; err_has "no native code"
run "$KILN" compile
code_is 2
run "$KILN" compile --bogus "$WORK/cachefib.wasm"
code_is 2
end

begin "inspect: the tier a module gets, and a .kcw's header"
run "$KILN" inspect "$WORK/cachefib.wasm"
code_is 0; out_has "native: 2 of 2 defined functions native"
run "$KILN" inspect "$WORK/cachefib.kcw"
code_is 0; out_has "kiln compiled module (.kcw)"; out_has "functions:   2 native of 2"
out_has "status:      this kiln runs its code"
end

begin "cache: the first native run stores, the second loads (no recompile)"
run kc run --tier native --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache stored: $CACHE_XDG/kiln/"
run kc run --tier native --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache hit: $CACHE_XDG/kiln/"
[ "$(ls "$CACHE_XDG/kiln" | wc -l)" = 1 ] || fail "expected one cache entry: $(ls "$CACHE_XDG/kiln")"
run kc run --tier native --no-cache --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache unused"
run kc run --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache hit: $CACHE_XDG/kiln/"   # the default tier: native
run kc run --tier interp --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache unused"
end

# Each damage to the cache entry: rejected with its reason (one warning
# line), recompiled, the right result, and the entry replaced (a hit next).
for what in corrupt truncate version cpu module; do
    case $what in
    corrupt) why="checksum mismatch" ;;
    truncate) why="truncated" ;;
    version) why="made by kiln 9.9.9" ;;
    cpu) why="CPU features this CPU lacks" ;;
    module) why="does not match its sha256: tampered" ;;
    esac
    begin "cache: a $what entry is rejected ($why), recompiled and replaced"
    entry=$(ls "$CACHE_XDG"/kiln/*.kcw | head -n 1)
    kcw_patch "$entry" "$entry.bad" "$what" && mv "$entry.bad" "$entry"
    run kc run --tier native --invoke fib "$WORK/cachefib.wasm" 20
    code_is 0; out_is "6765"
    err_has "kiln: warning: cached code for $WORK/cachefib.wasm rejected: "; err_has "$why"
    err_has "; recompiled"
    run kc run --tier native --invoke fib "$WORK/cachefib.wasm" 20
    code_is 0; out_is "6765"; err_has "kiln: cache hit"
    end

    begin "compile: a $what .kcw is rejected ($why) and its module recompiled"
    kcw_patch "$WORK/cachefib.kcw" "$WORK/bad.kcw" "$what"
    run "$KILN" run --invoke fib "$WORK/bad.kcw" 20
    if [ "$what" = module ]; then
        # the module itself changed: no trustworthy copy to recompile
        code_is 1; err_has "$why"; err_has "cannot be recovered"
    else
        code_is 0; out_is "6765"; err_has "kiln: warning: $WORK/bad.kcw: compiled code rejected: "
        err_has "$why"; err_has "; recompiling"; err_lines 1
    fi
    end
done

begin "cache: an unusable cache directory is no error"
: >"$WORK/not-a-dir"
notdir=$(cd "$WORK" && pwd)/not-a-dir
run env XDG_CACHE_HOME="$notdir" KILN_CACHE_DEBUG=1 "$KILN" run --tier native \
    --invoke fib "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_has "kiln: cache unwritable: cannot create $notdir/kiln"
run env XDG_CACHE_HOME="$notdir" "$KILN" run --tier native --invoke fib \
    "$WORK/cachefib.wasm" 20
code_is 0; out_is "6765"; err_lines 0
end

# --profile=perfmap: while the guest blocks reading stdin, every range of
# the map must lie in an executable mapping of the process, named as in
# backtraces; the trampoline first, then the functions, contiguous.
wat cachewait <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $wait_for_input (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 8))
    (call $wait_for_input)))
WAT
begin "perfmap: /tmp/perf-PID.map names the native code, inside an executable mapping"
exec 8< <(sleep 20)
sleeper=$!
"$KILN" run --profile=perfmap "$WORK/cachewait.wasm" <&8 >"$WORK/out" 2>"$WORK/err" &
kpid=$!
map=/tmp/perf-$kpid.map
for _ in $(seq 100); do [ -s "$map" ] && break; sleep 0.05; done
cp /proc/$kpid/maps "$WORK/maps" 2>/dev/null
cp "$map" "$WORK/perfmap" 2>/dev/null
kill "$sleeper" 2>/dev/null
exec 8<&-
wait "$kpid"
kcode=$?
[ "$kcode" = 0 ] || fail "kiln --profile=perfmap exited $kcode: $(cat "$WORK/err")"
grep -q " wait_for_input$" "$WORK/perfmap" || fail "no wait_for_input in $(cat "$WORK/perfmap")"
grep -q " _start$" "$WORK/perfmap" || fail "no _start in the map"
[ "$(head -n 1 "$WORK/perfmap" | cut -d' ' -f3)" = kiln:trampoline ] || fail "trampoline not first"
python3 - "$WORK/perfmap" "$WORK/maps" <<'PY' || fail "perf map ranges not in an r-x mapping"
import sys
ranges = [l.split(" ", 2) for l in open(sys.argv[1]).read().splitlines()]
maps = []
for l in open(sys.argv[2]):
    f = l.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    maps.append((lo, hi, f[1]))
prev = None
for start, size, name in ranges:
    s, n = int(start, 16), int(size, 16)
    assert n > 0 and not start.startswith("0x"), (start, size)
    assert any(lo <= s and s + n <= hi and p.startswith("r-x") for lo, hi, p in maps), name
    assert prev is None or prev == s, ("not contiguous", name)
    prev = s + n
PY
rm -f "$map"
run "$KILN" run --tier interp --profile=perfmap "$WORK/cachewait.wasm"
code_is 2; err_has "not with --tier interp"
end

else
    echo "cli: cache tests skipped (no native tier or no python3 here)"
fi
