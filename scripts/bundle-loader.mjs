// Builds the loader's two stages from their modules (www/loader/): esbuild bundles them,
// terser minifies them (its output is a few per cent smaller than esbuild's own here).
//
//   node scripts/bundle-loader.mjs FACTS FIRST SECOND [--minify]
//
// FIRST, the first stage (www/loader/first.js), is a classic script, as partners load it
// with a plain <script async>: one function that runs at once. SECOND, the second stage
// (www/loader/second.js), is a module the first imports when a widget needs the wasm. The
// two share code by module (page.js, facts.js), each bundle its own copy, and state only
// through what the first hands the second (`run(stage)`).
//
// FACTS is the JavaScript that `cargo run --example loader-facts` prints from src/config.rs:
// the widget's attribute facts, written over www/loader/facts.js's one placeholder, so no
// list of attributes, choices or ranges in the loader is written by hand. The release's own
// placeholders (@@NEWSWIRE_RELEASE@@, @@NEWSWIRE_VERSION@@, @@NEWSWIRE_SECOND@@) stay for
// scripts/release.mjs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { build } from 'esbuild';
import { minify } from 'terser';

const [factsPath, firstOut, secondOut, flag] = process.argv.slice(2);
const minified = flag === '--minify';
const MARK = '/* @@NEWSWIRE_FACTS@@ */';
const facts = readFileSync(factsPath, 'utf8').trim();
for (const name of ['ATTRIBUTES', 'RENDERED', 'SECTIONS', 'CHOICES', 'BRIEFS']) {
  if (!new RegExp(`^var ${name} = `, 'm').test(facts)) throw new Error(`${factsPath}: no ${name}`);
}

const factsModule = resolve('www/loader/facts.js');
const stampFacts = {
  name: 'facts',
  setup(b) {
    b.onLoad({ filter: /[\\/]facts\.js$/ }, (args) => {
      if (args.path !== factsModule) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (source.split(MARK).length !== 2) throw new Error(`${args.path}: expected exactly one ${MARK}`);
      return { contents: source.replace(MARK, facts), loader: 'js' };
    });
  },
};

async function bundle(entry, format, out) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format,
    target: 'es2020',
    write: false,
    legalComments: 'none',
    plugins: [stampFacts],
    // A classic script is strict as a whole (a module is anyway).
    banner: format === 'iife' ? { js: "'use strict';" } : undefined,
  });
  let code = result.outputFiles[0].text;
  if (minified) {
    const done = await minify(code, {
      ecma: 2020,
      module: format === 'esm',
      compress: { passes: 2 },
      mangle: true,
      format: { comments: false },
    });
    code = done.code;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
}

await bundle('www/loader/first.js', 'iife', firstOut);
await bundle('www/loader/second.js', 'esm', secondOut);
