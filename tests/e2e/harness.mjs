// End-to-end harness: the real newswire-server on one origin, a partner site (a small Node
// server) on another, and Debian's Chromium driven by playwright-core. Nothing is mocked.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const SERVER_BIN = process.env.NEWSWIRE_SERVER || 'target/debug/newswire-server';
export const DIST = process.env.NEWSWIRE_DIST || 'dist';
export const FIXTURES = 'tests/fixtures';

/**
 * Starts newswire-server on a free loopback port (or `addr`) with a fresh SQLite file (or the
 * store `db` names), more flags in `args` and more environment in `env`.
 */
export async function startServer({ feed = join(FIXTURES, 'feed.json'), www = DIST, db, addr = '127.0.0.1:0', args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'newswire-e2e-'));
  db = db || join(dir, 'reviews.db');
  const child = spawn(SERVER_BIN, ['--addr', addr, '--feed', feed, '--db', db, '--www', www, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The request log (a line a request) would drown the test output: warnings and errors only.
    env: { NEWSWIRE_LOG: 'warn', ...process.env, ...env },
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('newswire-server did not start: ' + out)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`newswire-server exited with ${code}: ${out}`)));
  });
  return {
    url,
    db,
    /**
     * Every stored review as [rating, comment, subject, page], oldest first, read as an
     * operator would: through `newswire-server reviews export --format json`.
     */
    reviews() {
      const out = execFileSync(SERVER_BIN, ['reviews', 'export', '--db', db, '--format', 'json'], { encoding: 'utf8' });
      return JSON.parse(out).map((r) => [r.rating, r.comment, r.subject, r.page]);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Rows of `sql` run on the SQLite file `db`, as objects, through Debian's `sqlite3` (which
 * the Makefile installs): for what a test checks or changes beneath the server.
 */
export function sqlite(db, sql) {
  const out = execFileSync('sqlite3', ['-json', '-cmd', '.timeout 5000', db, sql], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : [];
}

/**
 * Starts a partner site on http://localhost:PORT, another origin than the server's
 * 127.0.0.1. `routes` maps a path to HTML, or to a function (req, res) for custom answers.
 */
export async function startPartner(routes) {
  const server = createServer((req, res) => {
    const path = req.url.split('?')[0];
    const route = routes[path];
    if (typeof route === 'function') return route(req, res);
    if (typeof route === 'string') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(route);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A partner page: a little host content around `body`. */
export function page(body) {
  return `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Partner</title>
<link rel="icon" href="data:,"></head>
<body><h1>Partner news page</h1><p id="before">Some partner content.</p>
${body}
<p id="after">More partner content after the widget.</p></body></html>`;
}

/** The one tag a partner pastes. */
export function tag(server, extra = '') {
  return `<script async src="${server.url}/newswire/embed.js" data-feed="${server.url}/feed.json" crossorigin="anonymous" ${extra}></script>`;
}

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh page in a fresh context, recording uncaught errors and console messages. */
export async function open(browser, url, options = {}) {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', ...options });
  const tab = await context.newPage();
  const errors = [];
  const console = [];
  tab.on('pageerror', (err) => errors.push(err.message));
  tab.on('console', (msg) => console.push({ type: msg.type(), text: msg.text() }));
  if (url) await tab.goto(url);
  return { context, tab, errors, console };
}

/** Waits until the widget matching `selector` has its news on screen. */
export const ready = (tab, selector = 'newswire-widget') =>
  tab.waitForSelector(`${selector}[state="ready"]`, { state: 'attached', timeout: 15000 });

export function fixture(name) {
  return readFileSync(join(FIXTURES, name));
}

/** Serves `body` with `status` from the partner site, as a feed would be. */
export function serve(body, status = 200, type = 'application/feed+json') {
  return (req, res) => {
    res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
    res.end(body);
  };
}
