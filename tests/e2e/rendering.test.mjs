// Rendering at scale: the briefs are a keyed list, so a refresh that changes 10 of 50
// briefs touches those 10 rows and leaves the other 40 alone. Counted with a
// MutationObserver on the widget's shadow root; timings are for `make bench`. And the
// reserve: the height the loader holds for a widget rendered on the client fits what it then
// shows, for every choice of sections and density, at three widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startPartner, launch, open, ready, serve, fixture } from './harness.mjs';

let server;
let partner;
let browser;
let version = 1;

/** 500 items, 50 of them briefs; version 2 adds 10 newer briefs and drops the 10 oldest. */
function feed() {
  const items = [];
  const briefs = version === 1 ? [...Array(50).keys()].map((i) => i + 10) : [...Array(50).keys()];
  for (const i of briefs) {
    items.push({
      id: `brief-${i}`,
      title: `Brief number ${i}`,
      summary: `What happened in brief ${i}.`,
      date_published: new Date(Date.UTC(2026, 10, 27, 12) - i * 3_600_000).toISOString(),
      tags: ['Politics'],
    });
  }
  for (let i = 0; items.length < 500; i++) items.push({ id: `other-${i}`, title: `Other ${i}`, tags: ['Sport'] });
  return JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Scale Wire', items });
}

/** A page whose widget a partner sized with --newswire-height. */
function sized(height) {
  return `<!doctype html><html lang="en"><body style="margin:0">
    <newswire-widget loading="eager" feed="/feeds/plain" max-briefs="9" refresh="0"
      style="--newswire-height:${height}"></newswire-widget>
    <p id="after">The partner's page goes on.</p>
    <script async src="${server.url}/newswire/embed.js"></script></body></html>`;
}

/** Where each part of the widget sits, against the host's box. */
const layout = (tab) =>
  tab.evaluate(() => {
    const host = document.querySelector('newswire-widget');
    const root = host.shadowRoot;
    const box = (el) => el && el.getBoundingClientRect();
    const briefs = [...root.querySelectorAll('[part="brief"]')].map(box);
    return {
      host: box(host),
      strip: box(root.querySelector('[part="headlines"]')),
      list: box(root.querySelector('[part="briefs"]')),
      scrolls: root.querySelector('[part="briefs"]').scrollHeight > root.querySelector('[part="briefs"]').clientHeight + 1,
      lastBrief: briefs[briefs.length - 1],
      briefs: briefs.length,
      review: box(root.querySelector('[part="review"]')),
      submit: box(root.querySelector('[part="submit"]')),
      after: box(document.getElementById('after')),
    };
  });

before(async () => {
  server = await startServer();
  partner = await startPartner({
    '/scale.html': `<!doctype html><html lang="en"><body>
      <newswire-widget loading="eager" feed="/feeds/scale" max-briefs="50" refresh="0"></newswire-widget>
      <script async src="${server.url}/newswire/embed.js"></script></body></html>`,
    '/reserve.html': `<!doctype html><html lang="en"><body style="margin:0">
      <div id="column"><newswire-widget loading="eager" feed="/feeds/plain" refresh="0"></newswire-widget></div>
      <p>The partner's page goes on.</p>
      <script async src="${server.url}/newswire/embed.js"></script></body></html>`,
    // A partner's height: below the sections' minimum, and above it with more briefs than fit.
    '/short.html': sized('300px'),
    '/held.html': sized('640px'),
    // Room for 20 briefs and 9 in the feed: in view with the page going on below it, and
    // below the fold.
    '/spare.html': `<!doctype html><html lang="en"><body style="margin:0">
      <newswire-widget loading="eager" feed="/feeds/plain" max-briefs="20" refresh="0"></newswire-widget>
      <p id="after">The partner's page goes on.</p>
      <script async src="${server.url}/newswire/embed.js"></script></body></html>`,
    '/below.html': `<!doctype html><html lang="en"><body style="margin:0">
      <div style="block-size:3000px">The partner's article.</div>
      <newswire-widget loading="eager" feed="/feeds/plain" max-briefs="20" refresh="0"></newswire-widget>
      <p id="after">The partner's page goes on.</p>
      <script async src="${server.url}/newswire/embed.js"></script></body></html>`,
    '/feeds/plain': serve(fixture('feed.json')),
    '/feeds/scale': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/feed+json', 'cache-control': 'no-store' });
      res.end(feed());
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

test('a refresh that changes 10 of 50 briefs re-renders only those 10 rows', async () => {
  version = 1;
  const { context, tab, errors } = await open(browser, `${partner.url}/scale.html`);
  await ready(tab);
  const rows = () => tab.locator('newswire-widget [part="brief"]').count();
  assert.equal(await rows(), 50);
  await tab.evaluate(() => {
    const root = document.querySelector('newswire-widget').shadowRoot;
    const list = root.querySelector('.nw-brief-list');
    // Every row that exists now, by id: none of these may be touched by the refresh.
    window.__kept = new Map([...list.children].map((li) => [li.querySelector('h4').textContent, li]));
    window.__records = [];
    new MutationObserver((records) => window.__records.push(...records)).observe(list, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
    });
  });
  version = 2;
  await tab.evaluate(() => Newswire.refresh());
  await tab.waitForFunction(
    () => document.querySelector('newswire-widget').shadowRoot.querySelector('[part="brief"] h4').textContent === 'Brief number 0',
  );
  await tab.waitForTimeout(100);
  const seen = await tab.evaluate(() => {
    const list = document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief-list');
    const rowOf = (node) => (node.nodeType === 1 ? node : node.parentElement)?.closest('li');
    const touched = new Set();
    let added = 0;
    let removed = 0;
    for (const r of window.__records) {
      if (r.target === list) {
        added += [...r.addedNodes].filter((n) => n.localName === 'li').length;
        removed += [...r.removedNodes].filter((n) => n.localName === 'li').length;
      } else {
        const row = rowOf(r.target);
        if (row) touched.add(row);
      }
    }
    const keptTouched = [...window.__kept.values()].filter((li) => touched.has(li) && li.isConnected).length;
    const stillThere = [...window.__kept.values()].filter((li) => li.isConnected).length;
    return { added, removed, keptTouched, stillThere, rows: list.children.length };
  });
  assert.deepEqual(seen, { added: 10, removed: 10, keptTouched: 0, stillThere: 40, rows: 50 });
  assert.deepEqual(errors, []);
  await context.close();
});

const SECTIONS = ['headlines', 'briefs', 'review', 'headlines,briefs', 'headlines,review', 'briefs,review', 'headlines,briefs,review'];

test('the client-render reserve fits every sections and density, with and without show-rating, at 320, 640 and 1000 px', async () => {
  // (A viewport tall enough that the reserve is never fitted to the news: it is what is measured.)
  const { context, tab, errors } = await open(browser, `${partner.url}/reserve.html`, {
    reducedMotion: 'reduce',
    viewport: { width: 1280, height: 1400 },
  });
  await ready(tab);
  const misfits = [];
  for (const width of [320, 640, 1000]) {
    await tab.evaluate((w) => (document.getElementById('column').style.width = `${w}px`), width);
    for (const sections of SECTIONS) {
      // Each density, and the rating line where the review prompt shows.
      const choices = [['comfortable', false], ['compact', false]];
      if (sections.includes('review')) choices.push(['comfortable', true]);
      for (const [density, rating] of choices) {
        // Assemble: the attributes, and a turn for the loader's sheet and the wasm.
        await tab.evaluate(
          ([s, d, r]) => {
            const el = document.querySelector('newswire-widget');
            el.setAttribute('sections', s);
            el.setAttribute('density', d);
            el.toggleAttribute('show-rating', r);
          },
          [sections, density, rating],
        );
        await tab.waitForTimeout(120);
        // Action: what the content needs (every brief whole, no inner scrolling) against the
        // height the loader reserved.
        const fit = await tab.evaluate(() => {
          const host = document.querySelector('newswire-widget');
          const nw = host.shadowRoot.querySelector('.nw');
          const style = getComputedStyle(nw);
          const children = [...nw.children].filter((c) => getComputedStyle(c).display !== 'none' && c.getBoundingClientRect().height > 1);
          const gap = parseFloat(style.rowGap) || 0;
          const needed =
            parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth) +
            children.reduce((sum, c) => sum + (c.classList.contains('nw-briefs') ? c.scrollHeight : c.getBoundingClientRect().height), 0) +
            gap * Math.max(0, children.length - 1);
          return { needed, reserved: host.getBoundingClientRect().height };
        });
        // Assert (below): nothing is cut, and little is left empty.
        if (fit.needed > fit.reserved + 1) misfits.push(`${width}px ${sections} ${density}${rating ? ' show-rating' : ''}: needs ${Math.round(fit.needed)}, has ${Math.round(fit.reserved)}`);
      }
    }
  }
  assert.deepEqual(misfits, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a --newswire-height below the minimum holds the minimum and says so; above it the briefs scroll and the rest is whole', async () => {
  const short = await open(browser, `${partner.url}/short.html`);
  await ready(short.tab);
  // (Said by the second stage, which checks what the first painted.)
  await short.tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
  const warnings = short.console.filter((m) => m.type === 'warning').map((m) => m.text);
  assert.equal(warnings.filter((w) => w.includes('--newswire-height: 300px')).length, 1, warnings.join('\n'));
  let at = await layout(short.tab);
  // Headlines, the title, one brief row and the review prompt: 72 + 58 + 30 + 90 + 244.
  assert.equal(Math.round(at.host.height), 494);
  assert.ok(at.list.height > 60, `the briefs have room for one: ${at.list.height}px`);
  assert.ok(at.submit.bottom <= at.host.bottom, 'the send button is whole');
  assert.deepEqual(short.errors, []);
  await short.context.close();

  const held = await open(browser, `${partner.url}/held.html`);
  await ready(held.tab);
  at = await layout(held.tab);
  assert.equal(Math.round(at.host.height), 640, 'a height at or above the minimum is the partner’s');
  assert.ok(at.scrolls, 'the briefs scroll within it');
  assert.ok(at.strip.top >= at.host.top && at.review.bottom <= at.host.bottom, 'headlines and review whole');
  assert.ok(at.submit.bottom <= at.host.bottom);
  assert.ok(!held.console.some((m) => m.type === 'warning'), 'no warning at 640px');
  assert.deepEqual(held.errors, []);
  await held.context.close();
});

test('spare reserved space goes below the review prompt, and a widget below the fold shrinks to its news unseen', async () => {
  // In view, with the page going on below it: the box stays, the spare space at its end.
  const inView = await open(browser, undefined, { viewport: { width: 1000, height: 2600 } });
  await inView.tab.goto(`${partner.url}/spare.html`);
  await ready(inView.tab);
  await inView.tab.waitForTimeout(200);
  let at = await layout(inView.tab);
  assert.ok(at.briefs >= 6 && at.briefs < 20, `${at.briefs} briefs`);
  assert.ok(at.review.top - at.lastBrief.bottom < 40, `briefs and review together: ${at.review.top - at.lastBrief.bottom}px`);
  assert.ok(at.host.bottom - at.review.bottom > 500, `the spare space is below the review: ${at.host.bottom - at.review.bottom}px`);
  assert.deepEqual(inView.errors, []);
  await inView.context.close();

  // Below the fold: it ends at its news, and the page after it moved while nobody saw it.
  const below = await open(browser);
  await below.tab.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => window.__shifts.push(...list.getEntries().map((e) => e.value))).observe({ type: 'layout-shift', buffered: true });
  });
  await below.tab.goto(`${partner.url}/below.html`);
  await ready(below.tab);
  // (The second stage fits it, once it runs.)
  await below.tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
  await below.tab.waitForTimeout(200);
  at = await layout(below.tab);
  assert.ok(at.host.bottom - at.review.bottom < 40, `no spare space: ${at.host.bottom - at.review.bottom}px`);
  assert.ok(!at.scrolls, 'every brief shows');
  assert.ok(at.after.top - at.host.bottom < 40, 'the page goes on right after it');
  assert.deepEqual(await below.tab.evaluate(() => window.__shifts), []);
  assert.deepEqual(below.errors, []);
  await below.context.close();
});

test('no brief is cut mid-line: at 320, 390 and 768 px, and narrowed from 768 to 320, the briefs end on a whole brief, painted and hydrated', async () => {
  // The demo's feed, rendered by the server: its briefs' summaries wrap to two lines in a
  // narrow column. One widget with the reserved height, one whose height the partner holds
  // short of its briefs, so that they scroll at every width.
  const demo = await startServer({ feed: 'www/sample-feed.json' });
  const page = await startPartner({
    '/': `<!doctype html><html lang="en"><body style="margin:0">
      <newswire-widget id="reserved" loading="eager" feed="${demo.url}/feed.json" max-briefs="8"></newswire-widget>
      <newswire-widget id="held" loading="eager" feed="${demo.url}/feed.json" max-briefs="8" style="--newswire-height:720px"></newswire-widget>
      <script async src="${demo.url}/newswire/embed.js"></script></body></html>`,
  });
  // For each widget: how far the last brief that can be seen (in part) reaches past the edge
  // where the briefs are clipped, and whether they scroll.
  const cuts = (tab) =>
    tab.evaluate(() =>
      [...document.querySelectorAll('newswire-widget')].map((host) => {
        const box = host.shadowRoot.querySelector('.nw-briefs');
        const edge = box.getBoundingClientRect().top + box.clientHeight;
        const seen = [...box.querySelectorAll('.nw-brief')].map((b) => b.getBoundingClientRect()).filter((b) => b.top < edge - 0.5);
        return { id: host.id, past: Math.round(seen[seen.length - 1].bottom - edge), scrolls: box.scrollHeight > box.clientHeight + 1, box: `${box.clientHeight}px tall, max-block-size ${box.style.maxBlockSize || 'none'}` };
      }),
    );
  const seen = [];
  for (const width of [320, 390, 768]) {
    for (const stage of ['painted', 'hydrated']) {
      const { context, tab, errors } = await open(browser, undefined, { viewport: { width, height: 2000 } });
      // Painted: the first stage alone, its second stage held back.
      if (stage === 'painted') await tab.route('**/newswire-live.js*', () => {});
      await tab.goto(`${page.url}/`);
      await ready(tab, '#reserved');
      await ready(tab, '#held');
      if (stage === 'hydrated') {
        await tab.waitForSelector('#reserved[interactive]', { state: 'attached', timeout: 15000 });
        await tab.waitForSelector('#held[interactive]', { state: 'attached', timeout: 15000 });
        await tab.waitForTimeout(100);
      }
      for (const cut of await cuts(tab)) {
        seen.push(`${width}px ${stage} ${cut.id}: ${cut.past}px past the edge${cut.scrolls ? ', scrolls' : ''}`);
        assert.ok(cut.past <= 0, `${width}px ${stage} ${cut.id}: the last brief seen ends ${cut.past}px past the clipped edge (${cut.box})`);
        if (cut.id === 'held') assert.ok(cut.scrolls, `${width}px: the held widget's briefs scroll, so the test means something`);
      }
      // The same page narrowed as it stands (a phone turned): the briefs end whole again.
      if (width === 768) {
        await tab.setViewportSize({ width: 320, height: 2000 });
        await tab.waitForTimeout(100);
        for (const cut of await cuts(tab)) {
          assert.ok(cut.past <= 0, `768px narrowed to 320px, ${stage} ${cut.id}: the last brief seen ends ${cut.past}px past the clipped edge (${cut.box})`);
        }
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  }
  await page.close();
  await demo.stop();
});
