// `make bench`, the browser half: the demo partner page in headless Chromium, measured.
//
//   1. Time to content over cold loads (median and p90): loader executed, wasm compiled,
//      feed fetched, first content painted (state="ready" and the next frame).
//   2. Host impact: cumulative layout shift, long tasks over 50 ms, main-thread script time.
//   3. Rendering at scale: a 500-item feed, and a refresh that changes 10 of its items.
//   4. Memory: wasm memory and JS heap after 10 and after 1,000 refreshes.
//
// Nothing here passes or fails; it prints a table and writes target/bench/timing.json.
// Everything runs on loopback: the real newswire-server, and a partner page on another origin.
import { writeFileSync, mkdirSync } from 'node:fs';
import { startServer, startPartner, launch, page, tag } from '../e2e/harness.mjs';

const LOADS = Number(process.env.BENCH_LOADS || 15);
const server = await startServer({ feed: 'www/sample-feed.json' });

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
const partner = await startPartner({
  '/demo.html': page(tag(server)),
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

/** Records phases and host impact from inside the page, without touching the widget. */
function instrument() {
  window.__nw = { shifts: 0, longTasks: [], phases: {} };
  const mark = (name) => {
    if (!(name in window.__nw.phases)) window.__nw.phases[name] = performance.now();
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__nw.shifts += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__nw.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
  customElements.whenDefined('newswire-widget').then(() => mark('loader'));
  for (const name of ['compileStreaming', 'compile']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function () {
      return original.apply(this, arguments).then((m) => (mark('compiled'), m));
    };
  }
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = function () {
    return instantiate.apply(this, arguments).then((r) => {
      const instance = r instanceof WebAssembly.Instance ? r : r.instance;
      (window.__nw.memories ||= []).push(instance.exports.memory);
      return r;
    });
  };
  new MutationObserver(() => {
    const el = document.querySelector('newswire-widget[state="ready"]');
    if (el && !('ready' in window.__nw.phases)) {
      mark('ready');
      requestAnimationFrame(() => requestAnimationFrame(() => mark('painted')));
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['state'] });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
};

// 1 and 2: cold loads of the demo partner page.
const loads = [];
for (let n = 0; n < LOADS; n++) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.addInitScript(instrument);
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Performance.enable');
  await tab.goto(`${partner.url}/demo.html`);
  await tab.waitForFunction(() => 'painted' in window.__nw.phases, null, { timeout: 20000 });
  await tab.waitForTimeout(300);
  const result = await tab.evaluate(() => {
    const feed = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/feed.json'));
    return { ...window.__nw.phases, feed: feed && feed.responseEnd, shifts: window.__nw.shifts, longTasks: window.__nw.longTasks };
  });
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  result.scriptMs = metrics.ScriptDuration * 1000;
  loads.push(result);
  await context.close();
}
const phase = (name) => loads.map((l) => l[name]);
const timing = {};
for (const [name, label] of [
  ['loader', 'loader executed'],
  ['compiled', 'wasm compiled'],
  ['feed', 'feed fetched'],
  ['painted', 'first content painted'],
]) {
  timing[name] = { label, median: quantile(phase(name), 0.5), p90: quantile(phase(name), 0.9) };
}
const host = {
  cls: Math.max(...phase('shifts')),
  longTasks: Math.max(...loads.map((l) => l.longTasks.length)),
  longestTaskMs: Math.max(0, ...loads.flatMap((l) => l.longTasks)),
  scriptMs: quantile(phase('scriptMs'), 0.5),
};

// 3 and 4: a 500-item feed, refreshed on a fast-forwarded clock.
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
const report = { loads: LOADS, timing, host, scale, memory: { after10, after1000 } };

const ms = (v) => `${v.toFixed(1)} ms`.padStart(10);
console.log(`\nTime to content, ${LOADS} cold loads of the demo partner page (from navigation start)`);
console.log('phase'.padEnd(26) + 'median'.padStart(10) + 'p90'.padStart(10));
for (const t of Object.values(timing)) console.log(t.label.padEnd(26) + ms(t.median) + ms(t.p90));
console.log('\nHost impact (worst load; script time median)');
console.log(`cumulative layout shift   ${host.cls.toFixed(3)}`);
console.log(`long tasks over 50 ms     ${host.longTasks} (longest ${host.longestTaskMs.toFixed(0)} ms)`);
console.log(`main-thread script time   ${host.scriptMs.toFixed(1)} ms`);
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
