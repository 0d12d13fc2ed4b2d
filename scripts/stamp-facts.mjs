// Writes the widget's attribute facts (the JavaScript that `cargo run --example
// loader-facts` prints from src/config.rs) over the loader's one `/* @@NEWSWIRE_FACTS@@ */`,
// so that the loader's lists of attributes, choices and ranges are never written by hand.
//
//   node scripts/stamp-facts.mjs LOADER FACTS OUT
import { readFileSync, writeFileSync } from 'node:fs';

const [loaderPath, factsPath, out] = process.argv.slice(2);
const MARK = '/* @@NEWSWIRE_FACTS@@ */';
const loader = readFileSync(loaderPath, 'utf8');
if (loader.split(MARK).length !== 2) throw new Error(`${loaderPath}: expected exactly one ${MARK}`);
const facts = readFileSync(factsPath, 'utf8').trim();
for (const name of ['ATTRIBUTES', 'RENDERED', 'SECTIONS', 'CHOICES', 'BRIEFS']) {
  if (!new RegExp(`^var ${name} = `, 'm').test(facts)) throw new Error(`${factsPath}: no ${name}`);
}
// Indented as the line it replaces.
const indent = /^([ \t]*)\/\* @@NEWSWIRE_FACTS@@ \*\//m.exec(loader)[1];
writeFileSync(out, loader.replace(MARK, facts.split('\n').join('\n' + indent)));
