// Partner integration, end to end: theming, the live element in single-page apps, lazy
// mounting, the JS API and its events, hostile host CSS, and the configurator's snippet.
import { createRequire } from 'node:module';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, startPartner, launch, open, fixture, ready } from './harness.mjs';

const { PNG } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle');

let server;
let partner;
let browser;
// Feed requests that reached the partner's counted feed, by page.
const feedHits = {};
// What the configurator test pastes into a blank page.
let pasted = '';

function counted(name) {
  return (req, res) => {
    feedHits[name] = (feedHits[name] || 0) + 1;
    res.writeHead(302, { location: `${server.url}/feed.json` });
    res.end();
  };
}

/** A bare partner page with only `body` and the loader (no data-feed: elements only). */
function bare(body, lang = 'en-GB') {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Partner</title>
<link rel="icon" href="data:,"></head><body>${body}
<script async src="${server.url}/newswire/embed.js"></script></body></html>`;
}

function widget(attrs = '') {
  return `<newswire-widget loading="eager" feed="${server.url}/feed.json" ${attrs}></newswire-widget>`;
}

before(async () => {
  server = await startServer();
  partner = await startPartner({
    '/pasted.html': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><body style="margin:0"><div style="width: 400px">${pasted}</div></body></html>`);
    },
    '/live.html': bare(`<div style="width: 420px">${widget('id="w"')}</div>`),
    '/spa.html': bare('<main id="app"></main>'),
    '/lazy.html': bare(
      '<div id="spacer" style="height: 3000px">Long article</div>' +
        `<newswire-widget id="lazy" feed="/feeds/lazy"></newswire-widget>`,
    ),
    '/feeds/lazy': counted('lazy'),
    '/feeds/other': (req, res) => {
      const feed = JSON.parse(fixture('feed.json'));
      feed.title = 'Other Wire';
      res.writeHead(200, { 'content-type': 'application/feed+json' });
      res.end(JSON.stringify(feed));
    },
    '/late.html': bare('<newswire-widget id="late" loading="eager"></newswire-widget>'),
    '/queued.html': bare(
      `<div id="slot"></div><script>
        window.Newswire = window.Newswire || { q: [] };
        Newswire.q.push(['mount', document.getElementById('slot'),
          { feed: '${server.url}/feed.json', loading: 'eager', theme: 'dark', 'show-rating': true }]);
        window.__events = [];
        for (const kind of ['ready', 'error', 'review'])
          document.addEventListener('newswire:' + kind, (e) => __events.push([kind, e.detail, e.target.localName]));
      </script>` + `<newswire-widget id="broken" loading="eager" feed="/feeds/missing"></newswire-widget>`,
    ),
    '/hostile-none.html': bare(`<div style="width: 400px">${widget('lang="en"')}</div>`),
    ...Object.fromEntries(
      [
        ['all', '* { all: unset !important }'],
        ['hide', 'div, li, button { display: none !important }'],
        ['tiny', ':root { font-size: 5px }'],
      ].map(([name, css]) => [
        `/hostile-${name}.html`,
        // The widget sits in a host-styled container: under `all: unset` and
        // `display: none` a div would vanish, so the width is on a <section>.
        bare(`<style>${css}</style><section style="display: block !important; width: 400px !important">${widget('lang="en"')}</section>`),
      ]),
    ),
    '/host-styles.html': bare(
      `<style>body { font: 16px/1.5 Georgia, serif; color: #222 } a { color: purple } button { padding: 9px }
       li { margin: 3px } h2 { letter-spacing: 1px }</style>
       <h2>Host heading</h2><p>Text with <a href="#">a link</a>.</p><ul><li>One</li><li>Two</li></ul>
       <button type="button">Host button</button><div id="slot"></div>`,
    ),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

/**
 * Whether two screenshots show the same thing: every pixel alike but for antialiasing,
 * which Chromium's rasteriser does a shade differently where the same box lies at another
 * offset on the page (a rounded corner near a tile's edge). A leak of CSS changes far more.
 */
function alike(a, b) {
  const [x, y] = [PNG.sync.read(a), PNG.sync.read(b)];
  if (x.width !== y.width || x.height !== y.height) return false;
  let shaded = 0;
  for (let i = 0; i < x.data.length; i++) {
    const step = Math.abs(x.data[i] - y.data[i]);
    if (step > 48) return false;
    if (step) shaded++;
  }
  return shaded <= 200;
}

/** The widget's look, as pixels, without motion. */
async function shot(tab, selector = 'newswire-widget') {
  await tab.waitForTimeout(150);
  return tab.locator(selector).screenshot({ animations: 'disabled' });
}

test('every attribute has a visible effect', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/live.html`, {
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  await ready(tab);
  const w = tab.locator('#w');
  const base = await shot(tab, '#w');
  const inner = (selector, options) => w.locator(selector, options);
  const set = async (name, value) => {
    await w.evaluate((el, [n, v]) => el.setAttribute(n, v), [name, value]);
    await tab.waitForTimeout(250);
  };
  const unset = async (name) => {
    await w.evaluate((el, n) => el.removeAttribute(n), name);
    await tab.waitForTimeout(250);
  };
  // Attributes whose effect is seen: each changes the pixels, and then goes back.
  for (const [name, value, check] of [
    ['theme', 'dark', async () => assert.equal(await inner('section.nw').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(23, 25, 29)')],
    ['accent', '#c2185b', async () => assert.equal(await inner('.nw-submit').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(194, 24, 91)')],
    ['category', 'Economy', async () => assert.match(await inner('#nw-briefs-heading').textContent(), /Economy/)],
    ['max-briefs', '2', async () => assert.equal(await inner('[part="brief"]').count(), 2)],
    ['lang', 'tr', async () => assert.equal(await inner('[part="submit"]').textContent(), 'Gönder')],
    ['title', 'Our partner wire', async () => assert.equal(await inner('[part="title"]').textContent(), 'Our partner wire')],
    ['sections', 'headlines,review', async () => assert.equal(await inner('[part="briefs"]').isVisible(), false)],
    ['density', 'compact', async () => assert.equal(await inner('section.nw').evaluate((el) => getComputedStyle(el).paddingTop), '10px')],
  ]) {
    await set(name, value);
    await check();
    assert.notDeepEqual(await shot(tab, '#w'), base, `${name}="${value}" changes how the widget looks`);
    await unset(name);
  }
  // The ticker shows its effect in motion.
  await tab.emulateMedia({ reducedMotion: 'no-preference' });
  assert.equal(await inner('.nw-track').evaluate((el) => getComputedStyle(el).animationName), 'nw-scroll');
  await set('ticker', 'static');
  assert.equal(await inner('.nw-track').evaluate((el) => getComputedStyle(el).animationName), 'none');
  assert.equal(await inner('[part="ticker-control"]').isVisible(), false);
  await unset('ticker');
  // heading-level is for the outline, not the eye.
  await set('heading-level', '4');
  assert.equal(await inner('[part="title"]').evaluate((el) => el.tagName), 'H4');
  await unset('heading-level');
  // Another feed: its news replaces the first's, none of it marked new.
  const first = await w.getAttribute('feed');
  await set('feed', `${partner.url}/feeds/other`);
  await inner('[part="title"]', { hasText: 'Other Wire' }).waitFor();
  assert.equal(await inner('.nw-new').count(), 0);
  await set('feed', first);
  await inner('[part="title"]', { hasText: 'Test Wire' }).waitFor();
  // show-rating adds the public summary, once there is a review to sum up.
  const posted = await fetch(`${server.url}/api/reviews`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: partner.url },
    body: JSON.stringify({ rating: 5, comment: '', subject: 'lead-1', page: `${partner.url}/live.html`, key: 'a'.repeat(32) }),
  });
  assert.equal(posted.status, 201, await posted.text());
  await set('show-rating', '');
  await inner('[part="rating"]').waitFor();
  await unset('show-rating');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an attribute change updates in place: no second wasm fetch, no flash back to loading', async () => {
  const { context, tab, errors } = await open(browser, null);
  const wasm = [];
  tab.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  await tab.goto(`${partner.url}/live.html`);
  await ready(tab);
  await tab.locator('#w').evaluate((el) => {
    window.__states = [];
    new MutationObserver(() => __states.push(el.getAttribute('state'))).observe(el, { attributes: true, attributeFilter: ['state'] });
    el.setAttribute('theme', 'dark');
    el.setAttribute('lang', 'ru');
    el.setAttribute('category', 'Economy');
    el.setAttribute('max-briefs', '1');
  });
  await tab.locator('#w [part="submit"]', { hasText: 'Отправить отзыв' }).waitFor();
  await tab.waitForFunction(() => document.querySelector('#w').shadowRoot.querySelectorAll('[part="brief"]').length <= 1);
  assert.match(await tab.locator('#w #nw-briefs-heading').textContent(), /Economy/);
  assert.equal(wasm.length, 1, `one wasm download: ${wasm}`);
  assert.ok(!(await tab.evaluate(() => __states)).includes('loading'), 'never back to the loading state');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a widget whose feed is set late starts then, in the same element', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/late.html`);
  await tab.waitForSelector('#late[state="error"]', { state: 'attached', timeout: 15000 });
  await tab.locator('#late').evaluate((el, feed) => el.setAttribute('feed', feed), `${server.url}/feed.json`);
  await ready(tab, '#late');
  assert.ok((await tab.locator('#late [part="brief"]').count()) > 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('theme="auto" follows the reader’s colour scheme live', async () => {
  const { context, tab } = await open(browser, `${partner.url}/live.html`, { colorScheme: 'light' });
  await ready(tab);
  const background = () => tab.locator('#w section.nw').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(await background(), 'rgb(255, 255, 255)');
  await tab.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await background(), 'rgb(23, 25, 29)');
  await tab.emulateMedia({ colorScheme: 'light' });
  assert.equal(await background(), 'rgb(255, 255, 255)');
  await context.close();
});

test('a single-page app mounting and unmounting the element 100 times leaks nothing', async () => {
  const { context, tab, errors, console: messages } = await open(browser, null);
  // Count what the page holds: live timers and intervals, and listeners on window and
  // document, through the page's own functions.
  await tab.addInitScript(() => {
    const live = new Set();
    const wrap = (set, clear, repeating) => {
      const realSet = window[set];
      const realClear = window[clear];
      window[set] = function (fn, ms, ...rest) {
        const id = realSet.call(window, function (...a) {
          if (!repeating) live.delete(id);
          return typeof fn === 'function' ? fn.apply(this, a) : undefined;
        }, ms, ...rest);
        live.add(id);
        return id;
      };
      window[clear] = function (id) {
        live.delete(id);
        return realClear.call(window, id);
      };
    };
    wrap('setTimeout', 'clearTimeout', false);
    wrap('setInterval', 'clearInterval', true);
    const listeners = new Map();
    const add = EventTarget.prototype.addEventListener;
    const remove = EventTarget.prototype.removeEventListener;
    const key = (target, type) =>
      target === window ? `window:${type}` : target === document ? `document:${type}` : null;
    EventTarget.prototype.addEventListener = function (type, fn, opts) {
      const k = key(this, type);
      if (k) listeners.set(k, (listeners.get(k) || new Set()).add(fn));
      return add.call(this, type, fn, opts);
    };
    EventTarget.prototype.removeEventListener = function (type, fn, opts) {
      const k = key(this, type);
      if (k) listeners.get(k)?.delete(fn);
      return remove.call(this, type, fn, opts);
    };
    window.__held = () => ({
      timers: live.size,
      listeners: [...listeners.values()].reduce((n, s) => n + s.size, 0),
    });
  });
  await tab.goto(`${partner.url}/spa.html`);
  await tab.waitForFunction(() => window.Newswire && window.Newswire.mount);
  const cycle = (n, waitReady) =>
    tab.evaluate(
      async ([n, feed, waitReady]) => {
        const app = document.getElementById('app');
        for (let i = 0; i < n; i++) {
          // What React or Vue do: render the element, later drop it.
          const el = document.createElement('newswire-widget');
          el.setAttribute('feed', feed);
          el.setAttribute('loading', 'eager');
          app.appendChild(el);
          if (waitReady || i % 3 === 0) {
            await new Promise((resolve) => el.addEventListener('newswire:ready', resolve, { once: true }));
          }
          el.remove();
        }
        await new Promise((r) => setTimeout(r, 300));
        return window.__held();
      },
      [n, `${server.url}/feed.json`, waitReady],
    );
  const warm = await cycle(3, true);
  const after = await cycle(100, false);
  assert.deepEqual(after, warm, 'the same timers and listeners as after the first few mounts');
  assert.equal(await tab.locator('newswire-widget').count(), 0);
  // The same element, removed and added again, mounts again.
  const again = await tab.evaluate(async (feed) => {
    const el = Object.assign(document.createElement('newswire-widget'), {});
    el.setAttribute('feed', feed);
    el.setAttribute('loading', 'eager');
    const app = document.getElementById('app');
    const ready = () => new Promise((resolve) => el.addEventListener('newswire:ready', resolve, { once: true }));
    app.appendChild(el);
    await ready();
    el.remove();
    app.appendChild(el);
    await ready();
    return el.shadowRoot.querySelectorAll('[part="brief"]').length;
  }, `${server.url}/feed.json`);
  assert.ok(again > 0);
  assert.deepEqual(errors, []);
  assert.deepEqual(messages.filter((m) => m.type === 'error'), []);
  await context.close();
});

test('lazy mounting waits until the element is within 200 px of the viewport', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/lazy.html`);
  await tab.waitForFunction(() => window.Newswire && window.Newswire.version);
  await tab.waitForTimeout(600);
  assert.equal(feedHits.lazy || 0, 0, 'no feed request while far below the fold');
  assert.equal(await tab.locator('#lazy').getAttribute('state'), 'loading');
  await tab.locator('#lazy').scrollIntoViewIfNeeded();
  await ready(tab, '#lazy');
  assert.ok(feedHits.lazy >= 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('queued calls run, events carry their details, and refresh fetches again', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/queued.html`);
  await ready(tab, '#slot newswire-widget');
  await tab.waitForFunction(() => __events.some((e) => e[0] === 'error'));
  const mounted = tab.locator('#slot newswire-widget');
  assert.equal(await mounted.getAttribute('theme'), 'dark');
  assert.equal(await mounted.getAttribute('show-rating'), '');
  // The crate's version, stamped into the loader at release time.
  const release = JSON.parse(readFileSync('dist/newswire/release.json', 'utf8'));
  assert.equal(await tab.evaluate(() => Newswire.version), release.version);
  assert.match(release.version, /^\d+\.\d+\.\d+/);
  const events = await tab.evaluate(() => __events);
  const readyEvent = events.find((e) => e[0] === 'ready');
  const shown = await mounted.evaluate((el) => ({
    headlines: el.shadowRoot.querySelectorAll('[part="headline"]').length,
    briefs: el.shadowRoot.querySelectorAll('[part="brief"]').length,
  }));
  assert.ok(shown.headlines > 0 && shown.briefs > 0);
  assert.deepEqual(readyEvent, ['ready', shown, 'newswire-widget']);
  const errorEvent = events.find((e) => e[0] === 'error');
  assert.match(errorEvent[1].message, /HTTP status 404/);

  // refresh(element) asks the feed again.
  const feedRequests = [];
  tab.on('request', (r) => r.url().endsWith('/feed.json') && feedRequests.push(r.url()));
  await tab.evaluate(() => Newswire.refresh(document.querySelector('#slot newswire-widget')));
  await tab.waitForTimeout(500);
  assert.ok(feedRequests.length >= 1, 'a refresh fetches the feed');

  // A stored review fires newswire:review with the stored id.
  await mounted.locator('input[aria-label="4 stars out of 5"]').check();
  await mounted.locator('[part="submit"]').click();
  await tab.waitForFunction(() => __events.some((e) => e[0] === 'review'));
  const review = (await tab.evaluate(() => __events)).find((e) => e[0] === 'review');
  assert.equal(typeof review[1].id, 'number');
  assert.ok(server.reviews().some((row) => row[0] === 4));
  assert.deepEqual(errors, []);
  await context.close();
});

test('hostile global CSS on the host page does not change how the widget looks', async () => {
  const look = async (name) => {
    const { context, tab } = await open(browser, `${partner.url}/hostile-${name}.html`, {
      colorScheme: 'light',
      reducedMotion: 'reduce',
    });
    await ready(tab);
    const png = await shot(tab);
    await context.close();
    return png;
  };
  const clean = await look('none');
  for (const name of ['all', 'hide', 'tiny']) {
    assert.ok(alike(await look(name), clean), `the widget looks the same under hostile CSS "${name}"`);
  }
});

test('the widget’s CSS changes no computed style on the host page', async () => {
  const { context, tab } = await open(browser, `${partner.url}/host-styles.html`);
  const styles = () =>
    tab.evaluate(() =>
      [...document.querySelectorAll('body *:not(newswire-widget):not(script):not(style)')].map((el) => {
        const s = getComputedStyle(el);
        // Sizes follow the widget's box, and so do the origins computed from them.
        const sized = ['width', 'height', 'inline-size', 'block-size', 'transform-origin', 'perspective-origin'];
        return [el.localName, [...s].map((p) => (sized.includes(p) ? '' : `${p}:${s.getPropertyValue(p)}`)).join(';')];
      }),
    );
  await tab.waitForFunction(() => window.Newswire && window.Newswire.mount);
  const before = await styles();
  await tab.evaluate((feed) => Newswire.mount(document.getElementById('slot'), { feed, loading: 'eager' }), `${server.url}/feed.json`);
  await ready(tab);
  const after = (await styles()).filter(([name]) => !['newswire-widget'].includes(name));
  assert.deepEqual(after, before);
  await context.close();
});

test('the configurator’s snippet, pasted into a blank page, renders the same widget as its preview', async () => {
  const { context, tab, errors } = await open(browser, `${server.url}/configurator`, {
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  await ready(tab, '#preview');
  await tab.locator('select[name="theme"]').selectOption('dark');
  await tab.locator('#use-accent').check();
  await tab.locator('input[name="accent"]').fill('#ffd400');
  await tab.locator('select[name="lang"]').selectOption('ru');
  await tab.locator('select[name="density"]').selectOption('compact');
  await tab.locator('input[name="sections"][value="review"]').uncheck();
  await tab.locator('input[name="title"]').fill('Наши новости');
  await tab.waitForFunction(() => document.getElementById('snippet').textContent.includes('integrity='));
  const snippet = await tab.locator('#snippet').textContent();
  assert.match(snippet, /src="http:\/\/127\.0\.0\.1:\d+\/newswire\/v\/[0-9a-f]{12}\/embed\.js"/);
  assert.match(snippet, /integrity="sha384-[A-Za-z0-9+/]{64}" crossorigin="anonymous"/);
  await tab.locator('#preview #nw-briefs-heading', { hasText: 'Последнее' }).waitFor();
  const describe = (locator) =>
    locator.evaluate((el) => ({
      attributes: el.getAttributeNames().filter((n) => !['id', 'state', 'loading', 'style', 'interactive'].includes(n)).sort().map((n) => [n, el.getAttribute(n)]),
      text: el.shadowRoot.querySelector('section.nw').innerText,
      background: getComputedStyle(el.shadowRoot.querySelector('section.nw')).backgroundColor,
      button: getComputedStyle(el.shadowRoot.querySelector('.nw-strip')).borderInlineStartColor,
    }));
  const preview = await describe(tab.locator('#preview'));
  // The copy button puts the snippet on the clipboard.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await tab.locator('#copy').click();
  await tab.locator('#copied', { hasText: 'Copied' }).waitFor();
  assert.equal(await tab.evaluate(() => navigator.clipboard.readText()), snippet);

  const blank = await context.newPage();
  const blankLog = [];
  blank.on('console', (m) => blankLog.push(m.text()));
  blank.on('pageerror', (e) => blankLog.push(e.message));
  pasted = snippet;
  await blank.goto(`${partner.url}/pasted.html`);
  await ready(blank).catch((err) => assert.fail(`${err.message}\n${blankLog.join('\n')}\n${snippet}`));
  assert.deepEqual(await describe(blank.locator('newswire-widget')), preview);
  // The versioned loader is cached for good.
  const release = JSON.parse(await (await fetch(`${server.url}/newswire/release.json`)).text());
  const head = await fetch(`${server.url}${release.embed}`);
  assert.equal(head.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.deepEqual(errors, []);
  await context.close();
});
