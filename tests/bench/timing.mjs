// `make bench`, the browser half: partner pages in headless Chromium, measured.
//
//   1. Four paths, interleaved in one run (each load in a fresh context, the paths taken in
//      turn, so that the machine's drift falls on all of them alike):
//      - server-rendered: the one tag, for the publisher's own feed (the content-first path);
//      - client-render: the same feed from the partner's own origin, which the server does
//        not render, so the wasm builds the widget;
//      - the Declarative Shadow DOM include, with the loader beside it;
//      - the plain-JS baseline (tests/bench/baseline.js): no framework, no wasm.
//      For each: first content (the first frame with a brief in the shadow root),
//      interactive, bytes before each (tests/e2e/wire.mjs), long tasks, and CLS; medians with
//      their interquartile ranges, and first content against the baseline's load of the same
//      round (paired, so that a slow moment of the machine falls on both).
//   2. Rendering at scale: a 500-item feed, and a refresh that changes 10 of its items.
//   3. Memory: wasm memory and JS heap after 10 and after 1,000 refreshes.
//
// Nothing here passes or fails; it prints tables and writes target/bench/timing.json.
// Everything runs on loopback: the real newswire-server, and a partner page on another origin.
import { writeFileSync, mkdirSync, mkdtempSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startPartner, launch, page, tag, DIST } from '../e2e/harness.mjs';
import { measure } from '../e2e/wire.mjs';
import { brotli, gzip } from '../../scripts/wire-size.mjs';

const LOADS = Number(process.env.BENCH_LOADS || 25);
// The built site, with the baseline beside the widget's files (precompressed as they are).
const www = mkdtempSync(join(tmpdir(), 'newswire-bench-'));
cpSync(DIST, www, { recursive: true });
const baseline = readFileSync('tests/bench/baseline.js');
writeFileSync(join(www, 'newswire', 'baseline.js'), baseline);
writeFileSync(join(www, 'newswire', 'baseline.js.br'), brotli(baseline));
writeFileSync(join(www, 'newswire', 'baseline.js.gz'), gzip(baseline));
const server = await startServer({ feed: 'www/sample-feed.json', www });
const include = await (await fetch(`${server.url}/newswire/include`)).text();
// As the server serves it: its relative story links made absolute against the server.
const sample = await (await fetch(`${server.url}/feed.json`)).text();

// Two versions of a 500-item feed that differ in 10 items, served alternately.
function bigFeed(version) {
  const items = [];
  for (let i = 0; i < 500; i++) {
    const changed = i < 10 && version === 1;
    items.push({
      id: changed ? `v1-${i}` : `item-${i}`,
      url: `https://agency.example/${i}`,
      title: `${changed ? 'Updated' : 'Item'} ${i}: the committee meets again`,
      summary: 'A short brief about the day in the assembly, written for the benchmark.',
      date_published: new Date(Date.UTC(2026, 10, 27, 9, 0) - i * 60000).toISOString(),
      tags: ['Politics'],
      _newswire: { headline: i < 3 },
    });
  }
  return JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Bench Wire', items });
}
const feeds = [bigFeed(0), bigFeed(1)];
let served = 0;
// The default snippet: the element with its height reserved, and the async loader.
const snippet = (feed, script = `${server.url}/newswire/embed.js`, extra = '') =>
  `<newswire-widget feed="${feed}" loading="eager" style="display:block;block-size:994px;--newswire-height:994px"></newswire-widget>
   <script async src="${script}" ${extra}></script>`;
const partner = await startPartner({
  '/rendered.html': page(snippet(`${server.url}/feed.json`)),
  '/client.html': page(snippet('/sample-feed.json')),
  '/include.html': page(`${include}<script async src="${server.url}/newswire/embed.js"></script>`),
  '/baseline.html': page(
    snippet('', `${server.url}/newswire/baseline.js`, `data-feed="${server.url}/feed.json"`).replace(' feed="" loading="eager"', ''),
  ),
  '/sample-feed.json': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/feed+json', 'access-control-allow-origin': '*' });
    res.end(sample);
  },
  '/big.html': page(
    `<script async src="${server.url}/newswire/embed.js"></script>
     <newswire-widget feed="/big-feed.json" max-briefs="50" refresh="10"></newswire-widget>`,
  ),
  '/big-feed.json': (req, res) => {
    const body = feeds[served++ % 2];
    res.writeHead(200, { 'content-type': 'application/feed+json', 'cache-control': 'no-store' });
    res.end(body);
  },
});
const browser = await launch();

/** Records the memories of the wasm instances, for the memory figures. */
function instrument() {
  window.__nw = {};
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = function () {
    return instantiate.apply(this, arguments).then((r) => {
      const instance = r instanceof WebAssembly.Instance ? r : r.instance;
      (window.__nw.memories ||= []).push(instance.exports.memory);
      return r;
    });
  };
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
};

// 1: the four paths, interleaved.
const PATHS = [
  ['server-rendered', '/rendered.html'],
  ['client-render', '/client.html'],
  ['DSD include', '/include.html'],
  ['plain-JS baseline', '/baseline.html'],
];
const widget = (url) => url.startsWith(server.url) || url.endsWith('feed.json');
const runs = Object.fromEntries(PATHS.map(([name]) => [name, []]));
for (let n = 0; n < LOADS; n++) {
  for (let k = 0; k < PATHS.length; k++) {
    const [name, path] = PATHS[(n + k) % PATHS.length];
    runs[name].push(await measure(browser, `${partner.url}${path}`, widget));
  }
}
const paths = {};
for (const [name] of PATHS) {
  const r = runs[name];
  const med = (f) => quantile(r.map(f), 0.5);
  paths[name] = {
    firstContent: med((x) => x.firstContent),
    firstContentQ1: quantile(r.map((x) => x.firstContent), 0.25),
    firstContentQ3: quantile(r.map((x) => x.firstContent), 0.75),
    interactive: med((x) => x.interactive),
    bytesBeforeFirst: med((x) => x.beforeFirst),
    bytesToInteractive: med((x) => x.toInteractive),
    longBeforeFirst: Math.max(0, ...r.map((x) => x.longBeforeFirst.filter((d) => d > 50).length)),
    longBeforeInteractive: Math.max(0, ...r.map((x) => x.longBeforeInteractive.filter((d) => d > 50).length)),
    longestBeforeFirst: Math.max(0, ...r.flatMap((x) => x.longBeforeFirst)),
    cls: Math.max(...r.map((x) => x.cls)),
  };
}
const base = paths['plain-JS baseline'];
for (const [name, p] of Object.entries(paths)) {
  p.firstContentRatio = p.firstContent / base.firstContent;
  p.interactiveRatio = p.interactive / base.interactive;
  // Round by round: this path's first content over the baseline's in the same round.
  const paired = runs[name].map((x, n) => x.firstContent / runs['plain-JS baseline'][n].firstContent);
  p.pairedRatio = { median: quantile(paired, 0.5), q1: quantile(paired, 0.25), q3: quantile(paired, 0.75) };
}

// 2 and 3: a 500-item feed, refreshed on a fast-forwarded clock.
const context = await browser.newContext();
const tab = await context.newPage();
await tab.addInitScript(instrument);
await tab.clock.install();
const mountStart = Date.now();
await tab.goto(`${partner.url}/big.html`);
await tab.waitForSelector('newswire-widget[state="ready"]', { state: 'attached', timeout: 20000 });
const renderBig = Date.now() - mountStart;
const briefTitles = () =>
  tab.evaluate(() =>
    [...document.querySelector('newswire-widget').shadowRoot.querySelectorAll('[part="brief"] h4')].map((h) => h.textContent).join('|'),
  );
const refresh = async () => {
  const before = await briefTitles();
  const started = Date.now();
  await tab.clock.runFor(10_000);
  await tab.waitForFunction(
    (b) => [...document.querySelector('newswire-widget').shadowRoot.querySelectorAll('[part="brief"] h4')].map((h) => h.textContent).join('|') !== b,
    before,
    { polling: 5, timeout: 10000 },
  );
  return Date.now() - started;
};
const refreshTimes = [];
for (let i = 0; i < 10; i++) refreshTimes.push(await refresh());
const cdp = await context.newCDPSession(tab);
const memory = async () => ({
  wasm: await tab.evaluate(() => (window.__nw.memories || []).reduce((sum, m) => sum + m.buffer.byteLength, 0)),
  heap: (await cdp.send('Runtime.getHeapUsage')).usedSize,
});
const collect = () => cdp.send('HeapProfiler.collectGarbage');
await collect();
const after10 = await memory();
for (let i = 10; i < 1000; i++) await refresh();
await collect();
const after1000 = await memory();
await context.close();

const scale = { renderMs: renderBig, refreshMedianMs: quantile(refreshTimes, 0.5) };
const report = { loads: LOADS, paths, scale, memory: { after10, after1000 } };

const ms = (v) => `${v.toFixed(0)} ms`.padStart(8);
const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
console.log(`\nFour paths, ${LOADS} cold loads each, interleaved (medians, from navigation start)`);
console.log(
  'path'.padEnd(19) + 'first'.padStart(8) + 'IQR'.padStart(12) + ' ratio' + 'interact.'.padStart(10) + ' ratio' +
    'bytes 1st'.padStart(10) + 'bytes int.'.padStart(11) + '  long>50' + '    CLS',
);
for (const [name, p] of Object.entries(paths)) {
  console.log(
    name.padEnd(19) + ms(p.firstContent) + `${p.firstContentQ1.toFixed(0)}–${p.firstContentQ3.toFixed(0)}`.padStart(12) +
      p.firstContentRatio.toFixed(2).padStart(6) +
      ms(p.interactive).padStart(10) + p.interactiveRatio.toFixed(2).padStart(6) + kb(p.bytesBeforeFirst).padStart(10) +
      kb(p.bytesToInteractive).padStart(11) + `${p.longBeforeFirst}/${p.longBeforeInteractive}`.padStart(9) +
      p.cls.toFixed(3).padStart(7),
  );
}
console.log('(long>50: the most tasks over 50 ms in one load, before first content / before interactive)');
console.log('\nFirst content over the baseline\'s, load by load in the same round (median, interquartile range)');
for (const [name, p] of Object.entries(paths)) {
  if (name === 'plain-JS baseline') continue;
  const r = p.pairedRatio;
  console.log(`${name.padEnd(19)}${r.median.toFixed(2).padStart(6)}  ${r.q1.toFixed(2)}–${r.q3.toFixed(2)}`);
}
console.log('\nRendering at scale (500-item feed, 50 briefs shown; wall clock, with CDP overhead)');
console.log(`first render              ${renderBig} ms (navigation to ready)`);
console.log(`refresh changing 10 items ${scale.refreshMedianMs} ms median`);
const mb = (b) => `${(b / 1048576).toFixed(2)} MB`;
console.log('\nMemory after refreshes');
console.log(`after 10                  wasm ${mb(after10.wasm)}, JS heap ${mb(after10.heap)}`);
console.log(`after 1000                wasm ${mb(after1000.wasm)}, JS heap ${mb(after1000.heap)}`);
mkdirSync('target/bench', { recursive: true });
writeFileSync('target/bench/timing.json', JSON.stringify(report, null, 2) + '\n');
console.log('written to target/bench/timing.json');

await browser.close();
await partner.close();
await server.stop();
rmSync(www, { recursive: true, force: true });
