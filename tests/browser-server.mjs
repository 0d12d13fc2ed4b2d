// The browser tier's own server (`make test-browser` starts it): what a feed host does that the
// widget's services must handle, on another origin than the test page, with CORS as a real
// feed host sends it. It prints its address, then serves until it is killed.
//
// - /feed/{id}: a feed with an ETag; If-None-Match with it gets a bodiless 304.
// - /flaky/{id}: 503 twice, then the feed.
// - /slow/{id}: headers at once, and a body that never ends (for aborting mid-request).
// - /huge/{id}: a body that streams past the widget's 2 MB cap and would go on for 64 MB.
// - /hits/{id}: {"hits": n, "open": m}: the requests for {id} so far, and how many of them are
//   still open (a request the browser aborted is closed here).
//
//   node tests/browser-server.mjs
import { createServer } from 'node:http';

const FEED = JSON.stringify({
  version: 'https://jsonfeed.org/version/1.1',
  title: 'Browser Test Wire',
  items: [{ id: 'one', title: 'A brief for the browser tests', date_published: '2026-11-27T09:00:00Z', tags: ['Politics'] }],
});
const ETAG = '"browser-v1"';
const hits = new Map();
const open = new Map();
const bump = (map, id, by) => map.set(id, (map.get(id) || 0) + by);

const server = createServer((req, res) => {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', 'etag, newswire-revision, newswire-stream');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { 'access-control-allow-headers': 'if-none-match', 'access-control-max-age': '600' });
    return res.end();
  }
  const [, route, id = ''] = new URL(req.url, 'http://x').pathname.split('/');
  if (route === 'hits') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify({ hits: hits.get(id) || 0, open: open.get(id) || 0 }));
  }
  bump(hits, id, 1);
  bump(open, id, 1);
  res.on('close', () => bump(open, id, -1));
  const feed = { 'content-type': 'application/feed+json', 'cache-control': 'no-store' };
  if (route === 'feed') {
    // As newswire-server names its live stream and revision (the ETag route only).
    const live = id === 'etag' ? { 'newswire-revision': '7', 'newswire-stream': '/feed/events' } : {};
    if (req.headers['if-none-match'] === ETAG) {
      res.writeHead(304, { etag: ETAG, ...live });
      return res.end();
    }
    res.writeHead(200, { ...feed, etag: ETAG, ...live });
    return res.end(FEED);
  }
  if (route === 'flaky') {
    if (hits.get(id) <= 2) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return res.end('down for a moment');
    }
    res.writeHead(200, feed);
    return res.end(FEED);
  }
  if (route === 'slow') {
    res.writeHead(200, feed);
    res.write('{"version": "https://jsonfeed.org/version/1.1", "items": [');
    const drip = setInterval(() => res.write(' '), 200);
    return res.on('close', () => clearInterval(drip));
  }
  if (route === 'huge') {
    res.writeHead(200, feed);
    // Paced (64 KB every 5 ms, so 64 MB would take 5 s): a reader that is not stopped at the
    // cap keeps this request open long enough for the test to see it.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = setInterval(() => {
      if (res.destroyed || sent >= 64 * 1024 * 1024) {
        clearInterval(pump);
        return res.end();
      }
      sent += chunk.length;
      res.write(chunk);
    }, 5);
    return res.on('close', () => clearInterval(pump));
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('no such route');
});

server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
