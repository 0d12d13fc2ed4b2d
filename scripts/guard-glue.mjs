// Lets the loader guard wasm-bindgen's glue: after this, `__nwGuard(wrap)` (called before
// init) makes the glue call every export through `wrap(exports)`. The loader uses it to stop
// an instance after a trap, so that no export of a trapped module ever runs again, and
// `__nwRelease()` lets go of the trapped instance and its memory.
//
//   node scripts/guard-glue.mjs IN OUT
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const needle = 'wasm = instance.exports;';
const glue = readFileSync(input, 'utf8');
if (glue.split(needle).length !== 2) {
  throw new Error(`${input}: expected exactly one "${needle}"; has wasm-bindgen changed its glue?`);
}
for (const name of ['wasmInstance', 'wasmModule', 'cachedUint8ArrayMemory0', 'cachedDataViewMemory0']) {
  if (!new RegExp(`\\b${name}\\b`).test(glue)) throw new Error(`${input}: no ${name}; has the glue changed?`);
}
writeFileSync(
  output,
  glue.replace(needle, 'wasm = __nwWrap(instance.exports);') +
    '\nlet __nwWrap = (exports) => exports;\n' +
    'export function __nwGuard(wrap) {\n    __nwWrap = wrap;\n}\n' +
    'export function __nwRelease() {\n    wasmInstance = wasmModule = undefined;\n' +
    '    cachedUint8ArrayMemory0 = cachedDataViewMemory0 = null;\n}\n',
);
