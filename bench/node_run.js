#!/usr/bin/env node
// node_run.js FILE.wasm [EXPORT] — instantiate FILE.wasm with no imports,
// call EXPORT (default "run") with no arguments and print its results one
// per line as signed decimals (i32 as a Number, i64 as a BigInt), the same
// convention as `kiln run --invoke`.
'use strict';
const fs = require('fs');

async function main() {
  const [file, name = 'run'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node node_run.js FILE.wasm [EXPORT]');
    process.exit(2);
  }
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(file), {});
  const fn = instance.exports[name];
  if (typeof fn !== 'function') {
    console.error(`node_run.js: no exported function "${name}"`);
    process.exit(2);
  }
  let r = fn();
  if (r === undefined) r = [];
  if (!Array.isArray(r)) r = [r];
  for (const v of r) console.log(String(v));
}

main().catch((e) => {
  console.error('node_run.js:', e && e.message ? e.message : e);
  process.exit(1);
});
