// Live news end to end: a story written to the server's feed file reaches open, hydrated
// widgets on a partner page on another origin through the stream, with polling switched off
// (refresh="86400"), and one stream serves all of a page's widgets of that feed. live="off"
// stays put; a CSP that refuses the stream falls back to polling; the widget catches up
// after the server restarts; news waits while the reader points at the widget; and a story
// a WebSub hub of our own announces (verified, signed) reaches the widget with polling off. Bounds are
// generous (the timing is make bench's): these prove the path, not its speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer, startPartner, launch, open, page, fixture } from './harness.mjs';

const FEED = JSON.parse(fixture('feed.json'));
const dir = mkdtempSync(join(tmpdir(), 'newswire-live-'));
const feedFile = join(dir, 'feed.json');
const db = join(dir, 'reviews.db');
let server;
let partner;
let browser;

/** Writes the feed file with `extra` items first (newest politics briefs). */
function publish(...extra) {
  const feed = { ...FEED, items: [...extra, ...FEED.items] };
  writeFileSync(feedFile, JSON.stringify(feed));
}

/** A politics brief dated now, which goes to the top of the briefs. */
function story(id, title) {
  return { id, url: `https://test-wire.example/${id}`, title, date_published: new Date().toISOString(), tags: ['Politics'] };
}

/** Counts the page's EventSources (window.__streams), before any of the page's scripts. */
function countStreams() {
  const Native = window.EventSource;
  const streams = (window.__streams = { opened: [], open: 0 });
  window.EventSource = function (url, init) {
    const source = new Native(url, init);
    streams.opened.push(String(url));
    streams.open++;
    const close = source.close.bind(source);
    source.close = function () {
      if (!source.__closed) streams.open--;
      source.__closed = true;
      close();
    };
    return source;
  };
  window.EventSource.prototype = Native.prototype;
}

/** The titles of the briefs a widget shows. */
function briefs(selector) {
  const el = document.querySelector(selector);
  return [...el.shadowRoot.querySelectorAll('.nw-brief-title')].map((b) => b.textContent.trim());
}

/** Waits until widget `selector` shows (or, with `shown` false, no longer shows) `title`. */
async function waitForBrief(tab, selector, title, shown = true, timeout = 10000) {
  await tab.waitForFunction(
    ([selector, title, shown]) => {
      const el = document.querySelector(selector);
      const titles = [...el.shadowRoot.querySelectorAll('.nw-brief-title')].map((b) => b.textContent.trim());
      return titles.includes(title) === shown;
    },
    [selector, title, shown],
    { timeout },
  );
}

const interactive = (tab, selector) =>
  tab.waitForSelector(`${selector}[interactive]`, { state: 'attached', timeout: 15000 });

function widget(id, extra = '') {
  return `<newswire-widget id="${id}" feed="${server.url}/feed.json" loading="eager" refresh="86400" ${extra}></newswire-widget>`;
}

async function partnerPages() {
  const loader = `<script async src="${server.url}/newswire/embed.js" crossorigin="anonymous"></script>`;
  const csp = (policy, html) => (req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy });
    res.end(html);
  };
  const s = server.url;
  return startPartner({
    '/three.html': page(widget('one') + widget('two') + widget('off', 'live="off"') + loader),
    '/one.html': page(widget('one') + loader),
    // The feed and the render may be fetched, the stream may not: the widget polls.
    '/no-stream.html': csp(
      `default-src 'none'; script-src ${s} 'wasm-unsafe-eval'; connect-src ${s}/feed.json ${s}/newswire/ ${s}/api/; style-src 'self'`,
      page(widget('one', 'refresh="10"').replace('refresh="86400" ', '') + loader),
    ),
  });
}

before(async () => {
  publish();
  server = await startServer({ feed: feedFile, db, args: ['--allow-loopback'] });
  partner = await partnerPages();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a story written to the feed file reaches every open widget through one stream, and leaves when it is removed', async () => {
  const { context, tab, errors } = await open(browser, null, { viewport: { width: 900, height: 3600 } });
  await tab.addInitScript(countStreams);
  await tab.goto(`${partner.url}/three.html`);
  for (const id of ['#one', '#two', '#off']) await interactive(tab, id);
  // Both live widgets share one stream, from the revision they showed.
  await tab.waitForFunction(() => window.__streams.open === 1);
  const streams = await tab.evaluate(() => window.__streams);
  assert.equal(streams.opened.length, 1, JSON.stringify(streams));
  assert.match(streams.opened[0], new RegExp(`^${server.url}/feed/events\\?since=\\d+$`));

  // Action: the agency publishes.
  const title = 'Breaking: the committee publishes its report';
  publish(story('live-1', title));
  await waitForBrief(tab, '#one', title);
  await waitForBrief(tab, '#two', title);

  // Assert: marked new, and announced politely, once.
  const marked = await tab.evaluate(() => {
    const root = document.querySelector('#one').shadowRoot;
    return {
      first: root.querySelector('.nw-brief').outerHTML,
      status: root.querySelector('[role="status"]').textContent,
    };
  });
  assert.match(marked.first, /nw-new|New/, marked.first);
  assert.equal(marked.status, '1 new story');
  // live="off" keeps what it had.
  await tab.waitForTimeout(1500);
  assert.ok(!(await tab.evaluate(briefs, '#off')).includes(title), 'live="off" did not go live');

  // A story taken away upstream leaves the widgets.
  publish();
  await waitForBrief(tab, '#one', title, false);
  await waitForBrief(tab, '#two', title, false);

  // The stream closes with the last live widget.
  await tab.evaluate(() => document.querySelector('#one').remove());
  assert.equal(await tab.evaluate(() => window.__streams.open), 1, 'one widget still follows it');
  await tab.evaluate(() => document.querySelector('#two').remove());
  assert.equal(await tab.evaluate(() => window.__streams.open), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('news waits while the reader points at the widget, and comes when they leave', async () => {
  const { context, tab, errors } = await open(browser, null, { viewport: { width: 900, height: 1400 } });
  await tab.goto(`${partner.url}/one.html`);
  await interactive(tab, '#one');
  await tab.waitForTimeout(500);
  await tab.hover('#one');
  const title = 'Held: a story that waits for the reader';
  publish(story('live-held', title));
  // The revision arrives and is fetched, but nothing moves under the pointer.
  await tab.waitForTimeout(4000);
  assert.ok(!(await tab.evaluate(briefs, '#one')).includes(title), 'nothing moved under the pointer');
  await tab.mouse.move(5, 5);
  await waitForBrief(tab, '#one', title);
  publish();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a CSP that refuses the stream gets the story by polling', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/no-stream.html`, { viewport: { width: 900, height: 1400 } });
  await interactive(tab, '#one');
  const title = 'Polled: the story reaches a page that refuses streams';
  publish(story('live-polled', title));
  await waitForBrief(tab, '#one', title, true, 30000);
  publish();
  assert.deepEqual(errors, []);
  await context.close();
});

test('after the server restarts, an open widget catches up without a reload', async () => {
  const { context, tab, errors } = await open(browser, null, { viewport: { width: 900, height: 1400 } });
  await tab.addInitScript(countStreams);
  await tab.goto(`${partner.url}/one.html`);
  await interactive(tab, '#one');
  await tab.waitForFunction(() => window.__streams.open === 1);
  const addr = new URL(server.url).host;
  await server.stop();
  const title = 'Restarted: the story published while the server was away';
  publish(story('live-restart', title));
  server = await startServer({ feed: feedFile, db, addr, args: ['--allow-loopback'] });
  await waitForBrief(tab, '#one', title, true, 20000);
  assert.deepEqual(errors, []);
  await context.close();
});

/** Serves `handle` on a free loopback port; its base URL and a close function. */
async function serveOn(handle) {
  const server = createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Reads a request's body as text. */
function bodyOf(req) {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
  });
}

test('a story announced through a WebSub hub reaches the open widget, with polling off', async () => {
  // The agency: a feed that names its hub. The hub: verifies intent, then pushes signed.
  let items = FEED.items;
  const subscribers = [];
  let hubUrl;
  const upstream = await serveOn((req, res) => {
    res.writeHead(200, { 'content-type': 'application/feed+json', link: `<${hubUrl}>; rel="hub"` });
    res.end(JSON.stringify({ ...FEED, items }));
  });
  const hub = await serveOn(async (req, res) => {
    const form = new URLSearchParams(await bodyOf(req));
    res.writeHead(202);
    res.end();
    const challenge = `challenge-${Math.random()}`;
    const verify = new URL(form.get('hub.callback'));
    verify.searchParams.set('hub.mode', form.get('hub.mode'));
    verify.searchParams.set('hub.topic', form.get('hub.topic'));
    verify.searchParams.set('hub.challenge', challenge);
    const answer = await fetch(verify);
    if (answer.status === 200 && (await answer.text()) === challenge && form.get('hub.mode') === 'subscribe') {
      subscribers.push({ callback: form.get('hub.callback'), secret: form.get('hub.secret') });
    }
  });
  hubUrl = `${hub.url}/hub`;
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const addr = `127.0.0.1:${probe.address().port}`;
  await new Promise((resolve) => probe.close(resolve));
  const pushed = await startServer({
    feed: `${upstream.url}/feed.json`,
    addr,
    args: ['--allow-loopback', '--public-url', `http://${addr}`, '--feed-interval', '3600', '--allow-private-hubs'],
  });
  const site = await startPartner({
    '/hub.html': page(`<newswire-widget feed="${pushed.url}/feed.json" loading="eager" refresh="86400"></newswire-widget>
<script async src="${pushed.url}/newswire/embed.js" crossorigin="anonymous"></script>`),
  });
  const { context, tab, errors } = await open(browser, `${site.url}/hub.html`, { viewport: { width: 900, height: 1400 } });
  try {
    await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
    for (let i = 0; i < 100 && !subscribers.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(subscribers.length, 1, 'the server subscribed and the hub verified it');

    // Action: the agency publishes, and the hub pushes the new entry alone, signed.
    const title = 'Pushed: the hub announces a story';
    const fresh = story('live-hub', title);
    items = [fresh, ...FEED.items];
    const body = JSON.stringify({ items: [fresh] });
    const { callback, secret } = subscribers[0];
    const signature = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
    const answer = await fetch(callback, { method: 'POST', headers: { 'x-hub-signature': signature }, body });
    assert.equal(answer.status, 202);
    // Assert: on the widget, by the stream (polling is off on both sides).
    await waitForBrief(tab, 'newswire-widget', title);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await site.close();
    await pushed.stop();
    await hub.close();
    await upstream.close();
  }
});
