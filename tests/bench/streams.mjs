// make bench: idle live streams on one replica, and one update fanned out to all of them.
// The server runs in a process of its own (the release build), so its memory is read apart
// from this load generator's: VmRSS before the streams, with them open, and per stream. Then
// one story is written to the feed file, and the time from the write to the last stream's
// `update` event is the fan-out. The streams come from many loopback addresses (127.0.0.0/8),
// as readers do, within the per-address connection cap.
//
// Then publish to visible: a partner page with a hydrated widget in Chromium, while those
// streams stay open, and the time from each write of the feed file to the story in the
// widget's shadow root (the file watcher looks every second, so up to 1 s of each is its).
//
// NEWSWIRE_STREAMS=N (default 20000) sets how many; this machine's open-file limit (see
// `ulimit -Hn`) caps what one process can hold, and the server says so at start.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { launch } from '../e2e/harness.mjs';

const SERVER = process.env.NEWSWIRE_SERVER || 'target/server/newswire-server';
const DIST = process.env.NEWSWIRE_DIST || 'dist';
const N = Number(process.env.NEWSWIRE_STREAMS || 20000);
const PER_ADDRESS = 200;

const dir = mkdtempSync(join(tmpdir(), 'newswire-streams-'));
const feedFile = join(dir, 'feed.json');
const feed = JSON.parse(readFileSync('tests/fixtures/feed.json', 'utf8'));
writeFileSync(feedFile, JSON.stringify(feed));

const rss = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
};

const child = spawn(
  SERVER,
  ['--addr', '127.0.0.1:0', '--feed', feedFile, '--db', join(dir, 'reviews.db'), '--www', DIST,
    '--max-streams', String(N + 100), '--max-connections', String(N + 1000), '--allow-loopback'],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NEWSWIRE_LOG: 'warn' } },
);
const url = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const m = out.match(/listening on (http:\/\/[^\s]+)/);
    if (m) resolve(new URL(m[1]));
  });
  child.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${out}`)));
});

const before = rss(child.pid);
const sockets = [];
let opened = 0;
let heard = 0;
let lastHeard = 0;
let failed = 0;
function open(i) {
  return new Promise((resolve) => {
    const localAddress = `127.0.${1 + Math.floor(i / PER_ADDRESS / 250)}.${1 + (Math.floor(i / PER_ADDRESS) % 250)}`;
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
    let text = '';
    let first = true;
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`GET /feed/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`));
    socket.on('data', (chunk) => {
      text += chunk;
      if (first && text.includes('retry:')) {
        first = false;
        opened++;
        text = '';
        resolve();
      } else if (!first && text.includes('event: update')) {
        heard++;
        lastHeard = performance.now();
        text = '';
      }
      if (text.length > 65536) text = '';
    });
    socket.on('error', () => {
      if (first) failed++;
      first = false;
      resolve();
    });
    // Past the server's connection limit a connection waits to be accepted: counted as
    // refused after 5 s.
    setTimeout(() => {
      if (first) {
        first = false;
        failed++;
        socket.destroy();
        resolve();
      }
    }, 5000);
    sockets.push(socket);
  });
}

const started = performance.now();
for (let i = 0; i < N; i += 500) {
  const had = opened;
  await Promise.all(Array.from({ length: Math.min(500, N - i) }, (_, k) => open(i + k)));
  // A whole batch refused: the server holds no more; the rest are not tried.
  if (opened === had) {
    failed += Math.max(0, N - i - 500);
    break;
  }
}
const openedIn = performance.now() - started;
await new Promise((r) => setTimeout(r, 2000));
const during = rss(child.pid);

// One story, published: the file watcher notices it within a second.
feed.items.unshift({ id: 'bench-1', title: 'A story for every open stream', date_published: new Date().toISOString(), tags: ['Politics'] });
const wrote = performance.now();
writeFileSync(feedFile, JSON.stringify(feed));
while (heard < opened && performance.now() - wrote < 30000) await new Promise((r) => setTimeout(r, 20));
const fanout = { heard, ms: lastHeard - wrote };

// Publish to visible, in a real browser, with the streams still open (but 200, whose
// connections the page needs when the server is at its connection limit).
for (const socket of sockets.splice(0, 200)) socket.destroy();
const others = opened - 200;
await new Promise((r) => setTimeout(r, 500));
const partner = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title></head><body>
<newswire-widget feed="${url.origin}/feed.json" loading="eager" refresh="86400"></newswire-widget>
<script async src="${url.origin}/newswire/embed.js" crossorigin="anonymous"></script></body></html>`);
});
await new Promise((r) => partner.listen(0, '127.0.0.1', r));
const browser = await launch();
const tab = await (await browser.newContext({ viewport: { width: 900, height: 1400 } })).newPage();
await tab.goto(`http://localhost:${partner.address().port}/`);
await tab.waitForSelector('newswire-widget[interactive]', { state: 'attached', timeout: 20000 });
await tab.waitForTimeout(1000);
const visible = [];
for (let n = 0; n < 10; n++) {
  const title = `Visible ${n}: a story for the clock`;
  feed.items.unshift({ id: `visible-${n}`, title, date_published: new Date().toISOString(), tags: ['Politics'] });
  const at = Date.now();
  writeFileSync(feedFile, JSON.stringify(feed));
  await tab.waitForFunction(
    (title) => [...document.querySelector('newswire-widget').shadowRoot.querySelectorAll('.nw-brief-title')].some((b) => b.textContent.trim() === title),
    title,
    { timeout: 15000, polling: 10 },
  );
  visible.push(Date.now() - at);
  await tab.waitForTimeout(300 + Math.random() * 700);
}
await browser.close();
partner.close();
visible.sort((a, b) => a - b);
const pct = (p) => visible[Math.min(visible.length - 1, Math.floor((p / 100) * visible.length))];

const kib = (b) => (b / 1024).toFixed(1);
console.log(`live streams: ${opened} open of ${N} (${failed} refused) in ${(openedIn / 1000).toFixed(1)} s`);
console.log(`  server memory: ${kib(before)} KiB before, ${kib(during)} KiB with them open: ${kib((during - before) / Math.max(opened, 1))} KiB a stream (target 8 KiB)`);
console.log(`  one update to all: ${fanout.heard} heard it; ${fanout.ms.toFixed(0)} ms from the file's write to the last (the watcher looks every second; target 1 s after the server has it)`);
console.log(`publish to visible (a file feed, ${others} other streams open): p50 ${pct(50)} ms, p95 ${pct(95)} ms over ${visible.length} stories (target: p95 within the 1 s watch + 1 s)`);
for (const s of sockets) s.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
rmSync(dir, { recursive: true, force: true });
