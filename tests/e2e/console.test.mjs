// The publisher's console end to end: the real server in real Chromium, on SQLite and on a
// real PostgreSQL (a throwaway cluster), with every number checked against the database.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, startPartner, launch, open, page, tag, ready, sqlite } from './harness.mjs';
import { startCluster } from './postgres.mjs';
import { XSS_CORPUS } from './xss-corpus.mjs';

const TOKEN = 'console-test-token-0123456789';
const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const PARTNERS = ['https://riverside.example', 'https://quay.example', 'http://hill.example:8080'];

let browser;
let cluster;

before(async () => {
  browser = await launch();
  cluster = await startCluster();
});

after(async () => {
  await browser?.close();
  cluster?.stop();
});

/** The origin a page at `page` posts from: its partner's, else a loopback page's. */
function originOf(page) {
  try {
    const origin = new URL(page).origin;
    if (PARTNERS.includes(origin)) return origin;
  } catch {}
  return 'http://127.0.0.1:9';
}

/** Posts a review as a partner page would: from the origin of its page. */
async function post(server, review) {
  const res = await fetch(`${server.url}/api/reviews`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: originOf(review.page) },
    body: JSON.stringify(review),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return JSON.parse(text).id;
}

async function signIn(browser, server, options = {}) {
  const session = await open(browser, `${server.url}/admin`, options);
  await session.tab.fill('#token', TOKEN);
  await session.tab.click('button[type=submit]');
  await session.tab.waitForURL('**/admin/reviews');
  return session;
}

async function axe(tab) {
  // Through the debugger, which the page's CSP (no inline script) does not govern.
  await tab.evaluate(AXE);
  const result = await tab.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }),
  );
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The cells of a table, row by row. */
const cells = (tab, selector) =>
  tab.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent.trim())),
  );

for (const kind of ['sqlite', 'postgres']) {
  describe(`the console on ${kind}`, () => {
    let server;
    let query;
    let partner;

    before(async () => {
      // The partner sites are allowed, and loopback beside them for the widget's own page.
      const flags = ['--client-rate', '100000', '--global-rate', '100000', '--allow-loopback'];
      for (const origin of PARTNERS) flags.push('--allow-origin', origin);
      if (kind === 'postgres') {
        const db = cluster.createDatabase('console');
        server = await startServer({ db, args: flags, env: { NEWSWIRE_ADMIN_TOKEN: TOKEN } });
        query = (sql) => cluster.query(db, sql);
      } else {
        server = await startServer({ args: flags, env: { NEWSWIRE_ADMIN_TOKEN: TOKEN } });
        query = (sql) => sqlite(server.db, sql);
      }
      // 64 reviews over three partner sites and two stories, a few about the ferry.
      for (let n = 0; n < 64; n++) {
        await post(server, {
          rating: 1 + (n % 5),
          comment: n % 9 === 0 ? `Review ${n}: the Ferry times helped` : `Review ${n}, written for the tests`,
          subject: n % 2 ? 'lead-1' : 'brief-2',
          page: `${PARTNERS[n % 3]}/news/${n}?token=secret#frag`,
          key: `seed-${n}`,
        });
      }
      partner = await startPartner({ '/widget.html': page(tag(server, 'data-show-rating="" data-loading="eager"')) });
    });

    after(async () => {
      await partner?.close();
      await server?.stop();
    });

    test('sign in, filter, search and page through the reviews', async () => {
      // A wrong token is refused, and says so.
      const { context, tab, errors } = await open(browser, `${server.url}/admin`);
      await tab.fill('#token', 'not-the-token-at-all');
      await tab.click('button[type=submit]');
      await tab.locator('[role="alert"]', { hasText: 'not the token' }).waitFor();
      await tab.fill('#token', TOKEN);
      await tab.click('button[type=submit]');
      await tab.waitForURL('**/admin/reviews');
      // Page one: the 50 newest; the next page: the rest.
      const total = query('SELECT COUNT(*) AS n FROM reviews')[0].n;
      assert.equal(await tab.locator('table.reviews tbody tr').count(), 50);
      const newest = query('SELECT MAX(id) AS id FROM reviews')[0].id;
      assert.equal(await tab.locator('input[name="ids"]').first().getAttribute('value'), String(newest));
      await tab.click('a[rel="next"]');
      assert.equal(await tab.locator('table.reviews tbody tr').count(), total - 50);
      // A rating, a partner and a search, as a reader of the form would set them.
      await tab.goto(`${server.url}/admin/reviews`);
      await tab.selectOption('#rating', '5');
      await tab.selectOption('#partner', PARTNERS[0]);
      await tab.click('.filters button[type=submit]');
      const expected = query(`SELECT id FROM reviews WHERE rating = 5 AND origin = '${PARTNERS[0]}' ORDER BY id DESC`);
      const shown = await tab.$$eval('input[name="ids"]', (boxes) => boxes.map((b) => Number(b.value)));
      assert.deepEqual(shown, expected.map((r) => r.id));
      await tab.goto(`${server.url}/admin/reviews`);
      await tab.fill('#q', 'ferry');
      await tab.click('.filters button[type=submit]');
      const ferry = query(`SELECT id FROM reviews WHERE LOWER(comment) LIKE '%ferry%' ORDER BY id DESC`);
      assert.ok(ferry.length > 3);
      assert.equal(await tab.locator('table.reviews tbody tr').count(), ferry.length);
      // The page is kept without its query: the reader's token never reached the store.
      assert.equal(query(`SELECT COUNT(*) AS n FROM reviews WHERE page LIKE '%secret%'`)[0].n, 0);
      assert.deepEqual(errors, []);
      await context.close();
    });

    test('hiding a review takes it out of the widget’s public summary', async () => {
      const reader = await open(browser, `${partner.url}/widget.html`);
      await ready(reader.tab);
      const rating = reader.tab.locator('newswire-widget [part="rating"]');
      await rating.waitFor();
      const visible = Number(query(`SELECT COUNT(*) AS n FROM reviews WHERE ${kind === 'sqlite' ? 'hidden = 0' : 'NOT hidden'}`)[0].n);
      assert.match(await rating.textContent(), new RegExp(`${visible} reader reviews`));
      // The editor hides the newest review, by keyboard.
      const { context, tab } = await signIn(browser, server);
      const id = Number(await tab.locator('input[name="ids"]').first().getAttribute('value'));
      await tab.locator(`button[name="one"][value="${id}"]`).focus();
      await Promise.all([tab.waitForNavigation(), tab.keyboard.press('Enter')]);
      await tab.locator(`button[name="one"][value="${id}"]`, { hasText: 'Show' }).waitFor();
      assert.equal(Boolean(query(`SELECT hidden FROM reviews WHERE id = ${id}`)[0].hidden), true);
      // The reader's widget counts one fewer (after the store's one-second summary cache).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await reader.tab.reload();
      await ready(reader.tab);
      await reader.tab.locator('newswire-widget [part="rating"]', { hasText: `${visible - 1} reader reviews` }).waitFor();
      await reader.context.close();
      await context.close();
    });

    test('bulk-hide the reviews that are checked', async () => {
      const { context, tab } = await signIn(browser, server);
      const boxes = tab.locator('input[name="ids"]');
      const ids = [];
      for (const n of [2, 3, 4]) {
        ids.push(Number(await boxes.nth(n).getAttribute('value')));
        await boxes.nth(n).check();
      }
      await Promise.all([tab.waitForNavigation(), tab.click('button[formaction="/admin/reviews/hide"]:not([name])')]);
      const rows = query(`SELECT id, hidden FROM reviews WHERE id IN (${ids.join(',')}) ORDER BY id`);
      assert.deepEqual(rows.map((r) => Boolean(r.hidden)), [true, true, true]);
      await context.close();
    });

    test(`stored XSS: ${XSS_CORPUS.length} payloads in comments, pages and subjects stay text`, async () => {
      for (const [n, payload] of XSS_CORPUS.entries()) {
        await post(server, { rating: 3, comment: payload, subject: payload.slice(0, 200), page: payload, key: `xss-${n}` });
      }
      // Without the console's CSP, so that the escaping alone is what keeps the payloads inert.
      const { context, tab, errors } = await signIn(browser, server, { bypassCSP: true });
      const dialogs = [];
      tab.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss();
      });
      await tab.evaluate(() => (window.__xss = 0));
      for (const path of ['/admin/reviews?q=%3C', '/admin/reviews', '/admin/overview', '/admin/reviews?status=all']) {
        await tab.goto(`${server.url}${path}`);
        await tab.evaluate(() => (window.__xss = window.__xss || 0));
        await tab.waitForTimeout(100);
        assert.equal(await tab.evaluate(() => window.__xss), 0, path);
        assert.equal(await tab.locator('main script, main img, main iframe, main svg:not(.chart), main math').count(), 0, path);
        const hrefs = await tab.$$eval('main a[href]', (links) => links.map((a) => a.href));
        for (const href of hrefs) assert.match(href, /^https?:/, `${path}: ${href}`);
      }
      // Every payload is on screen as the text it is.
      await tab.goto(`${server.url}/admin/reviews`);
      const comments = await tab.$$eval('td.comment', (tds) => tds.map((td) => td.textContent));
      for (const payload of XSS_CORPUS.slice(-40)) {
        const stored = query(`SELECT comment FROM reviews WHERE key = 'xss-${XSS_CORPUS.indexOf(payload)}'`)[0].comment;
        assert.ok(comments.includes(stored), `shown as text: ${JSON.stringify(stored)}`);
      }
      assert.deepEqual(dialogs, []);
      assert.deepEqual(errors, []);
      await context.close();
    });

    test('a cross-origin form post to each state-changing route is refused', async () => {
      const { context, tab } = await signIn(browser, server);
      const csrf = await tab.locator('input[name="csrf"]').first().inputValue();
      const id = Number(await tab.locator('input[name="ids"]').first().getAttribute('value'));
      const before = query(`SELECT hidden FROM reviews WHERE id = ${id}`)[0].hidden;
      const attack = await startPartner({
        '/attack.html': (req, res) => {
          const url = new URL(req.url, 'http://x');
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`<form id="f" method="post" action="${server.url}${url.searchParams.get('to')}">
            <input name="one" value="${id}"><input name="ids" value="${id}"><input name="csrf" value="guess">
            <input name="token" value="${TOKEN}"></form><script>document.getElementById('f').submit()</script>`);
        },
      });
      const cookie = (await context.cookies()).find((c) => c.name === 'nw_console');
      for (const route of ['/admin/reviews/hide', '/admin/reviews/show', '/admin/sign-out', '/admin/sign-in']) {
        const victim = await context.newPage();
        const answer = victim.waitForResponse((r) => r.url().startsWith(`${server.url}${route}`));
        await victim.goto(`${attack.url}/attack.html?to=${encodeURIComponent(route)}`);
        const response = await answer;
        const headers = await response.allHeaders();
        // Refused outright, or (the browser kept its SameSite=Strict cookie) sent to sign in.
        assert.ok(
          response.status() === 403 || (response.status() === 303 && headers.location === '/admin'),
          `${route}: ${response.status()} ${headers.location}`,
        );
        assert.equal(headers['set-cookie'], undefined, `${route} started or ended no session`);
        await victim.close();
      }
      assert.deepEqual(
        (await context.cookies()).find((c) => c.name === 'nw_console').value,
        cookie.value,
        'the editor’s session is the one it was',
      );
      // Still signed in: the cross-site sign-out did nothing.
      await tab.goto(`${server.url}/admin/reviews`);
      assert.match(tab.url(), /\/admin\/reviews$/);
      // The server's own check, without the browser's SameSite: a right cookie and token
      // from another origin are still refused.
      const forged = await fetch(`${server.url}/admin/reviews/hide`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: `nw_console=${cookie.value}`,
          origin: 'https://evil.example',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `csrf=${csrf}&one=${id}`,
      });
      assert.equal(forged.status, 403);
      assert.equal(query(`SELECT hidden FROM reviews WHERE id = ${id}`)[0].hidden, before);
      await attack.close();
      await context.close();
    });

    test('the session cookie’s flags; expired, forged and signed-out sessions are refused', async () => {
      const signed = await fetch(`${server.url}/admin/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: `token=${TOKEN}`,
      });
      assert.equal(signed.status, 303);
      const cookie = signed.headers.get('set-cookie');
      for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/admin', 'Max-Age=']) assert.ok(cookie.includes(flag), cookie);
      assert.ok(!cookie.includes('Secure'), 'plain http here');
      const value = /nw_console=([0-9a-f]{64})/.exec(cookie)[1];
      const get = (v) => fetch(`${server.url}/admin/overview`, { redirect: 'manual', headers: { cookie: `nw_console=${v}` } });
      assert.equal((await get(value)).status, 200);
      assert.equal((await get('0'.repeat(64))).status, 303, 'forged');
      // Expired: the store says so.
      const now = Math.floor(Date.now() / 1000);
      if (kind === 'sqlite') {
        sqlite(server.db, `UPDATE admin_sessions SET expires = ${now - 1}`);
      } else {
        cluster.execute(server.db, `UPDATE admin_sessions SET expires = ${now - 1}`);
      }
      assert.equal((await get(value)).status, 303, 'expired');
      // Over https, behind a proxy we trust, the cookie is Secure.
      const secure = await startServer({ args: ['--trust-proxy'], env: { NEWSWIRE_ADMIN_TOKEN: TOKEN } });
      const over = await fetch(`${secure.url}/admin/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https', origin: secure.url },
        body: `token=${TOKEN}`,
      });
      assert.ok(over.headers.get('set-cookie').includes('; Secure'));
      await secure.stop();
      // Signing out ends the session on the server: its cookie no longer works.
      const { context, tab } = await signIn(browser, server);
      const live = (await context.cookies()).find((c) => c.name === 'nw_console').value;
      await tab.click('.sign-out button');
      await tab.waitForURL('**/admin');
      await tab.locator('#token').waitFor();
      assert.equal((await get(live)).status, 303, 'signed out');
      await context.close();
    });

    test('every console page has the CSP and frame-ancestors, and no axe violation, light and dark', async () => {
      for (const scheme of ['light', 'dark']) {
        const { context, tab, errors } = await signIn(browser, server, { colorScheme: scheme });
        for (const path of ['/admin/reviews', '/admin/overview', '/admin/health', '/admin/reviews?status=hidden']) {
          const response = await tab.goto(`${server.url}${path}`);
          const headers = response.headers();
          assert.match(headers['content-security-policy'], /default-src 'self'/);
          assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
          assert.doesNotMatch(headers['content-security-policy'], /unsafe-inline/);
          assert.equal(headers['x-frame-options'], 'DENY');
          assert.deepEqual(await axe(tab), [], `${scheme} ${path}`);
        }
        await tab.click('.sign-out button');
        await tab.waitForURL('**/admin');
        assert.deepEqual(await axe(tab), [], `${scheme} sign-in`);
        assert.deepEqual(errors, []);
        await context.close();
      }
    });

    test('the overview’s numbers are the database’s, read through its data tables', async () => {
      const { context, tab } = await signIn(browser, server);
      await tab.goto(`${server.url}/admin/overview?days=90`);
      const db = query('SELECT rating, COUNT(*) AS n FROM reviews GROUP BY rating');
      const ratings = await cells(tab, '#ratings-table');
      for (const [label, count] of ratings) {
        const stars = Number(label[0]);
        assert.equal(Number(count), db.find((r) => r.rating === stars)?.n ?? 0, label);
      }
      assert.equal(Number(await tab.locator('#total').textContent()), query('SELECT COUNT(*) AS n FROM reviews')[0].n);
      const since = Math.floor(Date.now() / 86400000) - 89;
      const days = query(`SELECT created_at / 86400 AS day, COUNT(*) AS n FROM reviews WHERE created_at >= ${since * 86400} GROUP BY 1 ORDER BY 1`);
      const shownDays = await cells(tab, '#days-table');
      assert.deepEqual(
        shownDays.map(([day, n]) => [day, Number(n)]),
        days.map((r) => [new Date(Number(r.day) * 86400000).toISOString().slice(0, 10), Number(r.n)]),
      );
      const partners = query('SELECT origin, COUNT(*) AS n FROM reviews GROUP BY origin');
      for (const [origin, n] of await cells(tab, '#partners-table')) {
        const name = origin === 'Unattributed' ? '' : origin;
        assert.equal(Number(n), Number(partners.find((p) => p.origin === name).n), origin);
      }
      // The charts draw the same numbers: one bar per rating.
      assert.equal(await tab.locator('svg.chart').first().locator('rect.bar').count(), 5);
      await context.close();
    });

    test('exports download the current filter, row for row', async () => {
      const { context, tab } = await signIn(browser, server);
      await tab.goto(`${server.url}/admin/reviews?rating=4`);
      for (const format of ['json', 'csv']) {
        const download = tab.waitForEvent('download');
        await tab.click(`.exports a[href^="/admin/export.${format}"]`);
        const file = await (await download).path();
        const text = readFileSync(file, 'utf8');
        const expected = query('SELECT id, comment FROM reviews WHERE rating = 4 ORDER BY id DESC');
        if (format === 'json') {
          const rows = JSON.parse(text);
          assert.deepEqual(rows.map((r) => [r.id, r.comment]), expected.map((r) => [Number(r.id), r.comment]));
          assert.ok(rows.every((r) => r.rating === 4));
        } else {
          const lines = text.trim().split('\r\n');
          assert.equal(lines[0], 'id,created_at,rating,hidden,subject,page,comment');
          assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[0])), expected.map((r) => Number(r.id)));
        }
      }
      await context.close();
    });

    test('feed health, the allow-list, and where the widget is shown', async () => {
      // A partner page loads the widget: its origin is counted, from the Origin header.
      const reader = await open(browser, `${partner.url}/widget.html`);
      await ready(reader.tab);
      await reader.tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 15000 });
      await reader.context.close();
      const { context, tab } = await signIn(browser, server);
      await tab.goto(`${server.url}/admin/health`);
      const text = await tab.locator('#health').textContent();
      const feed = await fetch(`${server.url}/feed.json`);
      const items = (await feed.json()).items.length;
      assert.match(text, new RegExp(`Items\\s*${items}`));
      assert.ok(text.includes(feed.headers.get('etag')), text);
      assert.match(text, /tests\/fixtures\/feed\.json/);
      // The named partners, and loopback beside them (`--allow-loopback`).
      const allowed = await tab.locator('main').textContent();
      for (const origin of PARTNERS) assert.ok(allowed.includes(origin), allowed);
      assert.match(allowed, /Loopback pages are allowed too/);
      await tab.goto(`${server.url}/admin/overview`);
      const views = await cells(tab, '#views-table');
      // Day, origin, feed, widget (its wasm), rendered: the partner page showed the server's
      // HTML of the widget, then its wasm took over.
      const row = views.find(([, origin]) => origin === partner.url);
      assert.ok(row && Number(row[3]) >= 1 && Number(row[4]) >= 1, JSON.stringify(views));
      await context.close();
    });

    test('usable at 390 px: nothing overflows, and moderation works', async () => {
      const { context, tab } = await signIn(browser, server, { viewport: { width: 390, height: 844 } });
      for (const path of ['/admin/reviews', '/admin/overview', '/admin/health']) {
        await tab.goto(`${server.url}${path}`);
        const width = await tab.evaluate(() => document.scrollingElement.scrollWidth);
        assert.ok(width <= 390, `${path}: ${width} px wide`);
      }
      await tab.goto(`${server.url}/admin/reviews?status=hidden`);
      const id = Number(await tab.locator('input[name="ids"]').first().getAttribute('value'));
      await Promise.all([tab.waitForNavigation(), tab.locator(`button[name="one"][value="${id}"]`).click()]);
      assert.match(tab.url(), /\/admin\/reviews\?status=hidden$/);
      assert.equal(Boolean(query(`SELECT hidden FROM reviews WHERE id = ${id}`)[0].hidden), false);
      await context.close();
    });
  });
}

test('without an admin token, /admin says how to turn the console on', async () => {
  const server = await startServer();
  const { context, tab } = await open(browser, `${server.url}/admin`);
  assert.match(await tab.locator('main').textContent(), /--admin-token-file/);
  assert.deepEqual(await axe(tab), []);
  await context.close();
  await server.stop();
});
