// Writes NAME.br and NAME.gz beside each widget asset, so that newswire-server sends the
// smallest encoding the browser accepts without compressing on every request.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotli, gzip } from './wire-size.mjs';

const dir = process.argv[2] || 'dist/newswire';
for (const name of readdirSync(dir)) {
  if (!/\.(js|css|wasm)$/.test(name)) continue;
  const bytes = readFileSync(join(dir, name));
  writeFileSync(join(dir, name + '.br'), brotli(bytes));
  writeFileSync(join(dir, name + '.gz'), gzip(bytes));
}
