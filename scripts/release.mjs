// Publishes the built widget as a release, and stamps each loader with where its files are
// and what they hash to, so that the loader never takes either from the page it runs on.
//
//   node scripts/release.mjs DIR LOADER SECOND          (publish)
//   node scripts/release.mjs --here DIR LOADER SECOND   (stamp only: the loader loads its neighbours)
//
// DIR holds the built glue (newswire.js), wasm and stylesheet; LOADER and SECOND are the
// loader's two stages, minified and unstamped. Publishing writes:
// - DIR/v/{id}/: the four first-render files (and their .br and .gz), the loader stamped to
//   load its neighbours; {id} is derived from their content. The server serves v/{id}/
//   immutably, so a snippet pinned to a release (with the loader's SRI hash, from
//   release.json) keeps loading exactly those bytes; earlier releases stay where they are.
// - DIR/embed.js: the loader for pages that want each new release, stamped to load v/{id}/.
// - DIR/release.json: the release, its loader URL and the loader's SRI hash.
//
// Each stage carries only the hashes it uses, since each byte of the first ships to every
// reader before the news. The second stage's '@@NEWSWIRE_SECOND@@' becomes "SRI(glue)
// SRI(wasm) CODE", and the first stage's '@@NEWSWIRE_RELEASE@@' "BASE SRI(css) SRI(second
// stage)": the first checks the second, which checks the glue and the wasm, so the chain
// holds. A file whose bytes do not match is refused (sha256, the shortest SRI hash), and
// only server HTML that names CODE is hydrated: the widget code the wasm was built from,
// hashed exactly as the server's build.rs hashes the code it renders with.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FIRST_RENDER_FILES } from './wire-size.mjs';
import { precompress } from './precompress.mjs';

const PLACEHOLDER = '@@NEWSWIRE_RELEASE@@';
const SECOND_PLACEHOLDER = '@@NEWSWIRE_SECOND@@';
// The widget's version, from the crate's Cargo.toml: written once, there.
const VERSION_PLACEHOLDER = '@@NEWSWIRE_VERSION@@';
const here = process.argv[2] === '--here';
const [dir, loaderPath, secondPath] = process.argv.slice(here ? 3 : 2);
const loader = readFileSync(loaderPath, 'utf8');
for (const mark of [PLACEHOLDER, VERSION_PLACEHOLDER]) {
  if (loader.split(mark).length !== 2) throw new Error(`${loaderPath}: expected one ${mark}`);
}
if (!secondPath) throw new Error('usage: release.mjs [--here] DIR LOADER SECOND');
const second = readFileSync(secondPath, 'utf8');
if (second.split(SECOND_PLACEHOLDER).length !== 2) throw new Error(`${secondPath}: expected one ${SECOND_PLACEHOLDER}`);
const version = /^version = "([^"]+)"/m.exec(readFileSync('Cargo.toml', 'utf8'))[1];

// SHA-256 over src/, Cargo.toml and Cargo.lock: each file's path from the repository root,
// a NUL, its bytes and a NUL, in path order (server/build.rs does the same).
function codeId(root = '.') {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(root, 'src'));
  files.push(join(root, 'Cargo.toml'), join(root, 'Cargo.lock'));
  const named = files.map((path) => [relative(root, path).split(sep).join('/'), path]);
  named.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const hash = createHash('sha256');
  for (const [name, path] of named) {
    hash.update(name);
    hash.update(Buffer.from([0]));
    hash.update(readFileSync(path));
    hash.update(Buffer.from([0]));
  }
  return hash.digest('hex').slice(0, 12);
}

const sri = (algorithm, bytes) => `${algorithm}-` + createHash(algorithm).update(bytes).digest('base64');
const hashOf = (name) => sri('sha256', readFileSync(join(dir, name)));
const code = codeId();
// The second stage first: the first stage pins its stamped bytes.
writeFileSync(
  join(dir, 'newswire-live.js'),
  second.replace(SECOND_PLACEHOLDER, [hashOf('newswire.js'), hashOf('newswire_bg.wasm'), code].join(' ')),
);
const hashes = ['newswire.css', 'newswire-live.js'].map(hashOf);
const stamp = (base) =>
  loader.replace(PLACEHOLDER, [base, ...hashes].join(' ')).replace(VERSION_PLACEHOLDER, version);

if (here) {
  writeFileSync(join(dir, 'embed.js'), stamp(''));
  precompress(dir);
  process.exit(0);
}

const pinned = stamp('');
const all = createHash('sha256');
for (const name of FIRST_RENDER_FILES) {
  const bytes = name === 'embed.js' ? Buffer.from(pinned) : readFileSync(join(dir, name));
  all.update(`${name}:${bytes.length}:`);
  all.update(bytes);
}
const id = all.digest('hex').slice(0, 12);
const target = join(dir, 'v', id);
mkdirSync(target, { recursive: true });
writeFileSync(join(target, 'embed.js'), pinned);
for (const name of FIRST_RENDER_FILES.filter((n) => n !== 'embed.js')) copyFileSync(join(dir, name), join(target, name));
writeFileSync(join(dir, 'embed.js'), stamp(`v/${id}/`));
precompress(target);
precompress(dir);

const release = { version, release: id, code, embed: `/newswire/v/${id}/embed.js`, integrity: sri('sha384', Buffer.from(pinned)) };
writeFileSync(join(dir, 'release.json'), JSON.stringify(release, null, 2) + '\n');
console.log(`release ${id}: ${release.embed} ${release.integrity}`);
