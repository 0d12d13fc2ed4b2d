// Accessibility and languages, end to end: axe-core (from npm, injected into the page; it
// walks open shadow roots) on the demo page and its states, the keyboard, the ticker,
// the order in which the widget picks its language, and right-to-left layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer, startPartner, launch, open, page, tag, fixture, serve } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let server;
let partner;
let browser;

/** The fixture feed with a top-level `language`, or without one. */
function feedIn(language) {
  const feed = JSON.parse(fixture('feed.json'));
  if (language) feed.language = language;
  return serve(JSON.stringify(feed));
}

/** A partner page whose `<html lang>` is `lang`, with the tag's extra attributes. */
function pageIn(lang, extra = '', feed = `${server.url}/feed.json`) {
  return page(tag(server, extra).replace(`${server.url}/feed.json`, feed)).replace(
    'lang="en-GB"',
    `lang="${lang}"`,
  );
}

before(async () => {
  server = await startServer();
  partner = await startPartner({
    '/accent-pale.html': page(tag(server, 'data-accent="#ffe14d"')),
    '/accent-deep.html': page(tag(server, 'data-accent="rebeccapurple" data-theme="dark"')),
    '/down.html': page(tag(server).replace(`${server.url}/feed.json`, '/feeds/down')),
    '/rejecting.html': page(tag(server, 'data-review-endpoint="/rejecting-reviews"')),
    '/levels.html': page(tag(server, 'data-heading-level="3"')),
    // The language order: lang attribute, the feed's language, <html lang>, the browser's.
    '/order-attr.html': pageIn('az', 'data-lang="tr"', '/feeds/ru'),
    '/order-feed.html': pageIn('az', '', '/feeds/ru'),
    '/order-html.html': pageIn('az', '', '/feeds/plain'),
    '/order-browser.html': pageIn('fr', '', '/feeds/plain'),
    '/order-none.html': pageIn('fr', '', '/feeds/plain'),
    '/arabic.html': pageIn('ar', '', '/feeds/plain').replace('<html ', '<html dir="rtl" '),
    '/feeds/ru': feedIn('ru'),
    '/feeds/plain': feedIn(null),
    '/feeds/down': serve('{"error": "down"}', 503, 'application/json'),
    '/rejecting-reviews': (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(422, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        res.end('{"error": "comment too long"}');
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

const settled = (tab) =>
  tab.waitForSelector('newswire-widget:is([state="ready"], [state="error"])', {
    state: 'attached',
    timeout: 15000,
  });

/** axe's violations for the widget, as "rule: target" lines (empty when it passes). */
async function axe(tab) {
  await tab.evaluate(AXE);
  const violations = await tab.evaluate(
    (tags) =>
      window.axe
        .run({ include: [['newswire-widget']] }, { runOnly: { type: 'tag', values: tags } })
        .then((r) => r.violations),
    TAGS,
  );
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' > ')} ${n.failureSummary}`));
}

for (const [name, url, options] of [
  ['the demo page, light', () => `${server.url}/`, { colorScheme: 'light' }],
  ['the demo page, dark', () => `${server.url}/`, { colorScheme: 'dark' }],
  ['a pale accent', () => `${partner.url}/accent-pale.html`, { colorScheme: 'light' }],
  ['a deep accent on the dark theme', () => `${partner.url}/accent-deep.html`, {}],
  ['the error state', () => `${partner.url}/down.html`, {}],
  ['Arabic, right to left', () => `${partner.url}/arabic.html`, { colorScheme: 'dark' }],
]) {
  test(`axe finds no WCAG 2.2 AA violation: ${name}`, async () => {
    // Reduced motion: axe measures where targets are, which a scrolling ticker changes from
    // frame to frame (the ticker's own behaviour is tested below).
    const { context, tab, errors } = await open(browser, url(), { ...options, bypassCSP: true, reducedMotion: 'reduce' });
    await settled(tab);
    assert.deepEqual(await axe(tab), []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('axe finds no violation in the thanks and error states of a review', async () => {
  const { context, tab, errors } = await open(browser, `${server.url}/`, { bypassCSP: true });
  await settled(tab);
  await tab.locator('[part="submit"]').click();
  await tab.locator('[part="status"]', { hasText: 'Choose a rating' }).waitFor();
  assert.deepEqual(await axe(tab), [], 'the missing-rating error');
  await tab.locator('input[aria-label="5 stars out of 5"]').check();
  await tab.locator('[part="submit"]').click();
  await tab.locator('[part="status"]', { hasText: 'Thank you!' }).waitFor();
  assert.deepEqual(await axe(tab), [], 'the thanks');
  assert.deepEqual(errors, []);
  await context.close();
});

test('review results are announced in one polite live region, never the first load', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/rejecting.html`);
  await settled(tab);
  const live = tab.locator('newswire-widget section.nw > [role="status"]');
  assert.equal(await live.count(), 1);
  assert.equal(await live.innerText(), '', 'nothing is announced on first load');
  assert.equal(
    await tab.locator('newswire-widget [aria-live], newswire-widget [role="status"]').count(),
    1,
    'one live region, so nothing is read twice',
  );
  await tab.locator('input[aria-label="3 stars out of 5"]').check();
  await tab.locator('[part="submit"]').click();
  await tab.locator('newswire-widget section.nw > [role="status"]', { hasText: 'not accepted' }).waitFor();
  assert.match(await live.innerText(), /The review was not accepted: .*comment too long/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the ticker stops on hover and while a headline has keyboard focus', async () => {
  const { context, tab, errors } = await open(browser, `${server.url}/`, { reducedMotion: 'no-preference' });
  await settled(tab);
  const state = () =>
    tab.locator('newswire-widget .nw-track').evaluate((el) => getComputedStyle(el).animationPlayState);
  await tab.mouse.move(0, 0);
  assert.equal(await state(), 'running');
  // The pointer over the stories stops them too.
  await tab.locator('newswire-widget .nw-ticker').hover();
  assert.equal(await state(), 'paused');
  await tab.mouse.move(0, 0);
  assert.equal(await state(), 'running');
  // Keyboard only: from the pause button, Tab reaches the first headline.
  await tab.locator('[part="ticker-control"]').focus();
  await tab.keyboard.press('Tab');
  const focused = await tab.evaluate(() => {
    const el = document.querySelector('newswire-widget').shadowRoot.activeElement;
    return el && el.closest('[part="headline"]') !== null;
  });
  assert.ok(focused, 'a headline link has focus');
  assert.equal(await state(), 'paused');
  // The copy that makes the loop seamless is never reached.
  const copyLinks = await tab
    .locator('newswire-widget .nw-copy a')
    .evaluateAll((links) => links.map((a) => a.tabIndex));
  assert.ok(copyLinks.length > 0 && copyLinks.every((t) => t === -1));
  assert.deepEqual(errors, []);
  await context.close();
});

test('every control shows a focus ring that contrasts, in both themes', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, tab } = await open(browser, `${server.url}/`, { colorScheme });
    await settled(tab);
    await tab.locator('[part="ticker-control"]').focus();
    const seen = [];
    for (let i = 0; i < 14; i++) {
      const ring = await tab.evaluate(() => {
        const root = document.querySelector('newswire-widget').shadowRoot;
        const el = root.activeElement;
        if (!el) return null;
        // A star's ring is drawn on its label.
        const drawn = el.matches('.nw-star input') ? el.parentElement : el;
        const style = getComputedStyle(drawn);
        return { tag: el.tagName, width: style.outlineWidth, style: style.outlineStyle, colour: style.outlineColor };
      });
      if (!ring) break;
      seen.push(ring.tag);
      assert.notEqual(ring.style, 'none', `${colorScheme}: ${ring.tag} has a visible ring`);
      assert.equal(ring.width, '3px');
      await tab.keyboard.press('Tab');
    }
    for (const tagName of ['BUTTON', 'A', 'INPUT', 'TEXTAREA']) {
      assert.ok(seen.includes(tagName), `${colorScheme}: reached a ${tagName}: ${seen}`);
    }
    await context.close();
  }
});

test('heading-level sets the widget heading and its sections one level below', async () => {
  const { context, tab } = await open(browser, `${partner.url}/levels.html`);
  await settled(tab);
  const levels = await tab.locator('newswire-widget').evaluate((host) =>
    [...host.shadowRoot.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => h.tagName),
  );
  assert.equal(levels[0], 'H3');
  assert.ok(levels.includes('H4') && levels.includes('H5'), levels.join());
  assert.ok(!levels.includes('H2'), levels.join());
  const region = tab.locator('newswire-widget section.nw');
  assert.equal(await region.getAttribute('aria-label'), 'Test Wire', 'a named region');
  await context.close();
});

for (const [name, path, locale, expected] of [
  ['the lang attribute beats the feed and the page', 'order-attr', 'en-GB', ['tr', 'Son gelişmeler']],
  ['the feed’s language beats the page', 'order-feed', 'en-GB', ['ru', 'Последнее в рубрике']],
  ['the page’s <html lang> beats the browser', 'order-html', 'ru-RU', ['az', 'Son xəbərlər: ']],
  ['the browser’s language comes next', 'order-browser', 'ar-EG', ['ar-EG', 'الأحدث في']],
  ['English is the last resort', 'order-none', 'de-DE', ['en', 'Latest in']],
]) {
  test(`language order: ${name}`, async () => {
    const { context, tab, errors } = await open(browser, `${partner.url}/${path}.html`, { locale });
    await settled(tab);
    const root = tab.locator('newswire-widget section.nw');
    assert.equal(await root.getAttribute('lang'), expected[0]);
    assert.match(await tab.locator('#nw-briefs-heading').textContent(), new RegExp(expected[1]));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('Arabic mirrors the layout: the pause button and the dates sit on the right', async () => {
  const { context, tab, errors } = await open(browser, `${partner.url}/arabic.html`, {
    reducedMotion: 'no-preference',
  });
  await settled(tab);
  const layout = await tab.locator('newswire-widget').evaluate((host) => {
    const root = host.shadowRoot;
    const document = host.ownerDocument;
    const box = (sel) => root.querySelector(sel).getBoundingClientRect();
    const track = root.querySelector('.nw-track');
    return {
      dir: root.querySelector('section.nw').getAttribute('dir'),
      strip: box('.nw-strip'),
      button: box('[part="ticker-control"]'),
      brief: box('[part="brief"]'),
      // The date's text, not its box, which spans the brief.
      date: (() => {
        const range = document.createRange();
        range.selectNodeContents(root.querySelector('[part="brief"] time'));
        return range.getBoundingClientRect();
      })(),
      animation: getComputedStyle(track).animationName,
      titleDir: getComputedStyle(root.querySelector('.nw-brief-title')).direction,
    };
  });
  assert.equal(layout.dir, 'rtl');
  const right = (b) => b.x + b.width;
  assert.ok(right(layout.strip) - right(layout.button) < 20, 'the pause button is at the right end');
  assert.ok(layout.button.x > layout.strip.x + layout.strip.width / 2);
  assert.ok(Math.abs(right(layout.brief) - right(layout.date)) < 4, 'the date starts at the right edge');
  assert.ok(layout.date.x > layout.brief.x + 2, 'and not at the left');
  assert.equal(layout.animation, 'nw-scroll-rtl', 'the ticker runs the other way');
  // The English headlines keep their own direction inside the Arabic widget.
  assert.equal(layout.titleDir, 'ltr');
  assert.deepEqual(errors, []);
  await context.close();
});

for (const width of [280, 320, 1200]) test(`at ${width} px wide nothing overflows${width === 320 ? ' (a 640 px window at 200% zoom)' : ''}`, async () => {
  const { context, tab, errors } = await open(browser, `${server.url}/`, {
    viewport: { width, height: 900 },
  });
  await settled(tab);
  const overflow = await tab.locator('newswire-widget').evaluate((host) => {
    const root = host.shadowRoot.querySelector('section.nw');
    const wide = [...root.querySelectorAll('*')].filter((el) => {
      if (el.closest('.nw-ticker')) return false; // the ticker scrolls by design
      const r = el.getBoundingClientRect();
      const outer = root.getBoundingClientRect();
      return r.width > 0 && (r.left < outer.left - 1 || r.right > outer.right + 1);
    });
    return { page: document.documentElement.scrollWidth, wide: wide.map((el) => el.className || el.tagName) };
  });
  assert.ok(overflow.page <= width, `the page does not scroll sideways: ${overflow.page}`);
  assert.deepEqual(overflow.wide, []);
  assert.deepEqual(errors, []);
  await context.close();
});
