# tests/cli/profile.sh — `kiln run --profile` and `--trace=wasi` end to end;
# sourced by tests/cli/run.sh, whose assertion language (begin/run/
# code_is/out_is/err_has/.../end), wat helper, $KILN and $WORK it uses.
#
# The profiles are of modules whose hot spot is known by construction: a
# loop function called directly and (for an eighth of the work) through
# another function, and a loop of WASI writes, whose host frame must show
# under its import name.  The flame graph of a bench workload is checked
# in headless Chromium (Debian's `chromium`, installed by tests/run.sh):
# it must load without an XML error, show the hottest function, and its
# script must run, zoom and search (bench/workloads/expr.c: a parser, a
# code generator and a recursive evaluator, so the graph has breadth).  Without chromium that check is
# skipped, and says so, except under CI (CI=true), where it fails.

wat prof_hot <<'WAT'
(module
  (func $hot (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func $cold (param $n i32) (result i32)
    (call $hot (i32.div_u (local.get $n) (i32.const 8))))
  (func (export "main") (param $n i32) (result i32)
    (i32.add (call $hot (local.get $n)) (call $cold (local.get $n)))))
WAT

wat prof_writer <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x")
  (func $writer (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 300000))))))
WAT

# path_open("new.txt", CREAT|TRUNC, FD_WRITE) in the first preopen; exits
# with the errno
wat prof_create <<'WAT'
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "new.txt")
  (func (export "_start")
    (call $exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 7)
      (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 1) (i32.const 8)))))
WAT

# folded_ok FILE: every line is "frame;frame;... COUNT", COUNT > 0
folded_ok() {
    [ -s "$1" ] || { fail "$1 is empty"; return; }
    local bad
    bad=$(grep -cvE '^[^; ]([^;]*[^; ])?(;[^; ]([^;]*[^; ])?)* [1-9][0-9]*$' "$1")
    [ "$bad" = 0 ] || fail "$bad malformed folded lines in $1: $(grep -vE ' [1-9][0-9]*$' "$1" | head -n 3)"
}
# hottest FILE: the stack of the folded line with the largest count
hottest() { sort -t' ' -k2,2nr "$1" | awk '{ NF--; print; exit }' OFS=' '; }
# xml_ok FILE: well-formed XML (xmllint, else python3's parser)
xml_ok() {
    if command -v xmllint >/dev/null; then
        xmllint --noout "$1" 2>"$WORK/xml.err" || fail "$1 is not well-formed: $(head -c 300 "$WORK/xml.err")"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$1" 2>"$WORK/xml.err" ||
            fail "$1 is not well-formed: $(tail -c 300 "$WORK/xml.err")"
    else
        echo "SKIP: XML check of $1: neither xmllint nor python3 is installed"
    fi
}

begin "--profile FILE.folded: the hot loop is the hottest stack, called from main"
rm -f "$WORK/hot.folded"
run "$KILN" run --profile "$WORK/hot.folded" --invoke main "$WORK/prof_hot.wasm" 100000000
code_is 0; out_is "-1312298992"
[ ! -s "$WORK/err" ] || fail "stderr: $(head -c 300 "$WORK/err")"
folded_ok "$WORK/hot.folded"
[ "$(hottest "$WORK/hot.folded")" = "main;hot" ] || fail "hottest stack '$(hottest "$WORK/hot.folded")', expected main;hot: $(cat "$WORK/hot.folded")"
grep -q '^main;cold;hot [0-9]*$' "$WORK/hot.folded" || fail "no main;cold;hot stack: $(cat "$WORK/hot.folded")"
# counts are periods of 1/997 s of CPU time: about 0.4 s of work here
total=$(awk '{ s += $NF } END { print s + 0 }' "$WORK/hot.folded")
[ "$total" -ge 20 ] || fail "only $total samples"
end

begin "--profile: a WASI call shows as its import name, inside its caller"
run "$KILN" run --profile="$WORK/writer.folded" --profile-rate 499 "$WORK/prof_writer.wasm"
code_is 0
folded_ok "$WORK/writer.folded"
grep -q '^writer;fd_write [0-9]*$' "$WORK/writer.folded" || fail "no writer;fd_write stack: $(cat "$WORK/writer.folded")"
end

begin "--profile FILE.svg: a well-formed flame graph naming the frames"
run "$KILN" run --profile "$WORK/hot.svg" --invoke main "$WORK/prof_hot.wasm" 30000000
code_is 0
xml_ok "$WORK/hot.svg"
grep -q '<title>hot ([0-9]* samples, [0-9.]*%)</title>' "$WORK/hot.svg" || fail "no frame titled hot"
grep -q '<title>main ([0-9]* samples, 100.00%)</title>' "$WORK/hot.svg" || fail "main is not 100%"
grep -q '<script><!\[CDATA\[' "$WORK/hot.svg" || fail "no embedded script"
if grep -qE '(src|href)="' "$WORK/hot.svg"; then fail "refers to something outside the file"; fi
end

begin "--profile is written when the guest traps, with the trap's stack"
run "$KILN" run --profile "$WORK/trap.folded" --fuel 20000000 --invoke main "$WORK/prof_hot.wasm" 100000000
code_is 134; err_has "limit reached: all fuel consumed"
folded_ok "$WORK/trap.folded"
end

begin "--profile errors: path, suffix, rate"
run "$KILN" run --profile /nonexistent-dir/p.svg --invoke main "$WORK/prof_hot.wasm" 1
code_is 2; err_has "--profile: cannot write '/nonexistent-dir/p.svg': No such file or directory"; out_is ""
run "$KILN" run --profile "$WORK/p.png" --invoke main "$WORK/prof_hot.wasm" 1
code_is 2; err_has "must end in .svg (a flame graph) or .folded"
[ ! -e "$WORK/p.png" ] || fail "made $WORK/p.png"
run "$KILN" run --profile= --invoke main "$WORK/prof_hot.wasm" 1
code_is 2; err_has "--profile needs a file name"
for r in 0 abc -5 1.5; do
    run "$KILN" run --profile "$WORK/p.folded" --profile-rate "$r" --invoke main "$WORK/prof_hot.wasm" 1
    code_is 2; err_has "--profile-rate: '$r' is not a positive integer"
done
run "$KILN" run --profile "$WORK/p.folded" --profile-rate 100001 --invoke main "$WORK/prof_hot.wasm" 1
code_is 2; err_has "--profile-rate: '100001' is too large (at most 100000)"
run "$KILN" run --profile-rate 99 --invoke main "$WORK/prof_hot.wasm" 1
code_is 2; err_has "--profile-rate needs --profile FILE"
end

begin "--profile: a module that does not load leaves no profile behind"
rm -f "$WORK/gone.folded"
printf 'junk' >"$WORK/junk.wasm"
run "$KILN" run --profile "$WORK/gone.folded" "$WORK/junk.wasm"
code_is 1
[ ! -e "$WORK/gone.folded" ] || fail "left $WORK/gone.folded"
end

begin "--trace=wasi: calls, arguments, results and a sandbox refusal (examples/wc.wasm)"
run "$KILN" run --trace=wasi --dir-ro examples::/ex examples/wc.wasm /ex/fib.wat /ex/../README.md
code_is 1
out_has "     18     101     702 /ex/fib.wat"
err_has 'fd_prestat_dir_name(3, "/ex") = 0'
err_has 'args_sizes_get() = 0 argc=3 size='
err_has 'path_open(3, SYMLINK_FOLLOW, "fib.wat", 0, 0x'
err_has ') = 0 fd=4'
err_has 'fd_read(4, [1 iov, 1024 bytes]) = 0 nread=702'
err_has 'fd_write(1, [2 iovs: "     18     101     702 /ex/fib.wat\n"]) = 0 nwritten=36'
err_has 'path_open(3, SYMLINK_FOLLOW, "../README.md", 0, 0x'
err_has ") = ENOTCAPABLE (refused by kiln's sandbox)"
err_has "wc: /ex/../README.md: Capabilities insufficient"
err_has 'proc_exit(1)'
end

begin "--trace=wasi: a write refused in a read-only grant; flags by name"
mkdir -p "$WORK/ro"
rm -f "$WORK/ro/new.txt"
run "$KILN" run --trace wasi --dir-ro "$WORK/ro" "$WORK/prof_create.wasm"
code_is 76
err_has "path_open(3, 0, \"new.txt\", CREAT|TRUNC, 0x40, 0x0, APPEND) = ENOTCAPABLE (refused by kiln's sandbox)"
err_has 'proc_exit(76)'
[ ! -e "$WORK/ro/new.txt" ] || fail "new.txt was created"
run "$KILN" run --dir-ro "$WORK/ro" "$WORK/prof_create.wasm"
code_is 76; err_lacks "path_open"
end

begin "--trace: only wasi"
run "$KILN" run --trace=calls "$WORK/prof_writer.wasm"
code_is 2; err_has "--trace: 'calls' is not something kiln traces (only 'wasi')"
end

# The flame graph of a bench workload in headless Chromium: the page loads
# (no XML error page), the script ran (data-ready), the page names the
# hottest function -- the frame with the most self samples, found here
# from the SVG's own data -- and the script zooms and searches.
chromium_check() {
    local bin svg=$WORK/expr.svg wasm=$WORK/expr.wasm probe=$WORK/expr-probe.svg want dom
    bin=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$bin" ]; then
        if [ "${CI:-}" = true ]; then
            fail "chromium not found (CI=true: the flame graph check must run)"
        else
            echo "SKIP: flame graph in headless Chromium: chromium not installed (apt-get install chromium)"
        fi
        return
    fi
    if ! clang-19 -O2 -ffreestanding -fno-math-errno -ffp-contract=off --target=wasm32 -nostdlib \
        -Wl,--no-entry -Wl,--export=run -o "$wasm" bench/workloads/expr.c 2>"$WORK/cc.err"; then
        fail "bench/workloads/expr.c does not build: $(head -c 300 "$WORK/cc.err")"
        return
    fi
    run "$KILN" run --profile "$svg" --invoke run "$wasm"
    code_is 0
    xml_ok "$svg"
    # the frame with the most self samples above the root, the first of
    # equals in document order (one frame per line in kiln's SVG)
    want=$(sed -n 's/^<g class="f" data-x="[0-9]*" data-n="[0-9]*" data-d="\([1-9][0-9]*\)" data-self="\([0-9]*\)"><title>\(.*\) ([0-9]* samples, [0-9.]*%)<\/title>.*/\2\t\3/p' "$svg" |
        sort -s -t"$(printf '\t')" -k1,1nr | head -n 1 | cut -f2)
    [ -n "$want" ] || { fail "no frames in $svg"; return; }
    # A copy with a probe: after the page's own script, click the first
    # frame that has a neighbour at its depth, then report what zoom did.
    sed 's|</svg>|<text id="probe">-</text><script><![CDATA[(function () {\
var fs = document.querySelectorAll("g.f"), z = null;\
function a(g, k) { return +g.getAttribute("data-" + k); }\
for (var i = 0; i < fs.length \&\& !z; i++) for (var k = 0; k < fs.length; k++)\
  if (k !== i \&\& a(fs[k], "d") === a(fs[i], "d") \&\& a(fs[i], "d") > 0) { z = fs[i]; break; }\
if (!z) return;\
z.dispatchEvent(new MouseEvent("click", {bubbles: true}));\
var hidden = 0; for (var j = 0; j < fs.length; j++) if (fs[j].style.display === "none") hidden++;\
document.getElementById("probe").textContent = "zoomed width=" + z.querySelector("rect").getAttribute("width") + " hidden=" + hidden;\
})();]]></script></svg>|' "$svg" >"$probe"
    dom=$(timeout -k 5 60 "$bin" --headless --no-sandbox --disable-gpu --dump-dom \
        "file://$PWD/$svg#s=^eval$" 2>"$WORK/chromium.err")
    grep -q 'data-ready="1"' <<<"$dom" || fail "the script did not run: $(head -c 300 <<<"$dom") $(grep -v dbus "$WORK/chromium.err" | head -c 300)"
    grep -q 'This page contains the following errors\|parsererror' <<<"$dom" && fail "Chromium found XML errors"
    grep -qF ">Hottest: $want (" <<<"$dom" || fail "the page does not name $want as the hottest: $(grep -o '<text id="hot"[^<]*' <<<"$dom")"
    grep -qE '<text id="matched"[^>]*>Matched: [0-9.]+%<' <<<"$dom" || fail "the search from the address found nothing"
    grep -q 'class="f hit"' <<<"$dom" || fail "no frame marked by the search"
    dom=$(timeout -k 5 60 "$bin" --headless --no-sandbox --disable-gpu --dump-dom \
        "file://$PWD/$probe" 2>"$WORK/chromium.err")
    grep -qE '<text id="probe">zoomed width=1180.00 hidden=[1-9]' <<<"$dom" || fail "zoom: $(grep -o '<text id="probe">[^<]*' <<<"$dom")"
}
begin "--profile FILE.svg of a bench workload in headless Chromium: loads, names the hottest function, zooms, searches"
chromium_check
end

# A signal that is not about the store (here a stray SIGPROF while the
# profiler's handler is installed) must not cut a WASI sleep short: ppoll
# is never restarted by the kernel, so poll_oneoff waits on itself.
# poll_oneoff(one relative clock of 1.5 s); exits with the errno
wat prof_sleep <<'WAT'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))             ;; type: clock
    (i32.store (i32.const 16) (i32.const 1))             ;; monotonic
    (i64.store (i32.const 24) (i64.const 1500000000))    ;; 1.5 s, relative
    (call $exit (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
WAT
begin "--profile: a stray signal during a WASI sleep does not end it early (no EINTR for the guest)"
t0=$(date +%s%N)
"$KILN" run --profile="$WORK/sleep.folded" "$WORK/prof_sleep.wasm" >"$WORK/out" 2>"$WORK/err" &
spid=$!
sleep 0.4
kill -PROF "$spid" 2>/dev/null
sleep 0.2
kill -PROF "$spid" 2>/dev/null
wait "$spid"
code=$?
ms=$((($(date +%s%N) - t0) / 1000000))
code_is 0
[ "$ms" -ge 1400 ] || fail "the sleep of 1.5 s ended after $ms ms"
end
