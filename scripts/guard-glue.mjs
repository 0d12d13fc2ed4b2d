// Lets the loader guard wasm-bindgen's glue: after this, `__nwGuard(wrap)` (called before
// init) makes the glue call every export through `wrap(exports)`. The loader uses it to stop
// an instance after a trap, so that no export of a trapped module ever runs again, and
// `__nwRelease()` lets go of the trapped instance and its memory.
//
// It also trims the glue's start-up to the one way the loader uses it: `default({
// module_or_path })` with a compiled `WebAssembly.Module`. The paths that fetch a URL or a
// Response, and `initSync`, are dead here and would ship to every reader. And it replaces
// `debugString`, 2 KB that only ever describe a JavaScript value inside a panic message,
// with the value's own `String()`, which says the same of the errors that end up there.
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
// From the loading helper to the export line: one async init over a compiled module.
const start = glue.indexOf('async function __wbg_load(');
const exportLine = 'export { initSync, __wbg_init as default };';
const end = glue.indexOf(exportLine);
if (start < 0 || end < start || glue.split(exportLine).length !== 2 || !glue.includes('function __wbg_finalize_init(')) {
  throw new Error(`${input}: the glue's start-up is not where it was; has wasm-bindgen changed its glue?`);
}
const init =
  'async function __wbg_init({ module_or_path: module }) {\n' +
  '    if (wasm !== undefined) return wasm;\n' +
  '    const instance = await WebAssembly.instantiate(module, __wbg_get_imports());\n' +
  '    return __wbg_finalize_init(instance, module);\n' +
  '}\n' +
  'export { __wbg_init as default };';
let trimmed = glue.slice(0, start) + init + glue.slice(end + exportLine.length);
const debug = /\nfunction debugString\(val\) \{\n[\s\S]*?\n\}\n/;
if (!debug.test(trimmed) || trimmed.split('debugString(').length !== 3) {
  throw new Error(`${input}: debugString is not as expected; has wasm-bindgen changed its glue?`);
}
trimmed = trimmed.replace(debug, '\nfunction debugString(val) {\n    return String(val);\n}\n');
writeFileSync(
  output,
  trimmed.replace(needle, 'wasm = __nwWrap(instance.exports);') +
    '\nlet __nwWrap = (exports) => exports;\n' +
    'export function __nwGuard(wrap) {\n    __nwWrap = wrap;\n}\n' +
    'export function __nwRelease() {\n    wasmInstance = wasmModule = undefined;\n' +
    '    cachedUint8ArrayMemory0 = cachedDataViewMemory0 = null;\n}\n',
);
