// Minifies the widget's stylesheet for shipping: comments out, whitespace collapsed, and
// spaces dropped where CSS never needs them. Deliberately simple: our CSS has no strings
// (but the empty one) or escapes, and spaces around + and - (calc) and before : (descendant pseudo-classes)
// are kept.
//
//   node scripts/minify-css.mjs IN OUT
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const css = readFileSync(input, 'utf8');
if (/["'\\]/.test(css.replace(/\/\*[\s\S]*?\*\//g, '').replace(/""/g, ''))) {
  throw new Error(`${input}: has strings or escapes; this minifier does not handle them`);
}
const min = css
  .replace(/\/\*[\s\S]*?\*\//g, '')
  .replace(/\s+/g, ' ')
  .replace(/\s*([{};,>])\s*/g, '$1')
  .replace(/:\s+/g, ':')
  .replace(/;}/g, '}')
  .trim();
writeFileSync(output, min + '\n');
