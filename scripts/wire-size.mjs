// The files of a release (the loader's two stages, the wasm-bindgen glue, the wasm and the
// stylesheet), raw and brotli-compressed (quality 11, as the build precompresses them).
// Shared by `make bench` and the build; the size test measures what a browser downloads
// (tests/e2e/wire.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

export const FIRST_RENDER_FILES = ['embed.js', 'newswire-live.js', 'newswire.js', 'newswire_bg.wasm', 'newswire.css'];

export function brotli(bytes) {
  return brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
}

export function gzip(bytes) {
  return gzipSync(bytes, { level: 9 });
}

export function brotliSize(bytes) {
  return brotli(bytes).length;
}

export function wireSizes(dir) {
  const files = FIRST_RENDER_FILES.map((name) => {
    const bytes = readFileSync(join(dir, name));
    return { name, raw: bytes.length, brotli: brotliSize(bytes) };
  });
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, brotli: t.brotli + f.brotli }), { raw: 0, brotli: 0 });
  return { files, total };
}
