// What every build of the widget goes through after wasm-bindgen, in one place, so that the
// release, the fault-injection build the end-to-end tests load and the nightly comparison
// differ only where they say so:
//
//   1. with --optimise, wasm-opt (npm's binaryen): -Oz, then a flatten and rereloop round
//      between -Oz passes, which saves about 0.8 KB brotli more than -Oz alone;
//   2. the loader's guard hook in the glue (guard-glue.mjs);
//   3. short import names in the wasm and the glue (shorten-imports.mjs, about 4 KB brotli);
//   4. with --minify, terser on the glue, as the loader is minified (export names kept).
//
//   node scripts/post-link.mjs WASM GLUE OUTDIR [--optimise] [--minify]
//
// WASM and GLUE are wasm-bindgen's output; OUTDIR gets newswire_bg.wasm and newswire.js (it
// may be the folder they are in).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const [wasm, glue, out] = args.filter((a) => !a.startsWith('--'));
for (const flag of flags) {
  if (!['--optimise', '--minify'].includes(flag)) throw new Error(`post-link: unknown flag ${flag}`);
}
if (!out) throw new Error('usage: node scripts/post-link.mjs WASM GLUE OUTDIR [--optimise] [--minify]');

const here = dirname(fileURLToPath(import.meta.url));
const run = (command, ...rest) => execFileSync(command, rest, { stdio: 'inherit' });
const work = mkdtempSync(join(tmpdir(), 'newswire-post-link-'));
try {
  let module = wasm;
  if (flags.has('--optimise')) {
    module = join(work, 'optimised.wasm');
    run('wasm-opt', '-Oz', '--flatten', '--rereloop', '-Oz', '-Oz', '--strip-debug', '--strip-producers', wasm, '-o', module);
  }
  const guarded = join(work, 'guarded.js');
  run(process.execPath, join(here, 'guard-glue.mjs'), glue, guarded);
  const [shortWasm, shortGlue] = [join(work, 'short.wasm'), join(work, 'short.js')];
  run(process.execPath, join(here, 'shorten-imports.mjs'), module, guarded, shortWasm, shortGlue);
  mkdirSync(out, { recursive: true });
  if (flags.has('--minify')) {
    run('terser', shortGlue, '--module', '--ecma', '2020', '--compress', 'passes=2', '--mangle', '--comments', 'false', '--output', join(out, 'newswire.js'));
  } else {
    copyFileSync(shortGlue, join(out, 'newswire.js'));
  }
  copyFileSync(shortWasm, join(out, 'newswire_bg.wasm'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
