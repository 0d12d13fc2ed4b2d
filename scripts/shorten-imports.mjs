// Gives the wasm's imports, and the glue's closure exports, short names in both the wasm
// and the wasm-bindgen glue. wasm-bindgen names each import like
// `__wbg_getOwnPropertyDescriptor_bde8c48ab22edbff`: 160-odd names whose hex hashes
// brotli cannot compress, written twice (wasm and glue). Short names save about 3 KB
// brotli for every reader. wasm-opt's own --minify-imports leaves these alone (it only
// renames `env` imports), hence this script.
//
//   node scripts/shorten-imports.mjs WASM GLUE OUT_WASM OUT_GLUE
//
// It fails loudly if a name does not appear in the glue exactly as expected, so a change
// in wasm-bindgen's output stops the build instead of shipping a broken pair.
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmIn, glueIn, wasmOut, glueOut] = process.argv.slice(2);
const wasm = readFileSync(wasmIn);
let glue = readFileSync(glueIn, 'utf8');
const MODULE = './newswire_bg.js';
const SHORT_MODULE = 'w';

function fail(message) {
  throw new Error(`shorten-imports: ${message}`);
}

// --- a minimal reader and writer for the binary format ---
function readU32(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [result >>> 0, pos];
    shift += 7;
  }
}
function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}
function readName(buf, pos) {
  const [len, start] = readU32(buf, pos);
  return [buf.toString('utf8', start, start + len), start + len];
}
function name(s) {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(bytes.length), bytes]);
}
function skipLimits(buf, pos) {
  const flags = buf[pos++];
  [, pos] = readU32(buf, pos);
  if (flags & 1) [, pos] = readU32(buf, pos);
  return pos;
}
/** Skips an import's description after its kind byte. */
function skipImportDesc(buf, kind, pos) {
  switch (kind) {
    case 0: // function: type index
    case 4: // tag: attribute byte, then type index
      if (kind === 4) pos++;
      return readU32(buf, pos)[1];
    case 1: // table: reference type, limits
      return skipLimits(buf, pos + 1);
    case 2: // memory: limits
      return skipLimits(buf, pos);
    case 3: // global: value type, mutability
      return pos + 2;
    default:
      fail(`unknown import kind ${kind}`);
  }
}

/** `a`, `b`, ... `z`, `A` ... then two characters: valid JS identifiers all. */
function shortName(i) {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = '';
  do {
    s = chars[i % chars.length] + s;
    i = Math.floor(i / chars.length) - 1;
  } while (i >= 0);
  return s;
}

/** Replaces `from` with `to` in the glue, where it must occur exactly `times` times. */
function renameInGlue(from, to, times) {
  const found = glue.split(from).length - 1;
  if (found !== times) fail(`"${from}" occurs ${found} times in the glue, expected ${times}`);
  glue = glue.split(from).join(to);
}

if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmIn} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
let pos = 8;
let renamedImports = 0;
let renamedExports = 0;
while (pos < wasm.length) {
  const id = wasm[pos];
  const [size, start] = readU32(wasm, pos + 1);
  const end = start + size;
  if (id === 2) {
    // Imports: every one comes from the glue; each gets a short module and name.
    let [count, p] = readU32(wasm, start);
    const entries = [u32(count)];
    for (let i = 0; i < count; i++) {
      let module, field;
      [module, p] = readName(wasm, p);
      [field, p] = readName(wasm, p);
      const kind = wasm[p];
      const descEnd = skipImportDesc(wasm, kind, p + 1);
      if (module !== MODULE) fail(`unexpected import module "${module}"`);
      const short = shortName(i);
      // Each name is a key of the glue's import object, written once.
      renameInGlue(`${field}:`, `${short}:`, 1);
      entries.push(name(SHORT_MODULE), name(short), wasm.subarray(p, descEnd));
      p = descEnd;
      renamedImports++;
    }
    if (p !== end) fail('the import section did not parse to its end');
    const body = Buffer.concat(entries);
    parts.push(Buffer.from([2]), u32(body.length), body);
  } else if (id === 7) {
    // Exports: only the hashed closure shims, which only the glue calls.
    let [count, p] = readU32(wasm, start);
    const entries = [u32(count)];
    for (let i = 0; i < count; i++) {
      let field;
      [field, p] = readName(wasm, p);
      const kind = wasm[p];
      const [, indexEnd] = readU32(wasm, p + 1);
      let out = field;
      if (/^wasm_bindgen__convert__closures_+invoke__h[0-9a-f]+$/.test(field)) {
        out = `_c${renamedExports++}`;
        const uses = glue.split(`.${field}(`).length - 1;
        if (uses < 1) fail(`closure export ${field} is not called in the glue`);
        renameInGlue(`.${field}(`, `.${out}(`, uses);
      }
      entries.push(name(out), wasm.subarray(p, indexEnd));
      p = indexEnd;
    }
    if (p !== end) fail('the export section did not parse to its end');
    const body = Buffer.concat(entries);
    parts.push(Buffer.from([7]), u32(body.length), body);
  } else {
    parts.push(wasm.subarray(pos, end));
  }
  pos = end;
}
if (!renamedImports) fail('no imports found');
renameInGlue(`"${MODULE}":`, `${SHORT_MODULE}:`, 1);

const out = Buffer.concat(parts);
// The result must still be a valid module.
new WebAssembly.Module(out);
writeFileSync(wasmOut, out);
writeFileSync(glueOut, glue);
console.log(
  `shorten-imports: ${renamedImports} imports and ${renamedExports} closure exports renamed, ` +
    `${wasm.length - out.length} bytes saved in the wasm`,
);
