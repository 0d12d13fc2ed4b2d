// Size is the one performance figure that fails a test. Measured in Chromium as a reader
// downloads it (tests/e2e/wire.mjs): at most 8 KB brotli before first content on the
// server-rendered path (the loader, the stylesheet and the rendered widget with its state),
// and at most 130 KB to interactive on every path (hydration and live updates included).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startPartner, launch, page, tag, serve, fixture } from './harness.mjs';
import { measure, FIRST_CONTENT_BUDGET, INTERACTIVE_BUDGET } from './wire.mjs';

let server;
let partner;
let browser;

before(async () => {
  server = await startServer();
  const include = await (await fetch(`${server.url}/newswire/include`)).text();
  partner = await startPartner({
    '/rendered.html': page(tag(server, 'data-loading="eager"')),
    '/client.html': page(tag(server, 'data-loading="eager"').replace(`${server.url}/feed.json`, '/feed.json')),
    '/feed.json': serve(fixture('feed.json')),
    '/include.html': page(`${include}<script async src="${server.url}/newswire/embed.js"></script>`),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await partner?.close();
  await server?.stop();
});

/** The widget's responses: the server's, and the feed wherever it is. */
const widget = (url) => url.startsWith(server.url) || url.endsWith('/feed.json');

const table = (result) => result.responses.map((r) => `${new URL(r.url).pathname}: ${r.brotli} B at ${Math.round(r.end)} ms`).join(', ');

test(`server-rendered: at most ${FIRST_CONTENT_BUDGET / 1000} KB before first content, ${INTERACTIVE_BUDGET / 1000} KB to interactive`, async () => {
  const result = await measure(browser, `${partner.url}/rendered.html`, widget);
  assert.ok(result.beforeFirst > 0 && result.toInteractive > result.beforeFirst, table(result));
  assert.ok(result.beforeFirst <= FIRST_CONTENT_BUDGET, `${result.beforeFirst} B before first content: ${table(result)}`);
  assert.ok(result.toInteractive <= INTERACTIVE_BUDGET, `${result.toInteractive} B to interactive: ${table(result)}`);
  // Nothing of the wasm is on the path to first content.
  assert.ok(!result.responses.some((r) => r.url.endsWith('.wasm') && r.end <= result.firstContent), table(result));
});

for (const [name, path] of [
  ['rendered on the client (a feed on another origin)', '/client.html'],
  ['the Declarative Shadow DOM include', '/include.html'],
]) {
  test(`${name}: at most ${INTERACTIVE_BUDGET / 1000} KB to interactive`, async () => {
    const result = await measure(browser, `${partner.url}${path}`, widget);
    assert.ok(result.toInteractive > 50 * 1000, `the wasm was counted: ${table(result)}`);
    assert.ok(result.toInteractive <= INTERACTIVE_BUDGET, `${result.toInteractive} B to interactive: ${table(result)}`);
  });
}
