// `make bench`: prints the wire bytes before first render, and writes them as JSON.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { wireSizes, brotliSize } from '../../scripts/wire-size.mjs';
import { FIRST_CONTENT_BUDGET, INTERACTIVE_BUDGET, FIRST_STAGE_GOAL, FIRST_STAGE_CEILING } from '../e2e/wire.mjs';

const dir = process.argv[2] || 'dist/newswire';
const out = process.argv[3] || 'target/bench/size.json';
const { files, total } = wireSizes(dir);
const feed = readFileSync('www/sample-feed.json');
const kb = (n) => (n / 1000).toFixed(1).padStart(7) + ' KB';

console.log('The release, file by file (what a page downloads is measured in the browser, below)');
console.log('file'.padEnd(20) + 'raw'.padStart(10) + 'brotli'.padStart(11));
for (const f of files) console.log(f.name.padEnd(20) + kb(f.raw) + ' ' + kb(f.brotli));
console.log('total'.padEnd(20) + kb(total.raw) + ' ' + kb(total.brotli));
console.log(`budgets: ${kb(FIRST_CONTENT_BUDGET).trim()} before first content, ${kb(INTERACTIVE_BUDGET).trim()} to interactive`);
const first = files.find((f) => f.name === 'embed.js');
console.log(
  `first stage: ${first.brotli} B brotli, goal ${FIRST_STAGE_GOAL} B (${first.brotli <= FIRST_STAGE_GOAL ? 'met' : `missed by ${first.brotli - FIRST_STAGE_GOAL} B`}), ceiling ${FIRST_STAGE_CEILING} B`,
);
console.log('sample feed'.padEnd(20) + kb(feed.length) + ' ' + kb(brotliSize(feed)));

mkdirSync('target/bench', { recursive: true });
const report = {
  files,
  total,
  budgets: { firstContent: FIRST_CONTENT_BUDGET, interactive: INTERACTIVE_BUDGET, firstStageGoal: FIRST_STAGE_GOAL, firstStageCeiling: FIRST_STAGE_CEILING },
  feed: { raw: feed.length, brotli: brotliSize(feed) },
};
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`written to ${out}`);
