// The cross-engine part of the end-to-end tests: the same checks in Chromium, Firefox and
// WebKit (tests/e2e/engines.mjs), one engine after another, against the real server with the
// partner page on another origin. Where an engine's driver cannot do something (emulate the
// dark colour scheme), the test says so and why, by name, instead of passing quietly.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startPartner, tag, fixture } from './harness.mjs';
import { ENGINES } from './engines.mjs';

let server;
let partner;
let include;
const FEED = JSON.parse(fixture('feed.json'));
// The server's feed file, a copy of the fixture, which the live test adds a story to.
const dir = mkdtempSync(join(tmpdir(), 'newswire-engines-'));
const feedFile = join(dir, 'feed.json');
function publish(...extra) {
  writeFileSync(feedFile, JSON.stringify({ ...FEED, items: [...extra, ...FEED.items] }));
}

/** A page on the partner's origin that records its own errors first (window.__errors). */
function pageWith(body, { lang = 'en-GB', script = true } = {}) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Partner</title>
${script ? '<script src="/errors.js"></script>' : ''}</head>
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
  publish();
  server = await startServer({ feed: feedFile, args: ['--allow-loopback'] });
  include = await (await fetch(`${server.url}/newswire/include`)).text();
  const strict = (script) =>
    `default-src 'none'; script-src 'self' ${script}; connect-src ${server.url}; style-src 'self'`;
  partner = await startPartner({
    '/errors.js': (req, res) => {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(`window.__errors = [];
        addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
        addEventListener('unhandledrejection', function (e) { window.__errors.push(String(e.reason)); });
        addEventListener('newswire:ready', function (e) { (window.__ready = window.__ready || []).push(e.detail); });`);
    },
    '/one.html': pageWith(tag(server, 'data-loading="eager"')),
    // Polling off: a story can only come through the stream.
    '/live.html': pageWith(tag(server, 'data-loading="eager" data-refresh="86400"')),
    // Mounted at once but out of view, so it stays the server's paint until the first touch.
    '/below.html': pageWith(`<div style="height:3000px"></div>${tag(server, 'data-loading="eager"')}`),
    // No script at all on this page: the include alone (WebDriver cannot switch scripts off).
    '/include.html': pageWith(include, { script: false }),
    '/csp.html': withCsp(strict(`${server.url} 'wasm-unsafe-eval'`), pageWith(tag(server, 'data-loading="eager"'))),
    '/csp-no-wasm.html': withCsp(strict(server.url), pageWith(tag(server, 'data-loading="eager"'))),
  });
});

after(async () => {
  await partner?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** In the page: the widget's parts, as a reader reads them. */
function widgetText() {
  const root = document.querySelector('newswire-widget').shadowRoot;
  const text = (el) => (el ? el.textContent.trim() : null);
  return {
    title: text(root.querySelector('.nw-title')),
    headlines: [...root.querySelectorAll('.nw-run:not(.nw-copy) .nw-headline bdi')].map(text),
    briefs: [...root.querySelectorAll('.nw-brief')].map((b) => ({
      title: text(b.querySelector('.nw-brief-title')),
      text: text(b.querySelector('.nw-brief-text')),
      time: text(b.querySelector('time')),
      datetime: b.querySelector('time') && b.querySelector('time').getAttribute('datetime'),
    })),
    lang: root.querySelector('.nw').getAttribute('lang'),
  };
}

/** In the page: a date as the widget writes it, by this engine's Intl. */
function dateAsWidget(iso, lang) {
  const date = new Date(Date.parse(iso));
  const part = (options) => new Intl.DateTimeFormat(lang, options).format(date);
  let day = part({ day: 'numeric', month: 'long', year: 'numeric' });
  if (/M\d/.test(day)) day = part({ day: '2-digit', month: '2-digit', year: 'numeric' });
  return day + ' ' + part({ hour: '2-digit', minute: '2-digit' });
}

const state = (value) => (v) => {
  const el = document.querySelector('newswire-widget');
  return el && el.getAttribute('state') === v;
};

// NEWSWIRE_ENGINES=WebKit (a comma-separated list) runs only those, when working on one.
const only = process.env.NEWSWIRE_ENGINES ? process.env.NEWSWIRE_ENGINES.split(',') : null;

for (const engine of ENGINES.filter((e) => !only || only.includes(e.name))) {
  describe(`in ${engine.name}`, () => {
    let browser;
    before(async () => {
      browser = await engine.start();
    });
    after(async () => {
      await browser?.stop();
    });

    test('the one tag on a partner page on another origin shows the news, text for text', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/one.html`);
        await page.waitFor(state(), 'ready');
        const shown = await page.eval(widgetText);
        // The fixture's headline and its politics briefs, newest first, five at most.
        const when = (i) => Date.parse(i.date_published) || -8.64e15;
        // Items without an id are never shown (the server drops them); undated ones go last.
        const items = [...FEED.items].filter((i) => typeof i.id === 'string' && i.id !== '').sort((a, b) => when(b) - when(a));
        const flagged = items.filter((i) => i._newswire && i._newswire.headline).map((i) => i.title);
        assert.equal(shown.title, FEED.title);
        assert.deepEqual(shown.headlines, flagged);
        const briefs = items
          .filter((i) => !(i._newswire && i._newswire.headline))
          .filter((i) => (i.tags || []).some((t) => t.toLowerCase() === 'politics'))
          .slice(0, 5);
        assert.deepEqual(
          shown.briefs.map((b) => b.title),
          briefs.map((i) => i.title || null),
        );
        // Each date as this engine's Intl writes it for the widget's language.
        for (const brief of shown.briefs.filter((b) => b.datetime)) {
          assert.equal(brief.time, await page.eval(dateAsWidget, brief.datetime, shown.lang), `${engine.name}: ${brief.datetime}`);
        }
        assert.deepEqual(await page.eval(() => window.__errors), []);
      } finally {
        await page.close();
      }
    });

    test('the server-rendered news is hydrated in place, and a review sent through the form is stored', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/below.html`);
        await page.waitFor(state(), 'ready');
        // The news on screen is the server's paint: no wasm has run for it yet.
        assert.equal(await page.eval(() => document.querySelector('newswire-widget').hasAttribute('interactive')), false);
        assert.ok((await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelectorAll('.nw-brief').length)) > 0);
        await page.eval(() => (window.__brief = document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')));
        // The reader's first touch (a focus in the form) hydrates it at once.
        await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelector('textarea').focus());
        await page.waitFor(() => document.querySelector('newswire-widget').hasAttribute('interactive'));
        assert.equal(
          await page.eval(() => window.__brief === document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-brief')),
          true,
          'the same nodes',
        );
        const comment = `From ${engine.name}`;
        await page.eval((text) => {
          const root = document.querySelector('newswire-widget').shadowRoot;
          root.querySelector('input[name="rating"][value="4"]').click();
          const area = root.querySelector('textarea');
          area.value = text;
          area.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
          root.querySelector('.nw-submit').click();
        }, comment);
        await page.waitFor(() => !!document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-status.is-done'));
        const stored = server.reviews().find((r) => r[1] === comment);
        assert.ok(stored, `${engine.name}: the review is in SQLite`);
        assert.equal(stored[0], 4);
        assert.deepEqual(await page.eval(() => window.__errors), []);
      } finally {
        await page.close();
      }
    });

    test('an attribute changed in place updates the widget, and the ready event reaches the page', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/one.html`);
        await page.waitFor(state(), 'ready');
        const ready = await page.eval(() => window.__ready);
        assert.equal(ready.length, 1);
        assert.ok(ready[0].briefs > 0 && ready[0].headlines > 0, JSON.stringify(ready));
        await page.eval(() => document.querySelector('newswire-widget').setAttribute('title', 'Changed in place'));
        await page.waitFor(
          () => document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-title').textContent === 'Changed in place',
        );
        assert.equal(await page.eval(() => document.querySelector('newswire-widget').hasAttribute('interactive')), true);
        assert.deepEqual(await page.eval(() => window.__errors), []);
      } finally {
        await page.close();
      }
    });

    test('theme="auto" follows the reader’s colour scheme', async (t) => {
      if (!engine.darkScheme) {
        t.skip(`${engine.name}: its WebDriver cannot set the colour scheme, so the dark case is not tested here`);
        return;
      }
      const background = () =>
        getComputedStyle(document.querySelector('newswire-widget').shadowRoot.querySelector('.nw')).backgroundColor;
      for (const [dark, expected] of [
        [false, 'rgb(255, 255, 255)'],
        [true, 'rgb(23, 25, 29)'],
      ]) {
        const page = await browser.page({ dark });
        try {
          await page.open(`${partner.url}/one.html`);
          await page.waitFor(state(), 'ready');
          assert.equal(await page.eval(background), expected, `${engine.name}, dark ${dark} (${engine.darkScheme})`);
        } finally {
          await page.close();
        }
      }
    });

    test('under a strict CSP the widget works; without wasm-unsafe-eval the news stays and reviews say they cannot be sent', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/csp.html`);
        await page.waitFor(state(), 'ready');
        await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelector('textarea').focus());
        await page.waitFor(() => document.querySelector('newswire-widget').hasAttribute('interactive'));
        assert.deepEqual(await page.eval(() => window.__errors), []);
        await page.open(`${partner.url}/csp-no-wasm.html`);
        await page.waitFor(state(), 'ready');
        await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelector('textarea').focus());
        await page.waitFor(() => {
          const note = document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-offline');
          return note && !note.hidden;
        });
        assert.ok((await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelectorAll('.nw-brief').length)) > 0);
        assert.deepEqual(await page.eval(() => window.__errors), []);
      } finally {
        await page.close();
      }
    });

    test('the Declarative Shadow DOM include shows the news on a page without the loader', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/include.html`);
        const shown = await page.waitFor(() => {
          const el = document.querySelector('newswire-widget');
          const root = el && el.shadowRoot;
          return root && root.querySelectorAll('.nw-brief').length > 0 && root.querySelector('.nw-title').textContent;
        });
        assert.equal(shown, FEED.title);
        assert.equal(await page.eval(() => document.querySelector('newswire-widget template')), null, 'a shadow root, not a template');
        assert.equal(await page.eval(() => document.scripts.length), 0, 'a page without any script');
      } finally {
        await page.close();
      }
    });

    test('a story the server publishes reaches the open, hydrated widget through its stream', async () => {
      const page = await browser.page();
      try {
        await page.open(`${partner.url}/live.html`);
        await page.waitFor(state(), 'ready');
        await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelector('textarea').focus());
        await page.waitFor(() => document.querySelector('newswire-widget').hasAttribute('interactive'));
        // Focus out of the widget, so that the news does not wait for the reader.
        await page.eval(() => document.querySelector('newswire-widget').shadowRoot.querySelector('textarea').blur());
        const title = `Live in ${engine.name}: the council votes`;
        publish({ id: `live-${engine.name}`, url: 'https://test-wire.example/live', title, date_published: new Date().toISOString(), tags: ['Politics'] });
        await page.waitFor(
          (title) => [...document.querySelector('newswire-widget').shadowRoot.querySelectorAll('.nw-brief-title')].some((b) => b.textContent.trim() === title),
          title,
        );
        assert.deepEqual(await page.eval(() => window.__errors), []);
      } finally {
        publish();
        await page.close();
      }
    });

    test(`the versions tested are recorded`, () => {
      console.log(`${engine.name}: ${browser.version}`);
      assert.ok(browser.version);
    });
  });
}
