// make bench: kill -9 of a replica holding live streams. Two replicas (the release build) share
// a throwaway PostgreSQL and one feed file; NEWSWIRE_FAILOVER_STREAMS (default 9,000) streams
// are opened on A, which is then killed. Each stream comes back as a browser's EventSource
// would: after the `retry:` its stream was given (2–7 s, random per stream), to B, with
// `Last-Event-ID`. A revision is published while they come back and another once they are
// all back. Printed: the reconnections in each second (target: no second with more than a
// third of them), and the streams that missed a revision after they reconnected (target 0).
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../e2e/postgres.mjs';

const SERVER = process.env.NEWSWIRE_SERVER || 'target/server/newswire-server';
const DIST = process.env.NEWSWIRE_DIST || 'dist';
const N = Number(process.env.NEWSWIRE_FAILOVER_STREAMS || 9000);
const PER_ADDRESS = 200;

const dir = mkdtempSync(join(tmpdir(), 'newswire-failover-'));
const feedFile = join(dir, 'feed.json');
const feed = JSON.parse(readFileSync('tests/fixtures/feed.json', 'utf8'));
writeFileSync(feedFile, JSON.stringify(feed));
const cluster = await startCluster();
const db = cluster.createDatabase('failover');

async function replica() {
  const child = spawn(
    SERVER,
    ['--addr', '127.0.0.1:0', '--feed', feedFile, '--db', db, '--www', DIST, '--allow-loopback',
      '--max-streams', String(N + 100), '--max-connections', String(N + 500)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NEWSWIRE_LOG: 'error' } },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve(new URL(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`a replica exited with ${code}: ${out}`)));
  });
  return { child, url };
}

function publish(n) {
  feed.items.unshift({ id: `failover-${n}`, title: `Failover ${n}`, date_published: new Date().toISOString(), tags: ['Politics'] });
  writeFileSync(feedFile, JSON.stringify(feed));
}

const a = await replica();
const b = await replica();

/** One stream, as an EventSource: its revisions, its retry, and where it reconnects. */
function stream(i) {
  const s = { ids: [], last: null, retry: 3000, back: null, open: false };
  const localAddress = `127.0.${1 + Math.floor(i / PER_ADDRESS / 250)}.${1 + (Math.floor(i / PER_ADDRESS) % 250)}`;
  const attach = (url, resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      const resume = s.last ? `Last-Event-ID: ${s.last}\r\n` : '';
      socket.write(`GET /feed/events HTTP/1.1\r\nHost: ${url.host}\r\n${resume}\r\n`);
    });
    socket.on('data', (chunk) => {
      text += chunk;
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('retry:')) s.retry = Number(line.slice(6));
          if (line.startsWith('id:')) {
            s.last = line.slice(3).trim();
            s.ids.push(Number(s.last));
          }
        }
        if (!s.open && block.includes('retry:')) {
          s.open = true;
          resolve && resolve();
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      s.open = false;
      if (url === a.url && !s.back) {
        // Gone with A: back after this stream's retry, to B.
        s.back = setTimeout(() => {
          s.reconnectedAt = performance.now();
          attach(b.url, null);
        }, s.retry);
      }
    });
    s.socket = socket;
  };
  return { s, opened: new Promise((resolve) => attach(a.url, resolve)) };
}

const streams = [];
for (let i = 0; i < N; i += 500) {
  const batch = Array.from({ length: Math.min(500, N - i) }, (_, k) => stream(i + k));
  streams.push(...batch.map((x) => x.s));
  await Promise.all(batch.map((x) => x.opened));
}
await new Promise((r) => setTimeout(r, 1000));
publish(1);
while (streams.some((s) => s.ids.length < 1)) await new Promise((r) => setTimeout(r, 50));
const first = Math.max(...streams.map((s) => s.ids[s.ids.length - 1]));

// kill -9 of A.
const killed = performance.now();
a.child.kill('SIGKILL');
await new Promise((r) => setTimeout(r, 1000));
publish(2);
while (streams.some((s) => !s.open) && performance.now() - killed < 30000) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 1500));
publish(3);
const deadline = performance.now() + 15000;
const latest = () => Math.max(...streams.map((s) => s.ids[s.ids.length - 1] || 0));
while (performance.now() < deadline && streams.some((s) => s.ids[s.ids.length - 1] < first + 2)) {
  await new Promise((r) => setTimeout(r, 50));
}

const seconds = new Map();
for (const s of streams) {
  if (s.reconnectedAt === undefined) continue;
  const second = Math.floor((s.reconnectedAt - killed) / 1000);
  seconds.set(second, (seconds.get(second) || 0) + 1);
}
const back = streams.filter((s) => s.open).length;
const busiest = Math.max(...seconds.values());
// The two revisions published after A died, which every stream must have, live or caught up.
const missed = streams.filter((s) => !(s.ids.includes(first + 1) && s.ids.includes(first + 2))).length;
console.log(`kill -9 of a replica holding ${N} streams (two replicas, one PostgreSQL):`);
console.log(`  reconnected to the other: ${back} of ${N}; by second after the kill: ${[...seconds.entries()].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s}s ${n}`).join(', ')}`);
console.log(`  the busiest second took ${((busiest / Math.max(back, 1)) * 100).toFixed(0)} % of them (target: at most a third)`);
console.log(`  revisions missed after reconnecting: ${missed} streams missed one of the two published since (target 0); the latest seen ${latest()}`);
for (const s of streams) s.socket.destroy();
b.child.kill('SIGTERM');
await new Promise((r) => b.child.on('exit', r));
cluster.stop();
rmSync(dir, { recursive: true, force: true });
