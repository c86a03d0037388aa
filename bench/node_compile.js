#!/usr/bin/env node
// node_compile.js [-n RUNS] FILE.wasm... — V8's compile time per module:
// the best of RUNS synchronous `new WebAssembly.Module(bytes)` calls, which
// validate and compile every function.  bench/run.sh runs it as
//   node --liftoff --no-wasm-tier-up --no-wasm-dynamic-tiering
//        --no-wasm-lazy-compilation --single-threaded node_compile.js ...
// so the time is Liftoff's, eagerly, on one thread (as kiln compiles).
// Prints "NAME BYTES MS" per module.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
let runs = 5;
if (args[0] === '-n') {
  runs = Number(args[1]);
  args.splice(0, 2);
}
if (!(runs >= 1) || args.length === 0) {
  console.error('usage: node node_compile.js [-n RUNS] FILE.wasm...');
  process.exit(2);
}
// V8 keeps compiled modules by their bytes (its native module cache), so
// every run compiles a copy made different by a trailing custom section.
function variant(bytes, i) {
  const name = Buffer.from('kiln-bench');
  const payload = Buffer.alloc(4);
  payload.writeUInt32LE(i);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  return Buffer.concat([bytes, Buffer.from([0, body.length]), body]);
}

for (const file of args) {
  const bytes = fs.readFileSync(file);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const copy = variant(bytes, i);
    const t0 = process.hrtime.bigint();
    new WebAssembly.Module(copy);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms < best) best = ms;
  }
  console.log(`${path.basename(file)} ${bytes.length} ${best.toFixed(3)}`);
}
