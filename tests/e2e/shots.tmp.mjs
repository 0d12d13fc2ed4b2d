import { startServer, startPartner, launch, open } from './harness.mjs';
const server = await startServer({ feed: 'www/sample-feed.json' });
const langs = ['en', 'az', 'ru', 'tr', 'ar'];
const widgets = langs.map((l) => `<div class="c"><newswire-widget feed="${server.url}/feed.json" lang="${l}"></newswire-widget></div>`).join('');
const html = (w) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>body{margin:10px;font:16px system-ui;display:flex;gap:12px;flex-wrap:wrap} .c{width:${w}px}</style></head><body>
<script async src="${server.url}/newswire/embed.js"></script>${widgets}</body></html>`;
const partner = await startPartner({ '/a.html': html(340), '/b.html': html(1000) });
const browser = await launch();
for (const scheme of ['light', 'dark']) {
  for (const [p, w] of [['a', 1800], ['b', 1040]]) {
    const { context, tab } = await open(browser, null, { colorScheme: scheme, viewport: { width: w, height: 900 }, reducedMotion: 'reduce' });
    await tab.goto(`${partner.url}/${p}.html`);
    await tab.waitForFunction(() => [...document.querySelectorAll('newswire-widget')].every((e) => e.getAttribute('state') === 'ready'));
    await tab.waitForTimeout(300);
    await tab.screenshot({ path: `/tmp/shots/${scheme}-${p}.png`, fullPage: true });
    await context.close();
  }
}
await browser.close(); await partner.close(); await server.stop();
