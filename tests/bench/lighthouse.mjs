// make bench: Lighthouse 12.2.3 (npm, pinned, installed under target/lighthouse by make) on
// the demo partner page as `make demo` serves it (the release server, the demo's feed and
// reviews), in Debian's Chromium, with mobile's default throttling and with the desktop
// preset. Printed: the four category scores, CLS, TBT, the longest main-thread tasks and
// the max potential first input delay, mobile and desktop side by side.
//
// LH_DUMP=PATH writes each run's whole report to PATH-mobile.json and PATH-desktop.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServer } from '../e2e/harness.mjs';

const LH = resolve('target/lighthouse/node_modules');
const { default: lighthouse } = await import(join(LH, 'lighthouse/core/index.js'));
const { default: desktop } = await import(join(LH, 'lighthouse/core/config/desktop-config.js'));
const chromeLauncher = await import(join(LH, 'chrome-launcher/dist/index.js'));

const server = await startServer({ feed: 'www/sample-feed.json', args: ['--seed-demo', '--allow-loopback'], env: { NEWSWIRE_LOG: 'error' } });
const url = server.url;

async function run(name, config) {
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const result = await lighthouse(`${url}/`, { port: chrome.port, output: 'json', logLevel: 'error' }, config);
    const lhr = result.lhr;
    if (process.env.LH_DUMP) writeFileSync(`${process.env.LH_DUMP}-${name.split(' ')[0]}.json`, JSON.stringify(lhr));
    const audit = (id) => lhr.audits[id];
    const tasks = (audit('long-tasks').details?.items || [])
      .map((t) => ({ url: String(t.url || '').replace(url, '').replace(/\/v\/[0-9a-f]{12}\//, '/v/…/'), ms: Math.round(t.duration) }))
      .slice(0, 4);
    // What cost points, by audit: the first thing to read when a score is under 100.
    const failing = Object.values(lhr.categories).flatMap((c) =>
      c.auditRefs.filter((r) => r.weight > 0 && lhr.audits[r.id].score !== null && lhr.audits[r.id].score < 1).map((r) => r.id),
    );
    const shifts = (audit('layout-shifts')?.details?.items || []).map((i) => ({
      score: Math.round(i.score * 1000) / 1000,
      node: i.node?.snippet || i.node?.selector || '',
    }));
    return {
      name,
      failing,
      shifts,
      scores: Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, Math.round(c.score * 100)])),
      cls: audit('cumulative-layout-shift').numericValue,
      tbt: audit('total-blocking-time').numericValue,
      fid: audit('max-potential-fid').numericValue,
      tasks,
    };
  } finally {
    await chrome.kill();
  }
}

const rows = [await run('mobile (default throttling)', undefined), await run('desktop (--preset=desktop)', desktop)];
console.log(`Lighthouse 12.2.3 on the demo partner page (${url}/)`);
console.log('form                          perf  a11y  best   seo     CLS     TBT  max FID');
for (const r of rows) {
  const s = r.scores;
  console.log(
    `${r.name.padEnd(28)} ${String(s.performance).padStart(5)} ${String(s.accessibility).padStart(5)} ${String(s['best-practices']).padStart(5)} ${String(s.seo).padStart(5)} ${r.cls.toFixed(3).padStart(7)} ${(Math.round(r.tbt) + ' ms').padStart(7)} ${(Math.round(r.fid) + ' ms').padStart(8)}`,
  );
  if (r.failing.length) console.log(`  short of 100: ${r.failing.join(', ')}`);
  for (const s of r.shifts) console.log(`  shift ${s.score}: ${s.node}`);
  console.log(`  long tasks: ${r.tasks.map((t) => `${t.ms} ms ${t.url || '(page)'}`).join(', ') || 'none'}`);
}
mkdirSync('target/bench', { recursive: true });
writeFileSync('target/bench/lighthouse.json', JSON.stringify(rows, null, 2));
console.log('written to target/bench/lighthouse.json');
await server.stop();
