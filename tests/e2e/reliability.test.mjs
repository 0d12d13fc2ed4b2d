// Reliability and security end to end: refreshes that survive failures, feeds that are too
// big, a widget that cannot run (no WebAssembly, a missing wasm, a CSP that forbids it, a
// trap), strict Content-Security-Policies, hostile feed text, and privacy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startPartner, launch, open, page, tag, fixture, serve } from './harness.mjs';
import { XSS_CORPUS, xssFeed } from './xss-corpus.mjs';
import { createGzip } from 'node:zlib';

/** How many bytes of the endless feed went out before the reader let go. */
const endless = { sent: 0 };
const slow = { seen: 0, open: 0 };

const FAULTS = process.env.NEWSWIRE_FAULTS || 'target/faults';

let server;
let partner;
let browser;

// The refreshing feed: what it answers now, and every request it saw.
let refreshMode = 'v1';
const refreshSeen = [];

function refreshFeed(req, res) {
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'if-none-match',
    'access-control-expose-headers': 'etag',
  };
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors);
    return res.end();
  }
  refreshSeen.push({ mode: refreshMode, inm: req.headers['if-none-match'] || null });
  if (refreshMode === 'down') {
    res.writeHead(503, cors);
    return res.end('busy');
  }
  const etag = `"${refreshMode}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ...cors, etag });
    return res.end();
  }
  const feed = JSON.parse(fixture('feed.json'));
  if (refreshMode === 'v2') {
    feed.items.push({
      id: 'fresh-1',
      url: 'https://test-wire.example/fresh-1',
      title: 'A brief that arrived with the refresh',
      date_published: '2023-12-07T09:00:00Z',
      tags: ['Politics'],
    });
  }
  res.writeHead(200, { ...cors, etag, 'content-type': 'application/feed+json' });
  res.end(JSON.stringify(feed));
}

/** Serves a file of the fault-injection build. */
function faulty(name) {
  const types = { js: 'text/javascript', wasm: 'application/wasm', css: 'text/css' };
  return (req, res) => {
    res.writeHead(200, { 'content-type': types[name.split('.').pop()] });
    res.end(readFileSync(join(FAULTS, name)));
  };
}

/** A page for a strict CSP: no inline anything, not even a data: icon. */
function strictPage(body) {
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Strict partner</title></head>
<body><h1>Partner news page</h1><p id="before">Some partner content.</p>
${body}
<p id="after">More partner content after the widget.</p></body></html>`;
}

function withCsp(policy, html) {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy });
    res.end(html);
  };
}

before(async () => {
  server = await startServer();
  const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
  const feedHost = () => `http://127.0.0.1:${new URL(partner.url).port}`;
  const policy = (script) =>
    `default-src 'none'; script-src ${script}; connect-src ${server.url}; style-src 'self'`;
  const NONCE = 'bm9uY2Utb2YtdGhlLWRheQ';
  partner = await startPartner({
    '/refresh.html': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        page(`<script async src="${server.url}/newswire/embed.js"></script>
          <newswire-widget feed="${feedHost()}/refresh-feed" refresh="60"></newswire-widget>`),
      );
    },
    '/refresh-feed': refreshFeed,
    '/huge.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/huge')),
    '/huge-chunked.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/huge-chunked')),
    '/feeds/huge': serve(big),
    '/endless.html': page(tag(server, 'data-refresh="0"').replace(`${server.url}/feed.json`, '/feeds/endless')),
    // A body that never ends, gzip-encoded (stored, uncompressed, so that the bytes on the
    // wire are the bytes read, and TCP's backpressure shows how far the reader went).
    '/feeds/endless': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/feed+json', 'content-encoding': 'gzip' });
      const gzip = createGzip({ level: 0 });
      gzip.pipe(res);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let open = true;
      res.on('close', () => {
        open = false;
        gzip.destroy();
      });
      const more = () => {
        while (open && endless.sent < 1024 * 1024 * 1024) {
          endless.sent += chunk.length;
          if (!gzip.write(chunk)) return gzip.once('drain', more);
        }
      };
      more();
    },
    // A feed host that takes the request and never answers: how many of its requests are
    // open, and how many came.
    '/slow.html': page(`<newswire-widget feed="/feeds/slow" loading="eager"></newswire-widget>
      <script async src="${server.url}/newswire/embed.js"></script>`),
    '/feeds/slow': (req, res) => {
      slow.seen += 1;
      slow.open += 1;
      res.on('close', () => (slow.open -= 1));
    },
    '/feeds/huge-chunked': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/feed+json' });
      for (let i = 0; i < 3; i++) res.write(Buffer.alloc(1024 * 1024, 0x20));
      res.end('{}');
    },
    '/one.html': page(tag(server)),
    // The same feed from the partner's own origin: the server does not render it, so the
    // wasm builds the widget, or its fallback shows.
    '/client.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/plain')),
    '/feeds/plain': serve(fixture('feed.json')),
    '/fallback-url.html': page(
      tag(server, 'data-fallback-url="https://partner.example/news"').replace(`${server.url}/feed.json`, '/feeds/plain'),
    ),
    '/faulty.html': page(
      `<button id="host-button">Host button</button>
       <script async src="/faulty/embed.js" data-feed="${server.url}/feed.json" data-category="fault"></script>
       <newswire-widget id="healthy" loading="eager" feed="${server.url}/feed.json"></newswire-widget>`,
    ),
    '/faulty/embed.js': faulty('embed.js'),
    '/faulty/newswire.js': faulty('newswire.js'),
    '/faulty/newswire_bg.wasm': faulty('newswire_bg.wasm'),
    '/faulty/newswire.css': faulty('newswire.css'),
    '/faulty/newswire-live.js': faulty('newswire-live.js'),
    '/csp-strict.html': (req, res) =>
      withCsp(policy(`${server.url} 'wasm-unsafe-eval'`), strictPage(tag(server)))(req, res),
    // The docs' way to reserve the height under a strict style-src: their rule in the
    // partner's own stylesheet, their element without a style attribute.
    '/csp-reserved.html': (req, res) => {
      const docs = readFileSync('docs/embedding.md', 'utf8');
      const section = docs.slice(docs.indexOf('**Reserving the height under a strict `style-src`.**'));
      const html = /```html\n([\s\S]*?)```/.exec(section)[1].replaceAll('https://HOST', server.url);
      withCsp(
        policy(`${server.url} 'wasm-unsafe-eval'`),
        strictPage(html).replace('</head>', '<link rel="stylesheet" href="/partner.css"></head>'),
      )(req, res);
    },
    '/partner.css': (req, res) => {
      const docs = readFileSync('docs/embedding.md', 'utf8');
      const section = docs.slice(docs.indexOf('**Reserving the height under a strict `style-src`.**'));
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(/```css\n([\s\S]*?)```/.exec(section)[1]);
    },
    '/csp-no-wasm.html': (req, res) =>
      withCsp(policy(server.url), strictPage(tag(server).replace(`${server.url}/feed.json`, `${server.url}/feed.json?v=1`)))(req, res),
    '/csp-nonce.html': (req, res) =>
      withCsp(
        policy(`'nonce-${NONCE}' 'strict-dynamic' 'wasm-unsafe-eval'`),
        strictPage(tag(server, `nonce="${NONCE}"`)),
      )(req, res),
    '/xss.html': page(tag(server, `data-max-briefs="50"`).replace(`${server.url}/feed.json`, '/feeds/xss')),
    '/feeds/xss': serve(JSON.stringify(xssFeed())),
    '/privacy.html': page(tag(server)),
  });
  partner.feedHost = feedHost;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

const state = (tab, value) =>
  tab.waitForSelector(`newswire-widget[state="${value}"]`, { state: 'attached', timeout: 20000 });

test('refreshes are conditional, mark new items, survive failures and wait while the page is hidden', async () => {
  refreshMode = 'v1';
  refreshSeen.length = 0;
  const { context, tab, errors } = await open(browser);
  await tab.addInitScript(() => {
    window.__hidden = false;
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => window.__hidden });
  });
  await tab.clock.install({ time: new Date('2026-11-27T09:00:00Z') });
  await tab.goto(`${partner.url}/refresh.html`);
  await state(tab, 'ready');
  const requests = (n) => waitFor(() => refreshSeen.length >= n);
  const briefTitles = () => tab.locator('[part="brief"] h4').allInnerTexts();
  const before = await briefTitles();
  // The loader's early request; this feed is not cacheable, so the browser may revalidate
  // it once more for the widget.
  assert.deepEqual(refreshSeen[0], { mode: 'v1', inm: null });
  const base = refreshSeen.length;
  assert.ok(base <= 2, JSON.stringify(refreshSeen));

  // An unchanged feed: a conditional request and a bodiless 304.
  await tab.clock.runFor(60_000);
  await requests(base + 1);
  assert.deepEqual(refreshSeen[base], { mode: 'v1', inm: '"v1"' });
  await tab.waitForTimeout(200);
  assert.deepEqual(await briefTitles(), before);
  assert.equal(await tab.locator('newswire-widget .nw-new').count(), 0, 'a first load marks nothing');
  const live = tab.locator('newswire-widget section.nw > [role="status"]');
  assert.equal(await live.textContent(), '', 'and announces nothing');

  // A changed feed: the new item appears, marked as new; nothing else is.
  refreshMode = 'v2';
  await tab.clock.runFor(60_000);
  await tab.locator('[part="brief"]', { hasText: 'A brief that arrived with the refresh' }).waitFor();
  const marked = await tab.locator('[part="brief"]:has(.nw-new) h4').allInnerTexts();
  assert.deepEqual(marked, ['A brief that arrived with the refresh']);
  assert.equal(await live.textContent(), '1 new story', 'announced in the polite live region');

  // A failed refresh: after its retries, the last good news stays, with a discreet note.
  refreshMode = 'down';
  await tab.clock.runFor(60_000);
  for (let i = 0; i < 6 && refreshSeen.filter((r) => r.mode === 'down').length < 3; i++) {
    await waitFor(() => refreshSeen.length >= base + 3 + i, 2000).catch(() => {});
    await tab.clock.runFor(3_000);
  }
  assert.equal(refreshSeen.filter((r) => r.mode === 'down').length, 3, 'three attempts');
  const note = tab.locator('newswire-widget .nw-stale');
  await note.waitFor();
  assert.match(await note.innerText(), /^Updated 1 minute ago$/);
  assert.equal(await tab.locator('newswire-widget').getAttribute('state'), 'ready');
  assert.ok((await briefTitles()).includes('A brief that arrived with the refresh'));

  // Hidden: the refresh waits, however long; shown again, it catches up at once.
  refreshMode = 'v2';
  const seen = refreshSeen.length;
  await tab.evaluate(() => {
    window.__hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await tab.clock.runFor(5 * 60_000);
  await tab.waitForTimeout(300);
  assert.equal(refreshSeen.length, seen, 'no request while hidden');
  await tab.evaluate(() => {
    window.__hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await requests(seen + 1);
  await note.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await context.close();
});

async function waitFor(check, timeout = 10000) {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const [name, path] of [
  ['a feed of many megabytes', '/huge.html'],
  ['a many-megabyte feed without a length', '/huge-chunked.html'],
]) {
  test(`${name} is refused with a clear message`, async () => {
    const { context, tab, errors } = await open(browser, `${partner.url}${path}`);
    await state(tab, 'error');
    assert.match(await tab.locator('newswire-widget [role="alert"]').innerText(), /could not be read/);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

/** The fallback a widget shows when it cannot run: the feed's title and a plain link. */
async function assertFallback(tab, href) {
  await state(tab, 'error');
  const box = tab.locator('newswire-widget .nw-boot');
  await box.locator('strong', { hasText: 'Test Wire' }).waitFor();
  assert.equal(await box.locator('a').getAttribute('href'), href);
  assert.match(await box.innerText(), /Read the latest news on the publisher’s site/);
}

test('a widget removed while its feed is on the wire aborts the request, and retries nothing', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/slow.html`);
  // Assemble: the wasm has asked for the feed, and the host holds the request open.
  const until = Date.now() + 20000;
  while (slow.open < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.equal(slow.open, 1, 'the feed request is open');
  // The wasm is mounted and waiting for that feed too (the browser's cache holds its
  // request behind the loader's early one for the same URL).
  await tab.waitForFunction(() => !!document.querySelector('newswire-widget')._nwMounted);
  const seen = slow.seen;
  // Action: the page takes the widget away, as a single-page app does on navigation.
  await tab.evaluate(() => document.querySelector('newswire-widget').remove());
  // Assert: the request is closed at once (not after its 8 s deadline), and no retry comes.
  const closed = Date.now() + 2000;
  while (slow.open > 0 && Date.now() < closed) await new Promise((r) => setTimeout(r, 50));
  assert.equal(slow.open, 0, 'no request from the removed widget is still open');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(slow.seen, seen, 'no retry after the widget went');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an endless body is cut off at the cap while it streams, not read whole first', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/endless.html`);
  await state(tab, 'error');
  // Too large, and said so: not a timeout after reading for as long as the deadline allowed.
  assert.match(await tab.locator('newswire-widget [role="alert"]').innerText(), /could not be read/);
  // 2 MiB read, and what the sockets and the browser buffer ahead (about 16 MB here);
  // reading on for the whole 8 s deadline takes hundreds of megabytes on loopback.
  assert.ok(endless.sent < 64 * 1024 * 1024, `the widget stopped reading early (${endless.sent} bytes sent)`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('without WebAssembly a widget rendered on the client links to the news instead', async () => {
  const { context, tab, errors } = await open(browser);
  await tab.addInitScript(() => delete window.WebAssembly);
  await tab.goto(`${partner.url}/client.html`);
  await assertFallback(tab, 'https://test-wire.example/');
  assert.deepEqual(errors, []);
  await context.close();
});

test('without WebAssembly the server-rendered news stays, and reviews say they cannot be sent', async () => {
  const { context, tab, errors } = await open(browser);
  await tab.addInitScript(() => delete window.WebAssembly);
  await tab.goto(`${partner.url}/one.html`);
  await state(tab, 'ready');
  await tab.locator('newswire-widget .nw-offline').waitFor({ timeout: 15000 });
  assert.equal(await tab.locator('[part="brief"]').count(), 5);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a missing wasm shows the fallback, linking to fallback-url when it is given', async () => {
  const { context, tab, errors } = await open(browser);
  await tab.route('**/newswire_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await tab.goto(`${partner.url}/fallback-url.html`);
  await assertFallback(tab, 'https://partner.example/news');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a CSP without wasm-unsafe-eval, for a feed the server does not render, gets the fallback and no uncaught error', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/csp-no-wasm.html`);
  await assertFallback(tab, 'https://test-wire.example/');
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, path] of [
  ['the strict CSP from the README', '/csp-strict.html'],
  ['a nonce and strict-dynamic CSP', '/csp-nonce.html'],
]) {
  test(`under ${name} everything works, with no violation`, async () => {
    const { context, tab, errors, console } = await open(browser, `${partner.url}${path}`);
    await state(tab, 'ready');
    assert.equal(await tab.locator('[part="brief"]').count(), 5);
    const background = await tab.locator('newswire-widget .nw').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'the stylesheet applies');
    await tab.locator('input[aria-label="5 stars out of 5"]').check();
    await tab.locator('[part="submit"]').click();
    await tab.locator('[part="status"]', { hasText: 'Thank you! Your review was sent.' }).waitFor();
    assert.deepEqual(errors, []);
    assert.deepEqual(console.filter((m) => m.type === 'error'), [], 'no CSP violation');
    await context.close();
  });
}

test('under a strict style-src, the docs’ stylesheet rule reserves the height: no violation, no shift', async () => {
  const { context, tab, errors, console } = await open(browser);
  await tab.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => window.__shifts.push(...list.getEntries().map((e) => e.value))).observe({ type: 'layout-shift', buffered: true });
  });
  // Before the loader has run, the element already holds its height.
  await tab.route('**/newswire/embed.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  await tab.goto(`${partner.url}/csp-reserved.html`, { waitUntil: 'domcontentloaded' });
  const early = await tab.locator('newswire-widget').evaluate((el) => el.getBoundingClientRect().height);
  await state(tab, 'ready');
  await tab.waitForTimeout(200);
  const late = await tab.locator('newswire-widget').evaluate((el) => el.getBoundingClientRect().height);
  assert.equal(early, 994, 'reserved from the first paint');
  assert.equal(late, 994);
  assert.deepEqual(await tab.evaluate(() => window.__shifts), [], 'no layout shift');
  assert.deepEqual(errors, []);
  assert.deepEqual(console.filter((m) => m.type === 'error'), [], 'no CSP violation');
  await context.close();
});

test('a trap stops only its own widget, once, and the page and the other widget carry on', async () => {
  const { context, tab, errors, console } = await open(browser, `${partner.url}/faulty.html`);
  await tab.waitForFunction(
    () => [...document.querySelectorAll('newswire-widget')].every((w) => w.getAttribute('state') === 'ready'),
    null,
    { timeout: 30000 },
  );
  const faulty = tab.locator('newswire-widget:not(#healthy)');
  const healthy = tab.locator('#healthy');
  // What a host's own error monitoring would see, suppressed or not.
  await tab.evaluate(() => {
    window.__hostErrors = 0;
    window.addEventListener('error', () => window.__hostErrors++, true);
    window.addEventListener('unhandledrejection', () => window.__hostErrors++, true);
  });
  // Action: the fault build panics when this widget's ticker is paused.
  await faulty.locator('[part="ticker-control"]').click();
  // Assert.
  await tab.waitForSelector('newswire-widget:not(#healthy)[state="error"]', { state: 'attached' });
  await faulty.locator('.nw-boot strong', { hasText: 'Test Wire' }).waitFor();
  assert.equal(await faulty.locator('[part="ticker-control"]').count(), 0, 'its controls are gone');
  await healthy.locator('[part="ticker-control"]').click();
  assert.equal(await healthy.locator('[part="ticker-control"]').getAttribute('aria-label'), 'Play headlines');
  assert.equal(await healthy.getAttribute('state'), 'ready');
  await tab.evaluate(() => {
    window.__clicked = 0;
    document.getElementById('host-button').addEventListener('click', () => window.__clicked++);
  });
  await tab.locator('#host-button').click();
  assert.equal(await tab.evaluate(() => window.__clicked), 1, 'the host page stays interactive');
  // The stopped widget's listeners still fire (a tab switch), and reach nothing.
  await tab.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  // Removing the stopped widget calls nothing in its module.
  await faulty.evaluate((el) => el.remove());
  await tab.waitForTimeout(200);
  assert.deepEqual(errors, [], 'no uncaught error reaches the page');
  assert.equal(await tab.evaluate(() => window.__hostErrors), 0, 'not even a suppressed one');
  const reported = console.filter((m) => m.type === 'error');
  assert.equal(reported.length, 1, JSON.stringify(reported));
  assert.match(reported[0].text, /^Newswire:/);
  await context.close();
});

test(`no feed text becomes code or markup: ${XSS_CORPUS.length} payloads in every field`, async () => {
  const { context, tab, errors } = await open(browser);
  await tab.addInitScript(() => {
    window.__xss = 0;
  });
  // The shape of a normal widget: the elements and attributes we create ourselves.
  await tab.goto(`${partner.url}/one.html`);
  await state(tab, 'ready');
  const shape = () =>
    tab.locator('newswire-widget').evaluate((host) => {
      const tags = new Set();
      const attrs = new Set();
      const hrefs = [];
      for (const el of host.shadowRoot.querySelectorAll('*')) {
        tags.add(el.localName);
        for (const a of el.attributes) attrs.add(a.name);
        if (el.hasAttribute('href')) hrefs.push(el.getAttribute('href'));
      }
      return { tags: [...tags], attrs: [...attrs], hrefs, light: document.querySelectorAll('body *').length };
    });
  const normal = await shape();

  await tab.goto(`${partner.url}/xss.html`);
  await state(tab, 'ready');
  await tab.locator('[part="headline"]').first().hover({ force: true });
  await tab.locator('[part="brief"]').nth(3).hover();
  await tab.waitForTimeout(500);
  const hostile = await shape();
  assert.equal(await tab.evaluate(() => window.__xss), 0, 'no payload ran');
  assert.ok(await tab.locator('[part="brief"]').count() >= 40, 'the hostile items are shown, as text');
  for (const name of hostile.tags) assert.ok(normal.tags.includes(name), `<${name}> came from feed text`);
  for (const name of hostile.attrs) assert.ok(normal.attrs.includes(name), `${name}= came from feed text`);
  assert.ok(hostile.hrefs.length > 0);
  for (const href of hostile.hrefs) assert.match(href, /^https?:\/\//, href);
  assert.equal(hostile.light, normal.light, 'nothing was added to the host page');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a whole session with a review sets no cookie, touches no storage and sends no credentials', async () => {
  const { context, tab, errors } = await open(browser);
  // A cookie the reader already has for the agency's origin must never be sent.
  await context.addCookies([{ name: 'agency_session', value: 'secret', url: server.url }]);
  const sent = [];
  const setCookies = [];
  tab.on('request', (req) => sent.push(req));
  tab.on('response', async (res) => {
    if ((await res.allHeaders())['set-cookie']) setCookies.push(res.url());
  });
  const storage = () =>
    tab.evaluate(async () => ({
      cookie: document.cookie,
      local: localStorage.length,
      session: sessionStorage.length,
      databases: (await indexedDB.databases()).map((d) => d.name),
    }));
  // Tokens in the page's address (a reset link, an OAuth fragment) must never travel.
  await tab.goto(`${partner.url}/privacy.html?reset=t0k3n#access_token=s3cret`);
  const before = await storage();
  const stateBefore = await context.storageState();
  await state(tab, 'ready');
  await tab.locator('input[aria-label="4 stars out of 5"]').check();
  await tab.locator('[part="comment"]').fill('Private by default.');
  await tab.locator('[part="submit"]').click();
  await tab.locator('[part="status"]', { hasText: 'Thank you! Your review was sent.' }).waitFor();

  assert.deepEqual(await storage(), before);
  assert.deepEqual(await context.storageState(), stateBefore);
  const stored = server.reviews().find((row) => row[1] === 'Private by default.');
  assert.equal(stored[3], `${partner.url}/privacy.html`, 'the page, without its query and fragment');
  const posted = sent.find((r) => r.method() === 'POST');
  assert.doesNotMatch(posted.postData(), /t0k3n|s3cret/);
  assert.deepEqual(setCookies, []);
  const widgetRequests = sent.filter((r) => r.url().startsWith(server.url) && !r.url().endsWith('/embed.js'));
  assert.ok(widgetRequests.length >= 4, 'feed, stylesheet, glue, wasm, review');
  for (const req of widgetRequests) {
    assert.equal((await req.allHeaders()).cookie, undefined, `${req.url()} carried a cookie`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});
