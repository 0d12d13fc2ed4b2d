// Content first, end to end: the server renders the widget for its own feed, the page shows
// that HTML before any wasm arrives, and the wasm hydrates those very nodes later. In real
// Chromium, with the partner page on another origin than the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startPartner, launch, open, page, tag, ready, serve, fixture } from './harness.mjs';

let server;
let partner;
let browser;
// A second server whose feed names no language, its items Russian.
let russian;
let byDay;

/** A partner page in `lang` with the one tag (`extra` attributes on it). */
function pageIn(lang, extra = '') {
  return page(tag(server, `data-loading="eager" ${extra}`)).replace('lang="en-GB"', `lang="${lang}"`);
}

before(async () => {
  server = await startServer({ args: ['--allow-loopback'] });
  const feed = JSON.parse(fixture('feed.json'));
  delete feed.language;
  for (const item of feed.items) item.language = 'ru';
  const file = join(mkdtempSync(join(tmpdir(), 'newswire-ru-')), 'feed.json');
  writeFileSync(file, JSON.stringify(feed));
  russian = await startServer({ feed: file });
  // RSS 1.0 whose one politics brief is dated by day alone (dc:date 2026-11-16).
  byDay = await startServer({ feed: join(process.cwd(), 'server/tests/fixtures/dates.rdf') });
  const include = await (await fetch(`${server.url}/newswire/include?tz=Europe/London`)).text();
  partner = await startPartner({
    '/': pageIn('en-GB'),
    '/en.html': pageIn('en'),
    '/ru.html': pageIn('ru'),
    '/ar.html': pageIn('ar').replace('<html ', '<html dir="rtl" '),
    '/rated.html': pageIn('en-GB', 'data-show-rating=""'),
    // Below the fold: shown (eager), but never in view until scrolled to.
    '/below.html': page(`<div style="height: 3000px"></div>${tag(server, 'data-loading="eager"')}`),
    '/other-feed.html': page(tag(server, 'data-loading="eager"').replace(`${server.url}/feed.json`, '/feed.json')),
    '/feed.json': serve(fixture('feed.json')),
    // The server's include, as a partner's own server would put it in its page: with no
    // script at all, and with the loader beside it.
    '/include.html': page(include),
    '/include-loader.html': page(`${include}<script async src="${server.url}/newswire/embed.js"></script>`),
    // The loader defined before the parser reaches the include.
    '/include-after.html': page(include).replace(
      '<link rel="icon" href="data:,">',
      `<link rel="icon" href="data:,"><script src="${server.url}/newswire/embed.js"></script>`,
    ),
    '/by-day.html': page(tag(byDay, 'data-loading="eager"')),
    '/russian.html': page(`<script async src="${russian.url}/newswire/embed.js" data-feed="${russian.url}/feed.json" data-loading="eager"></script>`).replace(
      'lang="en-GB"',
      'lang="en"',
    ),
    // A long page still arriving: the snippet (the element, then the loader) comes at once,
    // the rest of the page seconds later.
    '/streaming.html': (req, res) => {
      const [head, rest] = page(
        `<newswire-widget feed="${server.url}/feed.json" loading="eager" style="display:block;block-size:994px"></newswire-widget>
<script async src="${server.url}/newswire/embed.js"></script><!--cut-->`,
      ).split('<!--cut-->');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // Enough bytes that the browser parses what it has rather than waiting for more.
      res.write(head + `<!--${' '.repeat(4096)}-->`);
      const timer = setTimeout(() => res.end(rest), 4000);
      res.on('close', () => clearTimeout(timer));
    },
    '/markup.html': pageIn('en-GB', `data-title='"><img src=x onerror="window.__xss=1"><b>Bold</b>'`),
    '/strict.html': (req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        // No 'wasm-unsafe-eval': the wasm cannot compile here.
        'content-security-policy': `default-src 'none'; script-src ${server.url}; connect-src ${server.url}; style-src 'self'; img-src data:`,
      });
      res.end(pageIn('en-GB'));
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
  await russian?.stop();
  await byDay?.stop();
});

/** Holds every request for the wasm until `release()`; `asked()` says whether one came. */
async function holdWasm(tab) {
  let release;
  const held = new Promise((resolve) => (release = resolve));
  let asked = false;
  await tab.route('**/newswire_bg.wasm', async (route) => {
    asked = true;
    await held;
    await route.continue();
  });
  return { release, asked: () => asked };
}

const interactive = (tab) =>
  tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });

/** The widget's whole text as a reader reads it. */
const text = (tab) => tab.evaluate(() => document.querySelector('newswire-widget').shadowRoot.querySelector('.nw').innerText);

test('with the wasm held back, the headlines, briefs and review prompt are on screen and ready', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = await holdWasm(tab);
  const events = [];
  await tab.exposeFunction('__event', (name) => events.push(name));
  await tab.addInitScript(() => {
    for (const name of ['ready', 'interactive']) {
      addEventListener(`newswire:${name}`, () => window.__event(name));
    }
  });
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  assert.ok((await tab.locator('newswire-widget .nw-headline').count()) > 0);
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
  assert.ok(await tab.locator('newswire-widget .nw-form').isVisible());
  assert.equal(await tab.locator('newswire-widget .nw-offline').isVisible(), false);
  assert.equal(await tab.locator('newswire-widget[interactive]').count(), 0);
  // Dates in the reader's regional format: an English page, a British reader.
  assert.match(await text(tab), /\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2}/);
  wasm.release();
  await interactive(tab);
  await tab.waitForTimeout(100);
  assert.deepEqual(events, ['ready', 'interactive'], 'one ready, when the news was on screen');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the wasm is not fetched at load: only once the widget is in view and the page idle', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = [];
  tab.on('request', (req) => req.url().endsWith('.wasm') && wasm.push(req.url()));
  await tab.goto(`${partner.url}/below.html`);
  await ready(tab);
  await tab.waitForTimeout(1500);
  assert.deepEqual(wasm, [], 'no wasm for a widget out of view');
  await tab.locator('newswire-widget').scrollIntoViewIfNeeded();
  await interactive(tab);
  assert.equal(wasm.length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('hydration keeps every node, the ticker where it was, and what the reader typed, which is sent', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = await holdWasm(tab);
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  // Mark a brief, and read the ticker's place.
  const before = await tab.evaluate(() => {
    const root = document.querySelector('newswire-widget').shadowRoot;
    window.__brief = root.querySelector('.nw-brief');
    window.__track = root.querySelector('.nw-track');
    window.__animation = root.querySelector('.nw-track').getAnimations()[0];
    return window.__animation.currentTime;
  });
  // The reader picks four stars and types, before the wasm is there.
  await tab.locator('newswire-widget input[name="rating"][value="4"]').check();
  await tab.locator('newswire-widget textarea').fill('Written before the wasm came');
  wasm.release();
  await interactive(tab);
  const after = await tab.evaluate(() => {
    const root = document.querySelector('newswire-widget').shadowRoot;
    return {
      brief: window.__brief === root.querySelector('.nw-brief'),
      track: window.__track === root.querySelector('.nw-track'),
      animation: window.__animation === root.querySelector('.nw-track').getAnimations()[0],
      time: root.querySelector('.nw-track').getAnimations()[0].currentTime,
      comment: root.querySelector('textarea').value,
      stars: root.querySelector('input[name="rating"]:checked')?.value,
    };
  });
  assert.ok(after.brief && after.track, 'the same nodes');
  assert.ok(after.animation, 'the same running animation');
  assert.ok(after.time >= before, `the ticker went on from ${before} ms, not back to ${after.time}`);
  assert.equal(after.comment, 'Written before the wasm came');
  assert.equal(after.stars, '4');
  await tab.locator('newswire-widget .nw-submit').click();
  await tab.locator('newswire-widget .nw-status.is-done').waitFor();
  const stored = server.reviews().at(-1);
  assert.deepEqual([stored[0], stored[1]], [4, 'Written before the wasm came']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a review sent before the wasm came is sent once it has', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = await holdWasm(tab);
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  await tab.locator('newswire-widget input[name="rating"][value="5"]').check();
  await tab.locator('newswire-widget textarea').fill('Sent early');
  await tab.locator('newswire-widget .nw-submit').click();
  // The page did not navigate, and nothing was sent yet.
  assert.equal(new URL(tab.url()).search, '');
  wasm.release();
  await tab.locator('newswire-widget .nw-status.is-done').waitFor({ timeout: 15000 });
  assert.deepEqual(server.reviews().at(-1).slice(0, 2), [5, 'Sent early']);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, path, locale, timezoneId] of [
  ['en-GB in Europe/London', '/', 'en-GB', 'Europe/London'],
  ['ru-RU in Asia/Baku', '/ru.html', 'ru-RU', 'Asia/Baku'],
  ['ar-EG in Africa/Cairo, right to left', '/ar.html', 'ar-EG', 'Africa/Cairo'],
  ['with the public rating', '/rated.html', 'en-GB', 'Europe/London'],
]) {
  test(`the widget's text is the same before and after hydration: ${name}`, async () => {
    const { context, tab, errors } = await open(browser, undefined, { locale, timezoneId });
    const wasm = await holdWasm(tab);
    await tab.goto(`${partner.url}${path}`);
    await ready(tab);
    const shown = await text(tab);
    await tab.evaluate(() => (window.__brief = document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')));
    wasm.release();
    await interactive(tab);
    await tab.waitForTimeout(200);
    assert.equal(await text(tab), shown);
    assert.ok(
      await tab.evaluate(() => window.__brief === document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')),
      'hydrated, not rendered anew',
    );
    if (locale === 'ar-EG') {
      assert.equal(await tab.evaluate(() => document.querySelector('newswire-widget').shadowRoot.querySelector('.nw').dir), 'rtl');
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('British dates for an en-GB reader of an English page: "5 December 2023 22:27", not "December 5"', async () => {
  const { context, tab } = await open(browser, `${partner.url}/en.html`, { locale: 'en-GB', timezoneId: 'UTC' });
  await ready(tab);
  const dates = await tab.locator('newswire-widget time').allInnerTexts();
  assert.ok(dates.length > 0);
  for (const date of dates) assert.match(date, /^\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2}$/, date);
  await context.close();
  const us = await open(browser, `${partner.url}/en.html`, { locale: 'en-US', timezoneId: 'UTC' });
  await ready(us.tab);
  assert.match((await us.tab.locator('newswire-widget time').allInnerTexts())[0], /^[A-Z][a-z]+ \d{1,2}, \d{4}/);
  await us.context.close();
});

test('a date alone shows as that day, without a time, in every reader’s time zone, painted and hydrated', async () => {
  for (const timezoneId of ['America/Los_Angeles', 'Pacific/Kiritimati']) {
    const { context, tab, errors } = await open(browser, `${partner.url}/by-day.html`, { locale: 'en-GB', timezoneId });
    await ready(tab);
    const time = tab.locator('newswire-widget time').first();
    assert.equal(await time.getAttribute('datetime'), '2026-11-16');
    assert.equal(await time.innerText(), '16 November 2026', `painted, ${timezoneId}`);
    await tab.locator('newswire-widget textarea').focus();
    await interactive(tab);
    assert.equal(await time.innerText(), '16 November 2026', `hydrated, ${timezoneId}`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('the first stage alone paints the news: with the second stage refused, dated briefs, headlines, and a note that reviews cannot be sent', async () => {
  const { context, tab, errors, console } = await open(browser);
  let asked = 0;
  await tab.route('**/newswire-live.js*', (route) => {
    asked++;
    return route.abort();
  });
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  assert.ok((await tab.locator('newswire-widget .nw-headline').count()) > 0);
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
  assert.match(await text(tab), /\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2}/, 'dates by Intl, in the first stage');
  // In view and idle, it asks for the second stage, is refused, and keeps the news.
  await tab.locator('newswire-widget .nw-offline').waitFor({ timeout: 15000 });
  assert.ok(asked > 0, 'the second stage was asked for');
  assert.equal(await tab.locator('newswire-widget[interactive]').count(), 0);
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0, 'the news stays');
  assert.ok(console.some((m) => m.type === 'warning' && /reviews cannot be sent/.test(m.text)));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a CSP without wasm-unsafe-eval still shows the news, says reviews cannot be sent, and throws nothing', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/strict.html`);
  await ready(tab);
  await tab.locator('newswire-widget .nw-offline').waitFor({ timeout: 15000 });
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
  assert.equal(await tab.locator('newswire-widget .nw-form').isVisible(), false);
  const link = await tab.locator('newswire-widget .nw-brief a').first().getAttribute('href');
  assert.match(link, /^https?:\/\//, 'the links still work');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the Declarative Shadow DOM include shows the news on a page with no script at all', async () => {
  const { context, tab } = await open(browser, `${partner.url}/include.html`, { javaScriptEnabled: false });
  await tab.locator('newswire-widget .nw-brief').first().waitFor();
  assert.ok((await tab.locator('newswire-widget .nw-headline').count()) > 0);
  // Reviews cannot work without script, and the widget says so instead of a dead form.
  assert.ok(await tab.locator('newswire-widget .nw-offline').isVisible());
  assert.equal(await tab.locator('newswire-widget .nw-form').isVisible(), false);
  // Dates in the zone the include asked for.
  assert.match((await tab.locator('newswire-widget time').allInnerTexts())[0], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} (GMT|BST)$/);
  await context.close();
});

test('with the loader beside it, the include is adopted and hydrated, and a review lands in SQLite', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/include-loader.html`);
  await interactive(tab);
  assert.equal(await tab.locator('newswire-widget').count(), 1, 'adopted, not doubled');
  assert.equal(await tab.locator('newswire-widget .nw-offline').isVisible(), false);
  await tab.locator('newswire-widget input[name="rating"][value="3"]').check();
  await tab.locator('newswire-widget textarea').fill('From the include');
  await tab.locator('newswire-widget .nw-submit').click();
  await tab.locator('newswire-widget .nw-status.is-done').waitFor();
  assert.deepEqual(server.reviews().at(-1).slice(0, 2), [3, 'From the include']);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, change] of [
  ['HTML from another release', (html) => html.replace(/data-release="[^"]*"/, 'data-release="another"')],
  ['state that cannot be read', (html) => html.replace(/<script type="application\/json" class="nw-state">[^<]*<\/script>/, '<script type="application/json" class="nw-state">{"news": 7}</script>')],
]) {
  test(`${name} gives a clean client render, with no trap`, async () => {
    const { context, tab, errors, console } = await open(browser);
    const wasm = await holdWasm(tab);
    await tab.route('**/newswire/render*', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: change(await response.text()) });
    });
    const feeds = [];
    tab.on('request', (req) => new URL(req.url()).pathname === '/feed.json' && feeds.push(req.url()));
    await tab.goto(`${partner.url}/`);
    await ready(tab);
    await tab.evaluate(() => (window.__brief = document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')));
    wasm.release();
    await interactive(tab);
    await ready(tab);
    await tab.locator('newswire-widget .nw-brief').first().waitFor();
    assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
    assert.equal(feeds.length, 1, 'the widget fetched its feed itself');
    assert.ok(
      await tab.evaluate(() => window.__brief !== document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')),
      'rendered anew, not hydrated',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(console.filter((m) => m.type === 'error'), []);
    await context.close();
  });
}

test('a feed on another origin renders on the client: no render request, the feed fetched', async () => {
  const { context, tab, errors } = await open(browser);
  const asked = [];
  tab.on('request', (req) => asked.push(new URL(req.url()).pathname));
  await tab.goto(`${partner.url}/other-feed.html`);
  await ready(tab);
  assert.ok(!asked.includes('/newswire/render'));
  assert.ok(asked.includes('/feed.json'));
  assert.ok(await tab.locator('newswire-widget[interactive]').count(), 'interactive as soon as it shows');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an attribute changed before hydration hydrates the widget, then applies the change', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = await holdWasm(tab);
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  await tab.evaluate(() => document.querySelector('newswire-widget').setAttribute('title', 'Changed in place'));
  wasm.release();
  await interactive(tab);
  await tab.locator('newswire-widget .nw-title', { hasText: 'Changed in place' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the server and the wasm choose the same language: a feed that names none, its items Russian', async () => {
  const { context, tab, errors } = await open(browser, undefined, { locale: 'en-GB' });
  const wasm = await holdWasm(tab);
  await tab.goto(`${partner.url}/russian.html`);
  await ready(tab);
  const shown = await text(tab);
  assert.match(shown, /оставьте отзыв|последнее в рубрике/i, 'Russian, from the items');
  wasm.release();
  await interactive(tab);
  await tab.waitForTimeout(200);
  assert.equal(await text(tab), shown);
  assert.deepEqual(errors, []);
  await context.close();
});

test('markup in an attribute is text in the rendered HTML, never markup', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/markup.html`);
  await ready(tab);
  await interactive(tab);
  const title = tab.locator('newswire-widget .nw-title');
  assert.match(await title.innerText(), /<img src=x onerror=/);
  assert.equal(await tab.locator('newswire-widget .nw-title b').count(), 0);
  assert.equal(await tab.evaluate(() => window.__xss), undefined);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an attribute changed while the render is on its way is applied after hydration, with no trap', async () => {
  const { context, tab, errors } = await open(browser);
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await tab.route('**/newswire/render*', async (route) => {
    await held;
    await route.continue();
  });
  await tab.goto(`${partner.url}/`);
  await tab.waitForSelector('newswire-widget[state="loading"]', { state: 'attached' });
  await tab.waitForTimeout(200);
  // The render was asked for all three sections; the page now wants two.
  await tab.evaluate(() => document.querySelector('newswire-widget').setAttribute('sections', 'headlines,review'));
  release();
  await ready(tab);
  await interactive(tab);
  await tab.waitForFunction(() => !document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-briefs'));
  assert.ok(await tab.locator('newswire-widget .nw-form').isVisible());
  assert.equal(await tab.locator('newswire-widget .nw-boot').count(), 0, 'no fallback');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a widget moved on the page while its wasm is on the way is not hydrated twice, nor lost', async () => {
  const { context, tab, errors } = await open(browser);
  const wasm = await holdWasm(tab);
  await tab.goto(`${partner.url}/`);
  await ready(tab);
  await tab.locator('newswire-widget').hover();
  await tab.waitForTimeout(100);
  // Moved: taken off the page and put back further down.
  await tab.evaluate(() => {
    const el = document.querySelector('newswire-widget');
    el.remove();
    document.getElementById('after').after(el);
  });
  wasm.release();
  await interactive(tab);
  await ready(tab);
  await tab.locator('newswire-widget .nw-brief').first().waitFor();
  assert.equal(await tab.locator('newswire-widget .nw-boot').count(), 0, 'no fallback');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a loader that runs before the parser reaches the include still adopts it', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/include-after.html`);
  await interactive(tab);
  assert.equal(await tab.locator('newswire-widget').count(), 1);
  assert.equal(await tab.evaluate(() => document.querySelector('newswire-widget template')), null, 'the declared root was attached');
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a page still arriving, the element the parser has gone past shows its news before the page ends', async () => {
  const { context, tab, errors } = await open(browser);
  try {
    await tab.goto(`${partner.url}/streaming.html`, { waitUntil: 'commit' });
    await ready(tab);
    // Still loading: the rest of the page is seconds away.
    assert.equal(await tab.evaluate(() => document.readyState), 'loading');
    assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
