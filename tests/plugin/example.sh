#!/usr/bin/env bash
# tests/plugin/example.sh — the README's plugin section, run as the README
# shows it: part of the `examples` suite (tests/run.sh), as
# tests/serve/example.sh is for the serve section.
#
#   tests/plugin/example.sh BUILD PREFIX
#
# PREFIX is where `make install` put kiln (tests/run.sh's installed_run
# makes it); CC_EMBED, if set, replaces "cc" in the README's build line
# (tests/run.sh gives its compiler and flags, sanitizers included).
#
# The console block after "<!-- examples/plugin -->": each "$ build/kiln
# call ..." line runs as written (with BUILD for build), stdout and stderr
# together, and must print exactly the lines the README shows under it.
# The block after "<!-- examples/plugin embed -->": its "$ cc ..." line
# builds examples/embed_plugin.c against PREFIX with pkg-config, and
# "$ ./embed_plugin ..." must print the lines shown.  Figures that vary
# (the timing of --loop, the pool line) are compared by shape: every
# number stands for any number.  Then examples/plugin/*.wasm rebuilt from
# their sources (with the command their opening comments give) must answer
# as the committed ones do, the committed ones must be stripped (no custom
# sections), and manifest.json must name count_vowels.wasm's sha256.
# Ends with "plugin-example: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-build}
PREFIX=${2:-}
CC_EMBED=${CC_EMBED:-cc}
OUT=$PWD/$BUILD/examples/plugin
p=0 f=0
pass() { echo "ok   $1"; p=$((p + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; f=$((f + 1)); }
mkdir -p "$OUT"

# The lines that vary from run to run, their numbers made "N": all of the
# pool line, the timing of --loop after its count of calls.
shape() {
    sed -E -e '/^pool:/ s/[0-9]+(\.[0-9]+)?/N/g' \
        -e '/^kiln: [0-9]+ calls? in /{h; s/^(kiln: [0-9]+ calls? in ).*/\1/; x
            s/^kiln: [0-9]+ calls? in //; s/[0-9]+(\.[0-9]+)?/N/g; x; G; s/\n//}'
}

# block MARKER: the console block after the marker line
block() {
    awk -v m="$1" '$0 == m {on=1; next} on && /^```console/ {code=1; next}
                   code && /^```/ {exit} code' README.md
}

# check MARKER: run each "$ COMMAND" of the block and compare its output
check() {
    local blk line i cmd want got run
    local cmds=() outs=() cur=-1
    blk=$(block "$1")
    [ -n "$blk" ] || { fail "README.md has a console block after $1"; return; }
    while IFS= read -r line; do
        if [[ $line == '$ '* ]]; then
            cur=$((cur + 1)) cmds[cur]=${line#\$ } outs[cur]=""
        elif [ $cur -ge 0 ]; then
            outs[cur]+="$line"$'\n'
        fi
    done <<<"$blk"
    for i in "${!cmds[@]}"; do
        cmd=${cmds[i]} want=${outs[i]%$'\n'}
        case "$cmd" in
        "build/kiln call "*) run="$BUILD/${cmd#build/}" ;;
        "cc "*" -o embed_plugin")
            [ -n "$PREFIX" ] || { fail "README: $cmd" "no PREFIX given"; continue; }
            run="export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig; $CC_EMBED ${cmd#cc }"
            run=${run% -o embed_plugin}" -o $OUT/embed_plugin"
            ;;
        "./embed_plugin"*) run="export LD_LIBRARY_PATH=$PREFIX/lib; $OUT/${cmd#./}" ;;
        *) fail "README: a command this check does not know: $cmd"; continue ;;
        esac
        got=$(timeout -k 10 120 bash -c "$run" 2>&1 | shape)
        want=$(shape <<<"$want")
        if [ "$got" = "$want" ]; then pass "README: $cmd"
        else fail "README: $cmd" $'got\n'"$got"$'\nREADME says\n'"$want"; fi
    done
    [ ${#cmds[@]} -ge 2 ] || fail "README: the block after $1 shows at least two commands"
}

check "<!-- examples/plugin -->"
check "<!-- examples/plugin embed -->"

# The committed plugins are stripped, and manifest.json names the module it
# ships with.
for w in examples/plugin/*.wasm; do
    if wasm-objdump -h "$w" >"$OUT/sections.txt" 2>&1 && ! grep -q 'Custom' "$OUT/sections.txt"; then
        pass "$w is stripped"
    else
        fail "$w is stripped" "$(grep Custom "$OUT/sections.txt")"
    fi
done
hash=$(sha256sum examples/plugin/count_vowels.wasm | cut -d' ' -f1)
if grep -q "\"hash\": \"$hash\"" examples/plugin/manifest.json; then
    pass "manifest.json names count_vowels.wasm's sha256"
else
    fail "manifest.json names count_vowels.wasm's sha256 ($hash)"
fi

# Rebuilt from the sources, as their opening comments say, the plugins
# answer as the committed ones: count_vowels through kiln call, greet (and
# count_vowels again, through a manifest naming the rebuilt module's hash)
# through examples/embed_plugin.
re=$OUT/rebuilt
rm -rf "$re"
mkdir -p "$re"
built=1
for src in examples/plugin/*.c; do
    cmd=$(sed -n '/^ \*   clang-19 /,/\.c$/p' "$src" | sed 's/^ \* *//; s/\\$//' | tr '\n' ' ')
    [ -n "$cmd" ] || { fail "$src: its opening comment gives the build command"; built=0; continue; }
    cp "$src" examples/plugin/extism.h "$re/"
    (cd "$re" && eval "$cmd") || { fail "$src builds as its comment says: $cmd"; built=0; }
done
if [ $built = 1 ]; then
    same=1
    for args in '--input "Hello, World!"' '--input "Rhythm and blues" --config vowels=y --loop 2' \
        '--input ""' '--input @README.md --config vowels=xyz'; do
        a=$(eval "$BUILD/kiln call examples/plugin/count_vowels.wasm count_vowels $args" 2>&1 |
            shape)
        b=$(eval "$BUILD/kiln call $re/count_vowels.wasm count_vowels $args" 2>&1 |
            sed "s|$re/|examples/plugin/|g" | shape)
        [ "$a" = "$b" ] || { same=0; echo "  $args: committed '$a', rebuilt '$b'"; }
    done
    if [ $same = 1 ]; then pass "count_vowels.wasm as committed and rebuilt answer alike"
    else fail "count_vowels.wasm as committed and rebuilt answer alike"; fi
    h=$(sha256sum "$re/count_vowels.wasm" | cut -d' ' -f1)
    sed "s/\"hash\": \"[0-9a-f]*\"/\"hash\": \"$h\"/" examples/plugin/manifest.json >"$re/manifest.json"
    if [ -x "$OUT/embed_plugin" ]; then
        a=$(LD_LIBRARY_PATH=$PREFIX/lib timeout -k 10 120 "$OUT/embed_plugin" examples/plugin 2>/dev/null | shape)
        b=$(LD_LIBRARY_PATH=$PREFIX/lib timeout -k 10 120 "$OUT/embed_plugin" "$re" 2>/dev/null | shape)
        if [ -n "$a" ] && [ "$a" = "$b" ]; then
            pass "embed_plugin with the committed and the rebuilt plugins prints alike"
        else
            fail "embed_plugin with the committed and the rebuilt plugins prints alike" \
                "$(diff <(echo "$a") <(echo "$b") | head -n 10)"
        fi
    else
        fail "embed_plugin was built (for the rebuilt plugins)"
    fi
fi

echo "plugin-example: $p passed, $f failed"
[ $f = 0 ]
