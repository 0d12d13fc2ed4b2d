// Hardening end to end: what a page we do not own can plant, and what a tampered asset host
// can serve, must not change what the loader loads or runs.
//
// - DOM clobbering: elements that partner pages let contributors post (an <img>, a <form>, an
//   <embed>, an <object>, each with a name or id) shadow `document.currentScript`,
//   `window.Newswire` and other properties of the document. The widget must still load its
//   own release's files, from our server, and nothing from the planted URL.
// - Only the widget's attributes travel from the tag to the element.
// - Subresource Integrity: a pinned release whose glue, wasm or stylesheet changed on disk
//   shows its fallback and never runs the changed code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, startServer, startPartner, launch, open, page, ready, serve, fixture } from './harness.mjs';

let server;
let partner;
let browser;
let attacker;
/** Every path the attacker's server was asked for. */
const planted = [];

before(async () => {
  server = await startServer();
  attacker = createServer((req, res) => {
    planted.push(req.url);
    // Whatever the loader might fetch from here would run with the partner's privileges.
    const body = req.url.endsWith('.js') ? 'window.__attacked = (window.__attacked || 0) + 1;' : '';
    res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
    res.end(body);
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const evil = `http://127.0.0.1:${attacker.address().port}`;
  const tag = `<script async src="${server.url}/newswire/embed.js" data-feed="${server.url}/feed.json"
    data-loading="eager" data-onclick="window.__clicked = 1" data-innerhtml="x"></script>`;
  const plants = {
    img: `<img name="currentScript" src="${evil}/x/" data-feed="${evil}/f.json" data-loading="eager">`,
    form: `<form id="Newswire"><input name="loaded"><input name="q"></form>`,
    embed: `<embed name="currentScript" src="${evil}/e/" type="text/plain">`,
    object: `<object name="currentScript" data="${evil}/o/" type="text/plain"></object>`,
    // The document's own properties that the loader uses.
    document: `<img name="head" src="${evil}/h/"><img name="body" src="${evil}/b/"><img name="querySelectorAll" src="${evil}/q/">`,
  };
  const routes = {};
  for (const [name, html] of Object.entries(plants)) routes[`/${name}.html`] = page(html + tag);
  partner = await startPartner(routes);
  partner.evil = evil;
  partner.plants = Object.keys(plants);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
  attacker?.close();
});

const release = () => JSON.parse(readFileSync(join(DIST, 'newswire', 'release.json'), 'utf8'));

test('a planted element never redirects the loader, and the widget renders from our release', async () => {
  const { release: id } = release();
  for (const plant of partner.plants) {
    // Assemble.
    planted.length = 0;
    const { context, tab, errors, console } = await open(browser);
    const assets = [];
    tab.on('request', (req) => {
      if (/newswire(_bg|-live)?\.(js|wasm|css)$/.test(new URL(req.url()).pathname)) assets.push(req.url());
    });
    // Action: the page loads, the server's HTML shows, and the wasm takes it over.
    await tab.goto(`${partner.url}/${plant}.html`);
    await ready(tab).catch((err) => {
      throw new Error(`${plant}: ${err.message} ${JSON.stringify({ errors, console })}`);
    });
    await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
    // Assert: the release's four files, from our server, and nothing from the planted URL
    // beyond what the planted element itself loads.
    const base = `${server.url}/newswire/v/${id}/`;
    assert.deepEqual(
      [...assets].sort(),
      [`${base}newswire-live.js`, `${base}newswire.css`, `${base}newswire.js`, `${base}newswire_bg.wasm`],
      `${plant}: ${assets}`,
    );
    const own = ['/x/', '/e/', '/o/', '/h/', '/b/', '/q/'];
    assert.deepEqual(planted.filter((path) => !own.includes(path)), [], `${plant}: the loader asked the planted host`);
    assert.equal(await tab.evaluate(() => window.__attacked), undefined, plant);
    assert.equal(await tab.locator('newswire-widget').count(), 1, `${plant}: one widget, where the tag stands`);
    assert.deepEqual(errors, [], plant);
    if (plant === 'form') {
      assert.ok(
        console.some((m) => m.type === 'warning' && /window\.Newswire is an element of the page/.test(m.text)),
        'a clobbered window.Newswire is reported',
      );
      assert.equal(await tab.evaluate(() => typeof window.Newswire.mount), 'function', 'the API is ours');
    }
    await context.close();
  }
});

test('a planted createElement stops a widget rendered on the client, which still links to the news, and the page sees no error', async () => {
  // Yew creates its elements through document.createElement, which an element named so
  // shadows. The trap is contained like any other: the widget shows its fallback. (A feed
  // the server does not render, so that the wasm builds the widget itself.)
  const site = await startPartner({
    '/create.html': page(`<img name="createElement" src="${partner.evil}/c/">
      <script async src="${server.url}/newswire/embed.js" data-feed="/feed.json" data-loading="eager"></script>`),
    '/feed.json': serve(fixture('feed.json')),
  });
  const { context, tab, errors } = await open(browser, `${site.url}/create.html`);
  await tab.waitForSelector('newswire-widget[state="error"]', { state: 'attached', timeout: 15000 });
  await tab.locator('newswire-widget .nw-boot a').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
  await site.close();
});

test('a planted createElement cannot take the server-rendered news off the page', async () => {
  const site = await startPartner({
    '/create.html': page(`<img name="createElement" src="${partner.evil}/c/">
      <script async src="${server.url}/newswire/embed.js" data-feed="${server.url}/feed.json" data-loading="eager"></script>`),
  });
  const { context, tab, errors } = await open(browser, `${site.url}/create.html`);
  await ready(tab);
  // Hydration needs no new element; if anything traps, the news stays and the prompt says
  // reviews cannot be sent from here. Either way the briefs are on screen.
  await tab.waitForFunction(
    () => {
      const el = document.querySelector('newswire-widget');
      const note = el.shadowRoot.querySelector('.nw-offline');
      return el.hasAttribute('interactive') || (note && !note.hidden);
    },
    null,
    { timeout: 15000 },
  );
  assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
  assert.deepEqual(errors, []);
  await context.close();
  await site.close();
});

test('only the widget attributes travel from the tag to the element', async () => {
  const { context, tab } = await open(browser, `${partner.url}/img.html`);
  await ready(tab);
  const attributes = await tab.evaluate(() =>
    [...document.querySelector('newswire-widget').attributes].map((a) => a.name).sort(),
  );
  // `interactive` is the element's own, set once its wasm runs (at idle, so sometimes
  // already here): not one that came from the tag.
  assert.deepEqual(attributes.filter((name) => name !== 'interactive'), ['feed', 'loading', 'state']);
  await tab.locator('newswire-widget').click({ position: { x: 5, y: 5 } });
  assert.equal(await tab.evaluate(() => window.__clicked), undefined, 'data-onclick did not become onclick');
  await context.close();
});

/** A copy of the built site whose pinned release has `file` changed by `change`. */
function tamperedSite(file, change) {
  const dir = mkdtempSync(join(tmpdir(), 'newswire-tampered-'));
  cpSync(DIST, dir, { recursive: true });
  const folder = join(dir, 'newswire', 'v', release().release);
  change(join(folder, file));
  // The server would send these instead of the changed file.
  rmSync(join(folder, file + '.br'), { force: true });
  rmSync(join(folder, file + '.gz'), { force: true });
  return dir;
}

const TAMPERING = {
  // Valid code that would run, and mark that it ran.
  'newswire.js': (path) => appendFileSync(path, '\nglobalThis.__tampered = 1;\n'),
  'newswire-live.js': (path) => appendFileSync(path, '\nglobalThis.__tampered = 1;\n'),
  // Still a valid module: a custom section appended (id 0, 5 bytes, named "evil").
  'newswire_bg.wasm': (path) => appendFileSync(path, Buffer.from([0, 5, 4, 0x65, 0x76, 0x69, 0x6c])),
  'newswire.css': (path) => appendFileSync(path, '\n:host{outline:9px solid red!important}'),
};

/** Serves `www` and a partner page with the configurator's pinned snippet for its
 * release, for the server's own feed or (`client`) one it does not render; runs
 * `check(tab, errors)` on that page, and always cleans up. */
async function withPinnedRelease(www, check, client = false) {
  const host = await startServer({ www });
  const { embed, integrity } = release();
  const feed = client ? '/feed.json' : `${host.url}/feed.json`;
  const site = await startPartner({
    '/pinned.html': page(`<script async src="${host.url}${embed}" integrity="${integrity}" crossorigin="anonymous"
      data-feed="${feed}" data-loading="eager"></script>`),
    '/feed.json': serve(fixture('feed.json')),
  });
  const { context, tab, errors } = await open(browser);
  try {
    await tab.goto(`${site.url}/pinned.html`);
    await check(tab, errors);
  } finally {
    await context.close();
    await site.close();
    await host.stop();
    rmSync(www, { recursive: true, force: true });
  }
}

for (const [file, change] of Object.entries(TAMPERING)) {
  test(`a pinned release whose ${file} changed on disk shows the fallback and runs none of it`, async () => {
    // A feed the server does not render: the loader runs the release's files at once.
    await withPinnedRelease(
      tamperedSite(file, change),
      async (tab, errors) => {
        // Assert: the fallback, with a link to the news; the changed file did nothing.
        await tab.waitForSelector('newswire-widget[state="error"]', { state: 'attached', timeout: 15000 });
        const box = tab.locator('newswire-widget .nw-boot');
        await box.locator('a').waitFor();
        assert.match(await box.innerText(), /Read the latest news on the publisher’s site/);
        assert.equal(await tab.evaluate(() => globalThis.__tampered), undefined);
        assert.equal(await tab.locator('newswire-widget .nw-strip').count(), 0, 'the widget never rendered');
        assert.deepEqual(errors, []);
      },
      true,
    );
  });
}

for (const file of ['newswire.js', 'newswire-live.js', 'newswire_bg.wasm']) {
  test(`with ${file} changed on disk, the server-rendered news stays, reviews say they cannot be sent, and none of it runs`, async () => {
    await withPinnedRelease(tamperedSite(file, TAMPERING[file]), async (tab, errors) => {
      await ready(tab);
      // Hydration is tried when the page is idle, and refused: the news stays.
      await tab.locator('newswire-widget .nw-offline').waitFor({ timeout: 15000 });
      assert.match(await tab.locator('newswire-widget .nw-offline').innerText(), /Reviews can.t be sent from this page/);
      assert.equal(await tab.locator('newswire-widget .nw-form').isVisible(), false, 'no form that cannot work');
      assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
      assert.equal(await tab.evaluate(() => globalThis.__tampered), undefined);
      assert.equal(await tab.locator('newswire-widget[interactive]').count(), 0);
      assert.deepEqual(errors, []);
    });
  });
}

test('an untampered copy of the same release renders (the tampering tests are not vacuous)', async () => {
  const copy = tamperedSite('newswire.css', (path) => writeFileSync(path, readFileSync(path)));
  await withPinnedRelease(copy, async (tab, errors) => {
    await ready(tab);
    assert.deepEqual(errors, []);
  });
});
