// Behind Debian's nginx, with the configuration docs/ ship (docs/nginx/newswire.conf, its
// ports, paths and certificate swapped for this test's): over HTTP/2 and TLS, the live
// stream's first event arrives unbuffered and a story follows it, and the cached feed never
// answers a widget that asks for a revision with an older one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:http2';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, fixture } from './harness.mjs';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const FEED = JSON.parse(fixture('feed.json'));
const dir = mkdtempSync(join(tmpdir(), 'newswire-nginx-'));
const feedFile = join(dir, 'feed.json');
let server;
let nginx;
let port;
let session;

function publish(...extra) {
  writeFileSync(feedFile, JSON.stringify({ ...FEED, items: [...extra, ...FEED.items] }));
}

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The shipped configuration, with `swaps` ([from, to]) applied; each must apply. */
function configured(swaps) {
  let text = readFileSync('docs/nginx/newswire.conf', 'utf8');
  for (const [from, to] of swaps) {
    assert.ok(text.match(from), `docs/nginx/newswire.conf no longer has ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

/** One HTTP/2 request through nginx: status, headers and body. */
function get(path) {
  return new Promise((resolve, reject) => {
    const request = session.request({ ':path': path });
    let body = '';
    let headers;
    request.setEncoding('utf8');
    request.on('response', (h) => (headers = h));
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => resolve({ status: headers[':status'], headers, body }));
    request.on('error', reject);
    request.end();
  });
}

before(async () => {
  publish();
  server = await startServer({ feed: feedFile, args: ['--trusted-proxy', '127.0.0.1/32'] });
  const upstream = new URL(server.url).host;
  const [plain, tls] = [await freePort(), await freePort()];
  port = tls;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  mkdirSync(join(dir, 'cache'));
  writeFileSync(join(dir, 'newswire.conf'), configured([
    ['server 127.0.0.1:8080;', `server ${upstream};`],
    [/listen 80;/, `listen 127.0.0.1:${plain};`],
    [/\n\s*listen \[::\]:80;/, ''],
    [/listen 443 ssl http2;/, `listen 127.0.0.1:${tls} ssl http2;`],
    [/\n\s*listen \[::\]:443 ssl http2;/, ''],
    ['/etc/ssl/newswire/fullchain.pem', join(dir, 'cert.pem')],
    ['/etc/ssl/newswire/privkey.pem', join(dir, 'key.pem')],
    ['/var/cache/nginx/newswire', join(dir, 'cache')],
  ]));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(dir, t)};`).join(' ');
  writeFileSync(join(dir, 'nginx.conf'), `
    ${process.getuid && process.getuid() === 0 ? 'user root;' : ''}
    daemon off; worker_processes 1; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')} warn;
    events { worker_connections 1024; }
    http { access_log off; ${temp} include ${join(dir, 'newswire.conf')}; }`);
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    try {
      session = connect(`https://localhost:${port}`, { rejectUnauthorized: false });
      await new Promise((resolve, reject) => {
        session.once('connect', resolve);
        session.once('error', reject);
      });
      break;
    } catch (e) {
      session = null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.ok(session, `nginx did not start: ${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`);
});

after(async () => {
  session?.close();
  if (nginx) {
    nginx.kill('SIGQUIT');
    await new Promise((resolve) => (nginx.exitCode !== null ? resolve() : nginx.on('exit', resolve)));
  }
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('through nginx over HTTP/2, the stream’s first event arrives unbuffered and a story follows', async () => {
  assert.equal(session.alpnProtocol, 'h2');
  const request = session.request({ ':path': '/feed/events' });
  request.setEncoding('utf8');
  let text = '';
  const seen = (what, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms; got ${JSON.stringify(text)}`)), ms);
      const check = () => {
        if (text.includes(what)) {
          clearTimeout(timer);
          request.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk) => {
        text += chunk;
        check();
      };
      request.on('data', onData);
      check();
    });
  const headers = await new Promise((resolve) => request.on('response', resolve));
  assert.equal(headers[':status'], 200);
  assert.equal(headers['content-type'], 'text/event-stream');
  // The first word, at once: a buffering proxy would hold it.
  await seen('retry:', 3000);
  publish({ id: 'through-nginx', title: 'A story through nginx', date_published: new Date().toISOString(), tags: ['Politics'] });
  await seen('event: update', 10000);
  assert.match(text, /through-nginx/);
  request.close();
  publish();
});

test('the cached feed is never older than a revision a widget asks for', async () => {
  const first = await get('/feed.json');
  assert.equal(first.status, 200);
  const again = await get('/feed.json');
  assert.equal(again.headers['x-cache-status'], 'HIT', 'nginx caches the feed');
  const cached = Number(again.headers['newswire-revision']);

  publish({ id: 'after-the-cache', title: 'Published after nginx cached the feed', tags: ['Politics'] });
  // The server has it (as the stream would say)...
  let revision = cached;
  for (let i = 0; i < 50 && revision <= cached; i++) {
    const direct = await fetch(`${server.url}/feed.json`);
    revision = Number(direct.headers.get('newswire-revision'));
    if (revision <= cached) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(revision > cached);
  // ...while nginx's plain copy is still the old one, for its max-age.
  const stale = await get('/feed.json');
  assert.equal(Number(stale.headers['newswire-revision']), cached);
  // A widget told of the revision asks for it by name, and gets it or later.
  const named = await get(`/feed.json?rev=${revision}`);
  assert.equal(named.status, 200);
  assert.ok(Number(named.headers['newswire-revision']) >= revision);
  assert.match(named.body, /after-the-cache/);
  publish();
});
