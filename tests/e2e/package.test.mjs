// The npm package `newswire-widget` (packages/widget, built by `make package`) as a partner's
// app uses it: packed with `npm pack`, installed from the tarball into a throwaway Vite app
// with React 19 and Vue 3 from the registry, built, and served on another origin against the
// real server, in Chromium. Its types are checked with `tsc --strict` on a consumer file, and
// `npm publish --dry-run` must pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { startServer, startPartner, launch, open } from './harness.mjs';

const PACKAGE = resolve('target/package');
const TSC = resolve('node_modules/.bin/tsc');
let server;
let partner;
let browser;
let app;

const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

/** Every file under `dir`, as a partner route serving it. */
function staticRoutes(dir) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
  const routes = {};
  const walk = (at) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const type = types[name.slice(name.lastIndexOf('.'))] || 'application/octet-stream';
        routes['/' + relative(dir, path)] = (req, res) => {
          res.writeHead(200, { 'content-type': type });
          res.end(readFileSync(path));
        };
      }
    }
  };
  walk(dir);
  return routes;
}

before(async () => {
  // The package, packed as it would be published.
  const packs = mkdtempSync(join(tmpdir(), 'newswire-pack-'));
  const tarball = join(packs, run('npm', ['pack', PACKAGE, '--pack-destination', packs, '--silent'], packs).trim().split('\n').pop());
  // A partner's app: React 19, Vue 3 and Vite from the registry, the widget from the tarball.
  app = mkdtempSync(join(tmpdir(), 'newswire-app-'));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'partner-app',
      private: true,
      type: 'module',
      dependencies: {
        'newswire-widget': `file:${tarball}`,
        react: '^19',
        'react-dom': '^19',
        vue: '^3.5',
        vite: '^7',
        '@types/react': '^19',
      },
    }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
  const origin = `const origin = new URLSearchParams(location.search).get('origin');\n`;
  writeFileSync(
    join(app, 'react.js'),
    `import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { NewswireWidget } from 'newswire-widget/react';
${origin}
function App() {
  const [title, setTitle] = useState('From React');
  const [ready, setReady] = useState(0);
  window.__setTitle = setTitle;
  return h('div', null,
    h('p', { id: 'ready' }, String(ready)),
    h(NewswireWidget, { origin, feed: origin + '/feed.json', title, loading: 'eager', onReady: () => setReady((n) => n + 1) }));
}
createRoot(document.getElementById('root')).render(h(App));
`,
  );
  writeFileSync(
    join(app, 'vue.js'),
    `import { createApp, h, ref } from 'vue';
import { NewswireWidget } from 'newswire-widget/vue';
${origin}
createApp({
  setup() {
    const title = ref('From Vue');
    const ready = ref(0);
    window.__setTitle = (t) => (title.value = t);
    return () => h('div', [
      h('p', { id: 'ready' }, String(ready.value)),
      h(NewswireWidget, { origin, feed: origin + '/feed.json', title: title.value, loading: 'eager', onReady: () => ready.value++ }),
    ]);
  },
}).mount('#root');
`,
  );
  // A React app whose loader fails: its onError shows the message, and `window.__define`
  // tries again.
  writeFileSync(
    join(app, 'failing.js'),
    `import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { define } from 'newswire-widget';
import { NewswireWidget } from 'newswire-widget/react';
${origin}
window.__define = () => define({ origin }).then(() => 'defined', (err) => 'rejected: ' + err.message);
function App() {
  const [error, setError] = useState('');
  return h('div', null,
    h('p', { id: 'error' }, error),
    h(NewswireWidget, { origin, feed: origin + '/feed.json', loading: 'eager', onError: (detail) => setError(detail.message) }));
}
createRoot(document.getElementById('root')).render(h(App));
`,
  );
  for (const name of ['react', 'vue', 'failing']) {
    writeFileSync(
      join(app, `${name}.html`),
      `<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>${name} partner</title></head><body><h1>Partner app</h1><div id="root"></div><script type="module" src="/${name}.js"></script></body></html>`,
    );
  }
  writeFileSync(
    join(app, 'vite.config.js'),
    `export default { logLevel: 'error', build: { rollupOptions: { input: { react: 'react.html', vue: 'vue.html', failing: 'failing.html' } } } };\n`,
  );
  run(join(app, 'node_modules/.bin/vite'), ['build'], app);
  server = await startServer({ args: ['--allow-loopback'] });
  partner = await startPartner(staticRoutes(join(app, 'dist')));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

const title = (tab) =>
  tab.evaluate(() => {
    const el = document.querySelector('newswire-widget');
    const t = el && el.shadowRoot && el.shadowRoot.querySelector('.nw-title');
    return t ? t.textContent : null;
  });

for (const framework of ['react', 'vue']) {
  test(`in a ${framework} app the widget renders, a prop changed from ${framework} updates it in place before and after hydration, and the ready event reaches ${framework}`, async () => {
    const { context, tab, errors } = await open(browser);
    // The wasm held back, so that the first change meets the server's paint.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await tab.route('**/newswire_bg.wasm', async (route) => {
      await held;
      await route.continue();
    });
    await tab.goto(`${partner.url}/${framework}.html?origin=${encodeURIComponent(server.url)}`);
    await tab.waitForSelector('newswire-widget[state="ready"]', { state: 'attached', timeout: 20000 });
    const name = framework === 'react' ? 'From React' : 'From Vue';
    assert.equal(await title(tab), name);
    await tab.waitForFunction(() => Number(document.getElementById('ready').textContent) >= 1);
    assert.ok((await tab.locator('newswire-widget .nw-brief').count()) > 0);
    // Before the wasm has run: the server's paint, changed from the framework.
    assert.equal(await tab.locator('newswire-widget[interactive]').count(), 0, 'not yet hydrated');
    await tab.evaluate(() => window.__setTitle('Changed before hydration'));
    // The change asks for the wasm, which hydrates the paint and then applies it.
    release();
    await tab.waitForFunction(() => document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-title').textContent === 'Changed before hydration');
    await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 20000 });
    await tab.evaluate(() => window.__setTitle('Changed after hydration'));
    await tab.waitForFunction(() => document.querySelector('newswire-widget').shadowRoot.querySelector('.nw-title').textContent === 'Changed after hydration');
    assert.equal(await tab.locator('newswire-widget').count(), 1, 'updated in place, not replaced');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a loader that fails its integrity check rejects define() with a reason, reaches onError, leaves no script behind, and a later call loads the real one', async () => {
  const { context, tab, errors } = await open(browser);
  const pinned = JSON.parse(readFileSync('dist/newswire/release.json', 'utf8'));
  const loader = new URL(pinned.embed, server.url).href;
  // The publisher's server answers the pinned path with other bytes (a removed or changed
  // release): the Subresource Integrity check fails.
  const tampered = async (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' },
      body: readFileSync(join('dist', new URL(loader).pathname)).toString() + '\n// changed\n',
    });
  await tab.route(loader, tampered);
  await tab.goto(`${partner.url}/failing.html?origin=${encodeURIComponent(server.url)}`);
  await tab.waitForFunction(() => document.getElementById('error').textContent !== '', null, { timeout: 20000 });
  const message = await tab.locator('#error').textContent();
  assert.match(message, /^newswire-widget: the widget's loader .*embed.* did not load: .*integrity/, message);
  assert.equal(await tab.locator('script[data-newswire-package]').count(), 0, 'the failed script is gone');
  assert.equal(await tab.evaluate(() => !!customElements.get('newswire-widget')), false);
  // A second call, with the release still changed: rejected again, with the same reason.
  assert.match(await tab.evaluate(() => window.__define()), /^rejected: .*integrity/);
  // Once the real release is back, a later call loads it, and the widget shows its news.
  await tab.unroute(loader, tampered);
  assert.equal(await tab.evaluate(() => window.__define()), 'defined');
  await tab.waitForSelector('newswire-widget[state="ready"]', { state: 'attached', timeout: 20000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a loader that arrives after define() gave up defines the element once', async () => {
  const { context, tab, errors } = await open(browser);
  const pinned = JSON.parse(readFileSync('dist/newswire/release.json', 'utf8'));
  const loader = new URL(pinned.embed, server.url).href;
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await tab.route(loader, async (route) => {
    await held;
    await route.continue();
  });
  await tab.goto(`${partner.url}/failing.html?origin=${encodeURIComponent(server.url)}`);
  // Given up on at the deadline, while the loader is still on its way.
  await tab.waitForFunction(() => document.getElementById('error').textContent !== '', null, { timeout: 30000 });
  assert.match(await tab.locator('#error').textContent(), /did not define <newswire-widget> within 15 s/);
  // Then it arrives, and a later call finds the element defined, once.
  release();
  assert.equal(await tab.evaluate(() => window.__define()), 'defined');
  await tab.waitForSelector('newswire-widget[state="ready"]', { state: 'attached', timeout: 20000 });
  assert.deepEqual(errors, [], 'no second definition');
  await context.close();
});

test('the package types a consumer under tsc --strict, JSX included, and catches mistakes', () => {
  mkdirSync(join(app, 'types'), { recursive: true });
  writeFileSync(
    join(app, 'types', 'consumer.tsx'),
    `import { NewswireWidget } from 'newswire-widget/react';
import { define, release } from 'newswire-widget';
export const a = <NewswireWidget origin="https://n.example" feed="https://n.example/feed.json" max-briefs={3} onReady={(d) => d.briefs.toFixed()} />;
export const b = <newswire-widget feed="https://n.example/feed.json" theme="dark" />;
// @ts-expect-error: not a theme
export const c = <newswire-widget feed="x" theme="neon" />;
// @ts-expect-error: origin is required
export const d = <NewswireWidget feed="x" />;
export const e: Promise<number> = define({ origin: 'https://n.example' }).then(() => release.integrity.length);
`,
  );
  try {
    run(TSC, ['--noEmit', '--strict', '--jsx', 'react-jsx', '--module', 'esnext', '--moduleResolution', 'bundler', '--target', 'es2020', '--lib', 'es2020,dom', 'types/consumer.tsx'], app);
  } catch (err) {
    assert.fail(`tsc found errors:\n${err.stdout}${err.stderr}`);
  }
});

test('the package is publishable as it stands (npm publish --dry-run)', () => {
  const out = execFileSync('npm', ['publish', '--dry-run'], { cwd: PACKAGE, encoding: 'utf8', stdio: 'pipe' });
  assert.ok(typeof out === 'string');
  const pinned = readFileSync(join(PACKAGE, 'release.js'), 'utf8');
  const release = JSON.parse(readFileSync('dist/newswire/release.json', 'utf8'));
  assert.ok(pinned.includes(release.integrity), 'pinned to the release just built');
});
