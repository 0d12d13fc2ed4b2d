// Writes NAME.br and NAME.gz beside each widget asset, so that newswire-server sends the
// smallest encoding the browser accepts without compressing on every request.
//
//   node scripts/precompress.mjs DIR
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotli, gzip } from './wire-size.mjs';

export function precompress(dir) {
  for (const name of readdirSync(dir)) {
    if (!/\.(js|css|wasm)$/.test(name)) continue;
    const bytes = readFileSync(join(dir, name));
    writeFileSync(join(dir, name + '.br'), brotli(bytes));
    writeFileSync(join(dir, name + '.gz'), gzip(bytes));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) precompress(process.argv[2] || 'dist/newswire');
