#!/usr/bin/env bash
# tests/plugin/npm_extism.sh — make sure node's @extism/extism is installed
# in build/npm (npm install --no-save --prefix build/npm, only when it is
# missing or another version), for tests/plugin/node_check.sh and
# bench/plugin/run.sh.  Prints the path of its ES module on stdout and
# exits 0, or prints why not on stderr and exits 1.
#
# The version is pinned (EXTISM_JS_VERSION overrides it): 2.0.0-rc13, not
# the "latest" tag's 1.0.3, because 1.0.3 lacks kernel functions plugins
# import (error_get, log_trace, get_log_level, http_headers: a plugin
# importing any of them does not instantiate), never resets kernel memory
# between calls, and after 32,768 calls on one plugin its block handles
# (index << 48) overflow an i64 and every call fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
VERSION=${EXTISM_JS_VERSION:-2.0.0-rc13}
NPM_DIR=build/npm
PKG=$NPM_DIR/node_modules/@extism/extism
command -v node >/dev/null 2>&1 || { echo "node is not installed" >&2; exit 1; }
have=$(node -p "require('./$PKG/package.json').version" 2>/dev/null)
if [ "$have" != "$VERSION" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is not installed" >&2; exit 1; }
    mkdir -p "$NPM_DIR"
    if ! timeout 300 npm install --no-save --no-audit --no-fund --prefix "$NPM_DIR" \
        "@extism/extism@$VERSION" >"$NPM_DIR/install.log" 2>&1; then
        tail -n 5 "$NPM_DIR/install.log" >&2
        echo "npm install @extism/extism@$VERSION failed (no network?)" >&2
        exit 1
    fi
fi
[ -f "$PKG/dist/esm/mod.js" ] || { echo "$PKG/dist/esm/mod.js is missing" >&2; exit 1; }
echo "$PWD/$PKG/dist/esm/mod.js"
