/*
 * js.c — WASI workload: a real interpreter as the guest.  Duktape (Debian's
 * duktape-dev ships its single-file source, /usr/share/duktape/duktape.c,
 * about 100k lines of C) runs a JavaScript program that builds objects,
 * closures, arrays and strings, sorts, and formats JSON, then prints
 * checksums.  bench/run.sh links duktape.c into both builds (wasm32-wasi,
 * with bench/wasi/shim/setjmp.h, and native) and installs duktape-dev if it
 * is missing; the module is also the largest one the compile section has.
 *
 *   js [ROUNDS]             (default 30)
 * bench-args: 30
 * bench-extra: duktape
 */
#include <stdio.h>
#include <stdlib.h>

#include "duktape.h"

static const char script[] =
    "function Vec(x, y) { this.x = x; this.y = y; }\n"
    "Vec.prototype.add = function (o) { return new Vec(this.x + o.x, this.y + o.y); };\n"
    "Vec.prototype.len2 = function () { return this.x * this.x + this.y * this.y; };\n"
    "function round(r) {\n"
    "  var h = 0, i, v = new Vec(0, 0), words = [], m = {};\n"
    "  for (i = 0; i < 4000; i++) {\n"
    "    v = v.add(new Vec(i % 7, (i * 3) % 11));\n"
    "    h = (h * 31 + (v.len2() % 1000003)) % 2147483647;\n"
    "    var w = 'w' + ((i * 7919 + r) % 997).toString(36);\n"
    "    words.push(w);\n"
    "    m[w] = (m[w] || 0) + 1;\n"
    "  }\n"
    "  words.sort();\n"
    "  var keys = Object.keys(m).sort(function (a, b) { return m[b] - m[a] || (a < b ? -1 : 1); });\n"
    "  var s = JSON.stringify({ top: keys.slice(0, 5), n: keys.length, first: words[0] });\n"
    "  for (i = 0; i < s.length; i++) h = (h * 33 + s.charCodeAt(i)) % 2147483647;\n"
    "  var fib = function f(n) { return n < 2 ? n : f(n - 1) + f(n - 2); };\n"
    "  return (h + fib(16)) % 2147483647;\n"
    "}\n"
    "function main(rounds) {\n"
    "  var total = 0;\n"
    "  for (var r = 0; r < rounds; r++) total = (total * 7 + round(r)) % 2147483647;\n"
    "  return 'rounds ' + rounds + ' checksum ' + total;\n"
    "}\n";

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 30;
    duk_context *ctx = duk_create_heap_default();
    if (!ctx)
        return 1;
    duk_eval_string_noresult(ctx, script);
    duk_get_global_string(ctx, "main");
    duk_push_int(ctx, rounds);
    duk_call(ctx, 1);
    printf("%s\n", duk_safe_to_string(ctx, -1));
    duk_pop(ctx);
    duk_destroy_heap(ctx);
    return 0;
}
