#!/usr/bin/env bash
# tests/symbols.sh BUILD — the library's symbols are exactly its API.
#
#   1. libkiln.so exports (nm -D --defined-only) exactly the functions that
#      include/*.h declares with KILN_API: the expected list is read from
#      the headers each time, so nothing is kept in sync by hand;
#   2. its soname is libkiln.so.MAJOR, MAJOR from KILN_VERSION_STRING;
#   3. every global symbol of libkiln.a starts with kiln_ (the API) or kn_
#      (private, hidden by -fvisibility=hidden but still visible to a
#      static link, where an unprefixed name could collide with the
#      embedder's); one check per object file, so a failure names the file;
#   4. the same for libkiln-plugin (the plugin host, include/kiln_plugin.h):
#      libkiln-plugin.so exports exactly kiln_plugin.h's KILN_API functions,
#      with soname libkiln-plugin.so.MAJOR, and every global symbol of
#      libkiln-plugin.a is kiln_* or kn_*.
#
# Ends with "symbols: N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${1:-build}
p=0 f=0
pass() { p=$((p + 1)); }
fail() { echo "FAIL $*"; f=$((f + 1)); }

# api_of HEADERS...: the names declared `KILN_API <type> name(` in them,
# sorted; fails if a KILN_API line yields no name.
api_of() {
    local api ndecl
    api=$(sed -nE 's/^KILN_API[^(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/p' "$@" | sort)
    ndecl=$(cat "$@" | grep -c '^KILN_API')
    if [ -z "$api" ] || [ "$(wc -l <<<"$api")" != "$ndecl" ]; then
        fail "$*: $ndecl lines start with KILN_API but $(wc -l <<<"$api") names were read from them"
    else
        pass
    fi
    echo "$api" >"$TMPAPI"
}

# check_so SO SONAME_BASE: exports exactly $TMPAPI's names, soname BASE.MAJOR
check_so() {
    local so=$1 base=$2 exported major soname api
    api=$(cat "$TMPAPI")
    if [ ! -f "$so" ]; then
        fail "$so was not built"
        return
    fi
    exported=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort)
    if [ "$exported" = "$api" ]; then
        pass
    else
        fail "$so exports differ from the KILN_API declarations (< headers, > exported):"
        diff <(echo "$api") <(echo "$exported") | grep '^[<>]'
    fi
    major=$(sed -nE 's/^#define KILN_VERSION_STRING "([0-9]+)\..*/\1/p' include/kiln.h)
    soname=$(readelf -d "$so" | sed -nE 's/.*Library soname: \[(.*)\].*/\1/p')
    if [ -n "$major" ] && [ "$soname" = "$base.$major" ]; then
        pass
    else
        fail "$so: soname '$soname', expected $base.$major"
    fi
}

# check_a LIB: every global symbol of each object is kiln_* or kn_*
check_a() {
    local lib=$1 bad objs o names
    if [ ! -f "$lib" ]; then
        fail "$lib was not built"
        return
    fi
    # "member.o:" heads each object's list; fields are "VALUE TYPE NAME".
    # Symbols a sanitizer adds for our globals (ASan's __odr_asan.NAME ODR
    # indicators) are the compiler's, not ours.
    bad=$(nm -g --defined-only "$lib" | awk '
        /:$/ { obj = $1; sub(/:$/, "", obj); next }
        NF >= 2 && $NF !~ /^(kiln_|kn_|__odr_asan\.|__asan_|__ubsan_|__sancov_)/ { print obj, $NF }')
    objs=$(nm -g --defined-only "$lib" | sed -n 's/:$//p')
    [ -n "$objs" ] || fail "$lib has no objects"
    for o in $objs; do
        names=$(awk -v o="$o" '$1 == o { print $2 }' <<<"$bad")
        if [ -z "$names" ]; then
            pass
        else
            fail "$lib($o): global symbols without a kiln_ or kn_ prefix:" $names
        fi
    done
}

TMPAPI=$(mktemp)
trap 'rm -f "$TMPAPI"' EXIT

# libkiln: every public header but kiln_plugin.h, which is libkiln-plugin's.
api_of $(ls include/*.h | grep -v '/kiln_plugin\.h$')
check_so "$BUILD/libkiln.so" libkiln.so
check_a "$BUILD/libkiln.a"

# libkiln-plugin: exactly kiln_plugin.h's functions (libkiln's come from
# libkiln.so, which it links against, not from itself).
api_of include/kiln_plugin.h
check_so "$BUILD/libkiln-plugin.so" libkiln-plugin.so
check_a "$BUILD/libkiln-plugin.a"

echo "symbols: $p passed, $f failed"
[ $f = 0 ]
