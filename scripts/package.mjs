// Builds the npm package `newswire-widget` into OUT (`make package`): the sources in
// packages/widget, the element's types (www/newswire.d.ts), and `release.js`, which pins the
// release that `dist/newswire/release.json` names (its loader's path and SRI hash).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dist, out] = process.argv.slice(2);
const release = JSON.parse(readFileSync(join(dist, 'newswire', 'release.json'), 'utf8'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync('packages/widget', out, { recursive: true });
cpSync('www/newswire.d.ts', join(out, 'newswire.d.ts'));
const pinned = {
  version: release.version,
  release: release.release,
  embed: release.embed,
  integrity: release.integrity,
};
writeFileSync(
  join(out, 'release.js'),
  `// Written by scripts/package.mjs: the release this package pins.\nexport const RELEASE = ${JSON.stringify(pinned, null, 2)};\n`,
);
const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
pkg.version = release.version;
writeFileSync(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
console.log(`newswire-widget ${pkg.version} pinned to release ${release.release} in ${out}`);
