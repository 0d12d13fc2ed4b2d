// The widget end to end: a partner page on its own origin, carrying only the script tag,
// loads the real widget from the real newswire-server in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { DIST, startServer, startPartner, launch, open, page, tag, fixture, serve, ready, sqlite } from './harness.mjs';
import { FIRST_RENDER_FILES } from '../../scripts/wire-size.mjs';

let server;
let partner;
let browser;
// Reviews posted to the partner's flaky endpoint: the first attempt fails, the next succeeds.
let flakyCalls = 0;
// Requests that reached the partner's counted feed.
let countedFeed = 0;

/** A feed that counts its requests, sent with `cache` as its Cache-Control. */
function counted(cache) {
  return (req, res) => {
    countedFeed += 1;
    // Slow enough that the widget asks while the loader's request is still out.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/feed+json', 'access-control-allow-origin': '*', 'cache-control': cache });
      res.end(fixture('feed.json'));
    }, 300);
  };
}

before(async () => {
  server = await startServer();
  partner = await startPartner({
    '/one.html': page(tag(server)),
    '/two.html': page(
      tag(server) +
        // Below the fold: eager, or it would wait to be scrolled near.
        `<newswire-widget id="second" loading="eager" feed="${server.url}/feed.json" max-briefs="2" theme="dark"></newswire-widget>`,
    ),
    '/twice.html': page(tag(server) + tag(server, 'data-max-briefs="3" data-loading="eager"')),
    '/bad-attrs.html': page(
      tag(server) +
        `<newswire-widget id="odd" loading="eager" feed="${server.url}/feed.json" theme="neon" max-briefs="zero" accent="banana" density="roomy" fallback-url="javascript:alert(1)"></newswire-widget>`,
    ),
    '/no-feed.html': page(`<script async src="${server.url}/newswire/embed.js"></script><newswire-widget></newswire-widget>`),
    '/html-feed.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/error-page')),
    '/rss-feed.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/not-a-feed')),
    '/down-feed.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/down')),
    '/flaky-review.html': page(tag(server, 'data-review-endpoint="/flaky-reviews"')),
    // Real pages carry language values that Intl rejects; the widget must not choke on them.
    '/odd-lang.html': page(tag(server)).replace('lang="en-GB"', 'lang="en_US"'),
    '/rating.html': page(tag(server, 'data-show-rating')),
    '/prefetch.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/counted')),
    '/client.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/plain')),
    '/client-rating.html': page(tag(server, `data-show-rating data-review-endpoint="${server.url}/api/reviews"`).replace(`${server.url}/feed.json`, '/feeds/plain')),
    '/feeds/plain': serve(fixture('feed.json')),
    '/feeds/counted': counted('public, max-age=60'),
    // As third-party feed hosts often send: no copy may be kept, so no cache can share it.
    '/nostore.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/nostore')),
    '/feeds/nostore': counted('no-store'),
    '/feeds/error-page': serve(fixture('error-page.html'), 200, 'text/html'),
    '/feeds/not-a-feed': serve(fixture('not-a-feed.json')),
    '/feeds/down': serve('{"error": "down"}', 404, 'application/json'),
    '/flaky-reviews': (req, res) => {
      flakyCalls += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(flakyCalls === 1 ? 503 : 201, { 'content-type': 'application/json' });
        res.end(flakyCalls === 1 ? '{"error": "busy"}' : '{"id": 99}');
      });
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});


test('one script tag on a partner page renders headlines, briefs and the review prompt', async () => {
  const { context, tab, errors, console } = await open(browser, `${partner.url}/one.html`);
  await ready(tab);

  const host = tab.locator('newswire-widget');
  assert.equal(await host.count(), 1);
  assert.equal(await host.evaluate((el) => el.shadowRoot?.mode), 'open');
  assert.equal(await host.evaluate((el) => el.previousElementSibling?.tagName), 'SCRIPT', 'placed where the tag stands');

  const headlines = tab.locator('[part="headline"]');
  assert.equal(await headlines.count(), 1);
  assert.match(await headlines.first().innerText(), /Lead story: the assembly sits through the night/);
  assert.ok(await tab.locator('[part="headlines"] button[aria-label="Pause headlines"]').isVisible());

  const briefs = tab.locator('[part="brief"]');
  assert.equal(await briefs.count(), 5);
  const titles = await tab.locator('[part="brief"] h4').allInnerTexts();
  assert.deepEqual(titles, [
    'Committee backs the budget timetable',
    'Second brief',
    'Third brief',
    'A brief whose link is not a web link',
    'Fifth brief',
  ]);
  const first = await briefs.first().innerText();
  assert.match(first, /5 December 2023 22:27/);
  assert.match(first, /The vote was unanimous\./);
  assert.match(await briefs.nth(2).innerText(), /Turnout was higher & steady\./);
  assert.equal(await briefs.nth(3).locator('a').count(), 0, 'a javascript: URL is not a link');
  assert.equal(
    await briefs.first().locator('time').getAttribute('datetime'),
    '2023-12-05T22:27:00Z',
  );

  const hrefs = await tab.locator('newswire-widget a').evaluateAll((links) => links.map((a) => a.href));
  assert.ok(hrefs.length >= 5);
  for (const href of hrefs) assert.match(href, /^https?:\/\//);

  const review = tab.locator('[part="review"]');
  assert.ok(await review.isVisible());
  assert.match(await review.innerText(), /Leave a review/i);

  assert.equal(await tab.evaluate(() => window.__nwRan), undefined, 'no feed script ran');
  assert.deepEqual(errors, []);
  assert.deepEqual(console.filter((m) => m.type === 'error' || m.type === 'warning'), []);
  await context.close();
});

/**
 * Our URLs the docs name that the loader does not fetch, with who does: a partner who
 * preloads a URL from the docs must get a file the widget then uses, not a second copy.
 */
const NAMED_BUT_NOT_LOADED = {
  '/newswire/include': "the publisher's own pages include it, server side",
  '/newswire/newswire.d.ts': 'the TypeScript declarations, for tooling',
  '/newswire/v/{release}/embed.js': "a pinned tag's own src",
};

test('the README’s snippet, on a partner site that shares the reader’s cookies for the server, sends none of them', async () => {
  // Assemble: the snippet as the README gives it, on a page of the same site as the server
  // (127.0.0.1, another port), and a cookie the reader has for the server's host.
  const readme = readFileSync('README.md', 'utf8');
  const snippet = /## Embed it[\s\S]*?```html\n([\s\S]*?)```/.exec(readme)[1].replaceAll('https://HOST', server.url);
  assert.match(snippet, /crossorigin="anonymous"/);
  const site = await startPartner({ '/readme.html': page(snippet.replace('style="', 'loading="eager" style="')) });
  const { context, tab, errors } = await open(browser);
  const host = new URL(server.url).hostname;
  await context.addCookies([{ name: 'agency', value: 'reader-secret', domain: host, path: '/' }]);
  const sent = [];
  tab.on('request', (r) => {
    if (r.url().startsWith(server.url)) sent.push(r);
  });
  // Action: the page, its news, and the wasm.
  await tab.goto(`${site.url.replace('localhost', '127.0.0.1')}/readme.html`);
  await ready(tab);
  await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
  // Assert: every request to the server went without the reader's cookie, the loader's too.
  const headers = await Promise.all(sent.map(async (r) => [r.url(), (await r.allHeaders()).cookie]));
  assert.ok(headers.some(([url]) => url.endsWith('/embed.js')), headers.map(([u]) => u).join(', '));
  assert.deepEqual(headers.filter(([, cookie]) => cookie), [], 'requests that carried a cookie');
  assert.deepEqual(errors, []);
  await context.close();
  await site.close();
});

test('every widget URL the docs name is one the loader fetches, or says who does', async () => {
  const { context, tab, errors } = await open(browser);
  const fetched = new Set();
  const release = (path) => path.replace(/\/v\/[0-9a-f]{12}\//, '/v/{release}/');
  tab.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin === server.url) fetched.add(release(url.pathname));
  });
  await tab.goto(`${partner.url}/one.html`);
  await ready(tab);
  await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
  const docs = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const named = new Set();
  for (const file of docs) {
    // A path on our server: /newswire/ and a file or a route (a folder such as `…` is
    // prose; /etc/newswire/ is a folder on the operator's disk).
    for (const [path] of readFileSync(file, 'utf8').matchAll(/(?<!\/etc)\/newswire\/(v\/[^/\s`)]+\/)?[\w.-]+(?=[\s`)"'?#,;:]|$)/gm)) {
      if (!path.startsWith('/newswire/v/') || /^\/newswire\/v\/([0-9a-f]{12}|\{release\})\//.test(path)) named.add(`${release(path)} (${file})`);
    }
  }
  assert.ok(named.size >= 3, [...named].join(', '));
  assert.ok(fetched.has('/newswire/v/{release}/newswire_bg.wasm'), [...fetched].join(', '));
  for (const entry of named) {
    const path = entry.split(' ')[0];
    assert.ok(fetched.has(path) || NAMED_BUT_NOT_LOADED[path], `${entry} is never fetched by the loader: ${[...fetched].join(', ')}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a review written with the keyboard lands as a row in SQLite', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/one.html`);
  await ready(tab);

  // Keyboard only, from the top of the page: Tab through the host's and the widget's
  // controls (headlines, briefs) to the stars.
  const onStar = () =>
    tab.evaluate(() => document.querySelector('newswire-widget').shadowRoot.activeElement?.type === 'radio');
  let presses = 0;
  for (; presses < 40 && !(await onStar()); presses++) await tab.keyboard.press('Tab');
  assert.ok(await onStar(), `the stars are reachable with Tab (${presses} presses)`);
  assert.ok(await tab.locator('input[aria-label="1 star out of 5"]').evaluate((el) => el === el.getRootNode().activeElement));
  await tab.keyboard.press('ArrowRight');
  await tab.keyboard.press('ArrowRight');
  await tab.keyboard.press('ArrowRight');
  assert.ok(await tab.locator('input[aria-label="4 stars out of 5"]').isChecked());
  await tab.keyboard.press('Tab');
  await tab.keyboard.type('Clear and short — thank you.');
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Enter');

  await tab.locator('[part="status"]', { hasText: 'Thank you! Your review was sent.' }).waitFor();
  const rows = server.reviews();
  assert.equal(rows.length, 1);
  const [rating, comment, subject, pageUrl] = rows[0];
  const [{ key }] = sqlite(server.db, 'SELECT key FROM reviews');
  assert.equal(rating, 4);
  assert.equal(comment, 'Clear and short — thank you.');
  assert.equal(subject, 'lead-1');
  assert.equal(pageUrl, `${partner.url}/one.html`);
  assert.match(key, /^[0-9a-f]{32}$/);

  const summary = await (await fetch(`${server.url}/api/reviews/summary`)).json();
  assert.deepEqual(summary, { count: 1, average: 4 });
  assert.deepEqual(await context.cookies(), [], 'no cookies');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a failed review keeps the draft and the retry stores it', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/flaky-review.html`);
  await ready(tab);
  await tab.locator('input[aria-label="2 stars out of 5"]').check();
  await tab.locator('textarea').fill('Please keep this text.');
  await tab.locator('[part="submit"]').click();

  const status = tab.locator('[part="status"]');
  await status.filter({ hasText: 'The review service had a problem (HTTP 503)' }).waitFor();
  assert.equal(await tab.locator('textarea').inputValue(), 'Please keep this text.');
  assert.ok(await tab.locator('input[aria-label="2 stars out of 5"]').isChecked());

  await status.getByRole('button', { name: 'Retry' }).click();
  await status.filter({ hasText: 'Thank you!' }).waitFor();
  assert.equal(flakyCalls, 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test('two widgets on one page both render, each with its own attributes', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/two.html`);
  await ready(tab, 'newswire-widget:not(#second)');
  await ready(tab, '#second');
  assert.equal(await tab.locator('newswire-widget').count(), 2);
  assert.equal(await tab.locator('#second [part="brief"]').count(), 2);
  assert.equal(await tab.locator('newswire-widget:not(#second) [part="brief"]').count(), 5);
  const backgrounds = await tab
    .locator('newswire-widget .nw')
    .evaluateAll((els) => els.map((el) => getComputedStyle(el).backgroundColor));
  assert.notEqual(backgrounds[0], backgrounds[1], 'the second is dark');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a page with the tag twice loads the wasm once and shows two widgets', async () => {
  const { context, tab, errors } = await open(browser);
  const fetched = [];
  tab.on('request', (req) => fetched.push(new URL(req.url()).pathname));
  await tab.goto(`${partner.url}/twice.html`);
  await tab.waitForFunction(
    () => [...document.querySelectorAll('newswire-widget')].filter((w) => w.getAttribute('state') === 'ready').length === 2,
  );
  // Each is hydrated once it is in view.
  for (const n of [0, 1]) {
    await tab.locator('newswire-widget').nth(n).scrollIntoViewIfNeeded();
    await tab.waitForFunction((i) => document.querySelectorAll('newswire-widget')[i].hasAttribute('interactive'), n);
  }
  // The release's files, wherever the loader's stamp puts them.
  const count = (name) => fetched.filter((p) => p.startsWith('/newswire/') && p.endsWith('/' + name)).length;
  assert.equal(count('newswire_bg.wasm'), 1);
  assert.equal(count('newswire.js'), 1);
  assert.equal(count('newswire.css'), 1);
  const briefCounts = await tab
    .locator('newswire-widget')
    .evaluateAll((els) => els.map((el) => el.shadowRoot.querySelectorAll('[part="brief"]').length));
  assert.deepEqual(briefCounts.sort(), [3, 5]);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, path, held] of [
  ['the server renders it', '/one.html', '**/newswire/render*'],
  ['it renders on the client', '/client.html', '**/newswire_bg.wasm'],
  // The summary comes after the news: its line is held, so the review form stays put.
  ['it renders on the client with show-rating', '/client-rating.html', '**/api/reviews/summary*'],
]) {
  test(`space is reserved before the news arrives, so nothing on the page moves: ${name}`, async () => {
    if (path === '/client-rating.html') {
      const seeded = await fetch(`${server.url}/api/reviews`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rating: 4, comment: 'seeded for the rating line' }),
      });
      assert.equal(seeded.status, 201);
    }
    const { context, tab, errors } = await open(browser);
    // Hold the news back so that the loading state can be measured.
    await tab.route(held, async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    await tab.addInitScript(() => {
      window.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__shifts.push({ value: e.value, time: e.startTime });
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await tab.goto(`${partner.url}${path}`);
    await tab.waitForSelector('newswire-widget[state="loading"]', { state: 'attached' });
    const placed = await tab.evaluate(() => performance.now());
    const box = async () =>
      tab.evaluate(() => ({
        after: document.getElementById('after').getBoundingClientRect().top,
        height: document.querySelector('newswire-widget').getBoundingClientRect().height,
      }));
    const loading = await box();
    assert.ok(loading.height > 300, `reserved ${loading.height}px`);
    await ready(tab);
    await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
    if (path === '/client-rating.html') {
      await tab.waitForFunction(() => /★/.test(document.querySelector('newswire-widget').shadowRoot.querySelector('[part="rating"]')?.textContent));
    }
    await tab.waitForTimeout(100);
    const shown = await box();
    if (shown.height !== loading.height) {
      // Fitted to its news (the reserve was for more), which is allowed only unseen: what
      // follows it was below the viewport before and after.
      const bottom = await tab.evaluate(() => innerHeight);
      assert.ok(shown.height < loading.height, `${shown.height} < ${loading.height}`);
      assert.ok(loading.after >= bottom && shown.after >= bottom, `${JSON.stringify({ loading, shown, bottom })}`);
    }
    const shifts = await tab.evaluate((t) => window.__shifts.filter((s) => s.time > t), placed);
    assert.deepEqual(shifts, [], 'no layout shift once the widget is placed');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('the release goes out brotli-encoded', async () => {
  const { context, tab, errors } = await open(browser);
  const responses = [];
  tab.on('response', (r) => responses.push(r));
  await tab.goto(`${partner.url}/one.html`);
  await ready(tab);
  await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
  for (const name of FIRST_RENDER_FILES) {
    // The loader at /newswire/embed.js, the rest from its release's folder.
    const response = responses.find((r) => /^\/newswire\/(v\/[0-9a-f]{12}\/)?/.test(new URL(r.url()).pathname) && new URL(r.url()).pathname.endsWith(`/${name}`));
    assert.ok(response, `${name} was fetched`);
    assert.equal(response.headers()['content-encoding'], 'br', name);
  }
  // And the rendered widget, brotli too (compressed once, when it is cached).
  const render = responses.find((r) => new URL(r.url()).pathname === '/newswire/render');
  assert.equal(render.headers()['content-encoding'], 'br');
  assert.deepEqual(errors, []);
  await context.close();
});

/** The type each kind of file the build writes goes out with (under `nosniff`). */
const SERVED_TYPES = {
  '.html': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  // A TypeScript declaration, to read: not `video/mp2t`, as a guess by extension has it.
  '.d.ts': 'text/plain; charset=utf-8',
};

test('every file the build writes is served with its own type, and a new kind of file must say which', async () => {
  const files = readdirSync(DIST, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !/\.(br|gz)$/.test(e.name))
    .map((e) => relative(DIST, join(e.parentPath, e.name)));
  const kinds = new Set();
  for (const file of files) {
    const kind = file.endsWith('.d.ts') ? '.d.ts' : extname(file);
    assert.ok(SERVED_TYPES[kind], `the build writes ${file}: add its type to SERVED_TYPES`);
    kinds.add(kind);
    const reply = await fetch(`${server.url}/${file}`);
    assert.equal(reply.status, 200, file);
    assert.equal(reply.headers.get('content-type'), SERVED_TYPES[kind], file);
    assert.equal(reply.headers.get('x-content-type-options'), 'nosniff', file);
    await reply.arrayBuffer();
  }
  assert.deepEqual([...kinds].sort(), Object.keys(SERVED_TYPES).sort(), 'every kind listed is built');
});

test('under reduced motion the headline strip does not move', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/one.html`, { reducedMotion: 'reduce' });
  await ready(tab);
  const motion = await tab.locator('newswire-widget .nw-track').evaluate((el) => ({
    animation: getComputedStyle(el).animationName,
    running: el.getAnimations().length,
    copy: getComputedStyle(el.querySelector('.nw-copy')).display,
  }));
  assert.deepEqual(motion, { animation: 'none', running: 0, copy: 'none' });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the ticker scrolls otherwise, and its button pauses it', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/one.html`, { reducedMotion: 'no-preference' });
  await ready(tab);
  const track = tab.locator('newswire-widget .nw-track');
  const state = () => track.evaluate((el) => getComputedStyle(el).animationPlayState);
  assert.equal(await track.evaluate((el) => getComputedStyle(el).animationName), 'nw-scroll');
  assert.equal(await state(), 'running');
  const button = tab.locator('[part="ticker-control"]');
  await button.click();
  await tab.mouse.move(0, 0);
  assert.equal(await button.getAttribute('aria-label'), 'Play headlines');
  await tab.locator('body').click({ position: { x: 1, y: 1 } });
  assert.equal(await state(), 'paused');
  await button.click();
  await tab.locator('body').click({ position: { x: 1, y: 1 } });
  assert.equal(await button.getAttribute('aria-label'), 'Pause headlines');
  assert.equal(await state(), 'running');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a host page whose lang Intl rejects still gets dated briefs', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/odd-lang.html`);
  await ready(tab);
  assert.match(await tab.locator('[part="brief"] time').first().innerText(), /2023/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('invalid attributes warn by name and fall back to their defaults', async () => {
  const { context, tab, errors, console } = await open(browser, `${partner.url}/bad-attrs.html`);
  await ready(tab, '#odd');
  // The wasm warns about the attributes it reads once it runs: in view, when the page is idle.
  await tab.locator('#odd').scrollIntoViewIfNeeded();
  await tab.waitForSelector('#odd[interactive]', { state: 'attached', timeout: 15000 });
  const warnings = console.filter((m) => m.type === 'warning').map((m) => m.text);
  for (const name of ['theme', 'max-briefs', 'accent']) {
    assert.ok(warnings.some((w) => w.includes(`\`${name}\``)), `a warning names ${name}: ${warnings}`);
  }
  // The loader's own attributes too, once each.
  assert.equal(warnings.filter((w) => w.includes('`density`')).length, 1, `one density warning: ${warnings}`);
  assert.equal(warnings.filter((w) => w.includes('`fallback-url`')).length, 1, `one fallback-url warning: ${warnings}`);
  assert.equal(await tab.locator('#odd [part="brief"]').count(), 5);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, path, detail] of [
  ['an HTML error page', '/html-feed.html', /could not be read/],
  ['JSON that is not a JSON Feed', '/rss-feed.html', /could not be read/],
  ['a 404 from the feed', '/down-feed.html', /HTTP status 404/],
]) {
  test(`${name} puts the widget in a readable error state`, async () => {
    const { context, tab, errors } = await open(browser, `${partner.url}${path}`);
    await tab.waitForSelector('newswire-widget[state="error"]', { state: 'attached', timeout: 15000 });
    const alert = tab.locator('newswire-widget [role="alert"]');
    const text = await alert.innerText();
    assert.match(text, /The news can't be shown right now\./);
    assert.match(text, detail);
    assert.ok(await alert.getByRole('button', { name: 'Try again' }).isVisible());
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a widget without a feed explains itself instead of staying blank', async () => {
  const { context, tab, errors, console } = await open(browser, `${partner.url}/no-feed.html`);
  await tab.waitForSelector('newswire-widget[state="error"]', { state: 'attached', timeout: 15000 });
  assert.match(await tab.locator('newswire-widget .nw-root').innerText(), /not set up correctly/);
  assert.ok(console.some((m) => m.type === 'error' && m.text.includes('`feed` attribute is required')));
  assert.deepEqual(errors, []);
  await context.close();
});

test('show-rating puts the public summary by the prompt, and a stored review updates it', async () => {
  // Two reviews already stored, from a non-browser client (no Origin).
  for (const rating of [5, 4]) {
    const r = await fetch(`${server.url}/api/reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rating, comment: 'seeded' }),
    });
    assert.equal(r.status, 201);
  }
  const summary = async () => (await fetch(`${server.url}/api/reviews/summary`)).json();
  const before = await summary();
  const { context, tab, errors } = await open(browser, `${partner.url}/rating.html`);
  await ready(tab);
  const line = tab.locator('[part="rating"]');
  const expected = (s) =>
    `${s.average.toFixed(1)} ★ · ${s.count} reader review${s.count === 1 ? '' : 's'}`;
  // (The line is there at once, empty until the summary comes.)
  await tab.waitForFunction(() => document.querySelector('newswire-widget').shadowRoot.querySelector('[part="rating"]')?.textContent);
  assert.equal(await line.innerText(), expected(before));
  await tab.locator('input[aria-label="1 star out of 5"]').check();
  await tab.locator('[part="submit"]').click();
  await tab.locator('[part="status"]', { hasText: 'Thank you!' }).waitFor();
  const after = await summary();
  assert.equal(after.count, before.count + 1);
  await tab.waitForFunction(
    (text) => document.querySelector('newswire-widget').shadowRoot.querySelector('[part="rating"]')?.textContent === text,
    expected(after),
  );
  assert.equal(await tab.locator('newswire-widget:not([show-rating]) [part="rating"]').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [kind, path] of [
  ['a cacheable feed', '/prefetch.html'],
  ['a no-store feed', '/nostore.html'],
]) test(`the loader starts the feed request early, and the widget takes its answer: one request for ${kind}`, async () => {
  countedFeed = 0;
  const { context, tab, errors } = await open(browser);
  // (No request routing here: Playwright turns the HTTP cache off for routed pages.)
  const seen = [];
  tab.on('request', (r) => seen.push(new URL(r.url()).pathname));
  tab.on('requestfinished', (r) => seen.push('done ' + new URL(r.url()).pathname));
  await tab.goto(`${partner.url}${path}`);
  await ready(tab);
  // The feed was asked for before the wasm had even arrived, let alone run.
  const wasmArrived = seen.findIndex((p) => p.startsWith('done /newswire/') && p.endsWith('/newswire_bg.wasm'));
  const asked = seen.findIndex((p) => p.startsWith('/feeds/'));
  assert.ok(wasmArrived > 0 && asked >= 0 && asked < wasmArrived, seen.join(' '));
  assert.equal(await tab.locator('[part="brief"]').count(), 5);
  await tab.waitForTimeout(300);
  assert.equal(countedFeed, 1, `${kind} was fetched once`);
  assert.deepEqual(errors, []);
  await context.close();
});
