// Publishes the built widget as a release: its four first-render files (and their .br and
// .gz) copied under DIR/v/{id}/, where {id} is derived from their content, and
// DIR/release.json naming the release, its loader URL and the loader's SRI hash. The
// server serves v/{id}/ with an immutable cache, so a snippet pinned to a release keeps
// loading exactly those bytes; earlier releases stay where they are.
//
//   node scripts/release.mjs dist/newswire
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRST_RENDER_FILES } from './wire-size.mjs';

const dir = process.argv[2];
const all = createHash('sha256');
for (const name of FIRST_RENDER_FILES) {
  const bytes = readFileSync(join(dir, name));
  all.update(`${name}:${bytes.length}:`);
  all.update(bytes);
}
const id = all.digest('hex').slice(0, 12);
const integrity = 'sha384-' + createHash('sha384').update(readFileSync(join(dir, 'embed.js'))).digest('base64');
const version = /^version = "([^"]+)"/m.exec(readFileSync('Cargo.toml', 'utf8'))[1];

const target = join(dir, 'v', id);
mkdirSync(target, { recursive: true });
for (const name of FIRST_RENDER_FILES) {
  for (const file of [name, `${name}.br`, `${name}.gz`]) {
    if (existsSync(join(dir, file))) copyFileSync(join(dir, file), join(target, file));
  }
}
const release = { version, release: id, embed: `/newswire/v/${id}/embed.js`, integrity };
writeFileSync(join(dir, 'release.json'), JSON.stringify(release, null, 2) + '\n');
console.log(`release ${id}: ${release.embed} ${integrity}`);
