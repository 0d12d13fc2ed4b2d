/* Newswire loader, second stage: runs the widget. embed.js (the first stage) shows the news,
 * from the server's HTML where it can, and fetches this module, checked against its release's
 * hash, when a widget needs the wasm: to hydrate the server's HTML, or to render on the
 * client a feed the server does not render. `run(stage)` is given what the first stage
 * shares and answers with what it does here. What the first paint does not need lives here
 * too: the warnings about attributes, fitting the box to the news, and the page's events
 * beyond the first "ready". Bundled by scripts/bundle-loader.mjs as newswire-live.js.
 *
 * The wasm is fetched and compiled once per page. Each mounted widget runs in its own
 * instance of that module, so a widget that fails cannot take the others down: a trap stops
 * its instance for good and the widget shows its fallback, contained, never an error on
 * the host page.
 *
 * Live news: a widget whose feed's server offers a stream (Server-Sent Events) tells this
 * stage so once it runs, and the page keeps one EventSource for each stream, shared by every
 * widget of that feed and closed when the last one goes. Each revision it announces goes to
 * the widgets that do not have it yet, which fetch it. A stream that fails (a refused
 * request, a partner's CSP, 45 s without a word) is tried again later, with a jittered
 * backoff, while the widgets poll at their `refresh`; it closes 30 s after the page is
 * hidden and resumes from the revision it had when the page is shown again.
 */
import { ATTRIBUTES, CHOICES, SECTIONS } from './facts.js';
import { choice, doc, httpUrl, make, own, report, sections, warn } from './page.js';

// The SRI hashes of the glue and the wasm, and the code they were built from, which the
// server's HTML must name for the wasm to hydrate it: stamped by scripts/release.mjs (the
// first stage checked this file's own hash, so they are the release's). Unstamped, in the
// dev loop, nothing is checked.
var STAMP = '@@NEWSWIRE_SECOND@@'.split(' ');
var HASH = STAMP.length === 3 ? STAMP : ['', '', ''];

export function run(stage) {
  var nw = stage.nw;
  var frame = stage.frame;
  if (stage.clobbered) warn('window.Newswire is an element of the page, not this API; it is ignored');
  var glueUrl = new URL('newswire.js', stage.base).href;
  var wasmUrl = new URL('newswire_bg.wasm', stage.base).href;
  var compiled = null;
  // Healthy instances that no widget uses right now, and how many were ever made.
  var spare = [];
  var made = 0;

  // The page's live streams, by URL: { url, source, widgets, revision, failures, timers }.
  var streams = {};
  // Silence longer than this (the server sends a heartbeat every 15 s) means a dead stream.
  var SILENCE = 45000;
  // How long a hidden page keeps its streams open.
  var HIDDEN = 30000;

  // (The document's own property, past any element of the page named after it.)
  function hidden() {
    return own('visibilityState') === 'hidden';
  }

  // A widget's stream and the revision on screen, as the wasm tells them (`url` none: the
  // widget does not follow a stream now).
  function follow(el, url, revision) {
    var had = el._nwStream;
    if (had && had.url !== url) leave(el);
    if (!url) return;
    var s = streams[url];
    if (!s) {
      s = streams[url] = { url: url, source: null, widgets: [], revision: 0, failures: 0, retry: 0, quiet: 0, away: 0 };
    }
    if (s.widgets.indexOf(el) < 0) s.widgets.push(el);
    el._nwStream = s;
    el._nwRevision = revision;
    if (revision > s.revision) s.revision = revision;
    // The stream heard of a later revision before this widget came.
    else if (revision < s.revision) tell(el, s.revision);
    if (!s.source && !s.retry && !hidden()) open(s);
  }

  // A widget that goes (or stops following): the stream closes with its last widget.
  function leave(el) {
    var s = el._nwStream;
    el._nwStream = null;
    if (!s) return;
    var i = s.widgets.indexOf(el);
    if (i >= 0) s.widgets.splice(i, 1);
    if (s.widgets.length) return;
    close(s);
    clearTimeout(s.retry);
    delete streams[s.url];
  }

  function tell(el, revision) {
    if (!(revision > (el._nwRevision || 0)) || !el._nwStream) return;
    var mounted = el._nwMounted;
    // Still starting (its first notices come while it mounts): told once it has.
    if (!mounted) return setTimeout(function () {
      if (el._nwMounted) tell(el, revision);
    });
    el._nwRevision = revision;
    try {
      mounted.follow(revision);
    } catch (err) {
      report(err);
    }
  }

  // A revision the stream announced, to every widget that does not have it.
  function heard(s, revision) {
    if (revision > s.revision) s.revision = revision;
    s.widgets.slice().forEach(function (el) {
      tell(el, s.revision);
    });
  }

  function open(s) {
    var url = new URL(s.url);
    // A new EventSource cannot send Last-Event-ID: the revision goes in the URL.
    if (s.revision) url.searchParams.set('since', s.revision);
    var source;
    try {
      source = new EventSource(url.href);
    } catch (err) {
      return failed(s);
    }
    s.source = source;
    var alive = function () {
      clearTimeout(s.quiet);
      s.quiet = setTimeout(function () {
        failed(s);
      }, SILENCE);
    };
    // Every event names a revision: an update's or a reset's, or, in a heartbeat, the
    // latest (which catches up a widget that missed one).
    var revision = function (e) {
      alive();
      s.failures = 0;
      var n = 0;
      try {
        n = JSON.parse(e.data).revision;
      } catch (err) {}
      if (n > 0) heard(s, n);
    };
    source.addEventListener('update', revision);
    source.addEventListener('reset', revision);
    source.addEventListener('heartbeat', revision);
    source.onopen = alive;
    // A closed source is the browser giving up (a refused request, a wrong type): it is
    // tried again later. Otherwise the browser reconnects itself, with Last-Event-ID.
    source.onerror = function () {
      if (source.readyState === 2) failed(s);
    };
    alive();
  }

  function close(s) {
    clearTimeout(s.quiet);
    if (s.source) s.source.close();
    s.source = null;
  }

  // The stream failed: the widgets poll meanwhile, and it is tried again after 30 s, then
  // longer each time, up to 10 minutes, each wait jittered so that a page's many readers do
  // not all come back together.
  function failed(s) {
    close(s);
    if (s.retry || streams[s.url] !== s) return;
    var wait = Math.min(600000, 30000 * Math.pow(2, s.failures++)) * (0.5 + Math.random());
    s.retry = setTimeout(function () {
      s.retry = 0;
      if (streams[s.url] === s && !hidden()) open(s);
    }, wait);
  }

  EventTarget.prototype.addEventListener.call(doc, 'visibilitychange', function () {
    Object.keys(streams).forEach(function (url) {
      var s = streams[url];
      clearTimeout(s.away);
      if (hidden()) {
        s.away = setTimeout(function () {
          close(s);
        }, HIDDEN);
      } else if (!s.source && !s.retry) {
        open(s);
      }
    });
  });

  // One warning for each unusable value the loader reads, when it is set (the wasm warns
  // about the attributes it reads).
  function check(el, name) {
    if (!el._nwChecked) return;
    var value = el.getAttribute(name);
    if (value === null) return;
    var expected = CHOICES[name] ? !choice(el, name) && CHOICES[name].join(' or ')
      : name === 'sections' ? !sections(el) && 'any of ' + Object.keys(SECTIONS).join(', ') + ', comma-separated'
      // (a javascript: or data: link would be dropped; it must never be dropped silently)
      : name === 'fallback-url' && !httpUrl(value, el.baseURI) && 'an http(s) URL';
    if (expected) warn('ignoring `' + name + '`="' + value + '"; expected ' + expected);
  }

  // The first time this stage meets a widget: its attributes are checked, and what the
  // wasm changes in it later (live news) keeps its briefs whole.
  function meet(el) {
    if (el._nwChecked) return;
    el._nwChecked = true;
    ['sections', 'fallback-url'].concat(Object.keys(CHOICES)).forEach(function (name) {
      check(el, name);
    });
    tall(el);
    if (el.shadowRoot) {
      new MutationObserver(function () {
        stage.whole(el);
      }).observe(el.shadowRoot, { childList: true, subtree: true, characterData: true });
    }
  }

  // A --newswire-height below the sections' minimum is held at the minimum (the reserve's
  // max()): said once. The box is then taller than the height asked for.
  function tall(el) {
    var asked = getComputedStyle(el).getPropertyValue('--newswire-height').trim();
    if (!asked || el._nwTall === asked || el._nwLaidOut) return;
    el._nwTall = asked;
    var probe = make('div');
    probe.style.cssText = 'position:absolute;visibility:hidden;block-size:' + asked;
    el.shadowRoot.appendChild(probe);
    var got = probe.getBoundingClientRect().height;
    probe.remove();
    var held = Math.round(el.getBoundingClientRect().height);
    if (held > got + 1) {
      warn('--newswire-height: ' + asked + ' is less than these sections need; using ' + held + 'px (one brief, the rest whole)');
    }
  }

  // The news is in: where the reserved box is taller than the widget, the spare space (at
  // the bottom, below the review prompt) goes, but only where that moves nothing a reader
  // can see: the widget still ends below the viewport, or nothing follows it on the page.
  // A partner's --newswire-height stands. Only ever shrinks: later news that is longer
  // scrolls within the briefs.
  function fit(el) {
    var nw = el.shadowRoot && el.shadowRoot.querySelector('.nw-root > .nw');
    if (!nw || !el.isConnected || el._nwLaidOut || getComputedStyle(el).getPropertyValue('--newswire-height').trim()) return;
    var box = el.getBoundingClientRect();
    // Its own height, read with the box let go (no frame is drawn in between).
    var inline = nw.getAttribute('style');
    nw.style.blockSize = 'auto';
    var needed = Math.ceil(nw.getBoundingClientRect().height);
    if (inline === null) nw.removeAttribute('style');
    else nw.setAttribute('style', inline);
    var body = own('body');
    var last = body && box.bottom >= body.getBoundingClientRect().bottom - 1;
    if (needed >= box.height || !(box.top + needed >= innerHeight || last)) return;
    el._nwFit = needed;
    stage.style(el.shadowRoot, stage.sheetsFor(el, el._nwLaidOut));
  }

  // The page is told what the widget does: the element's state attribute, and
  // newswire:ready, newswire:error, newswire:review and newswire:interactive on it, after
  // the wasm's turn. "unset": the attributes allow no start yet (no usable feed): the words
  // (a) and their direction (b) go in the loader's message box, and it is an error to the
  // page. A hydrated widget's first "ready" is the one the page already had.
  function notify(el, kind, a, b) {
    if (kind === 'unset') {
      stage.message(el.shadowRoot.querySelector('.nw-root'), a, null, null, b);
      kind = 'error';
    }
    // (After the widget's render, which may still be on its way in this turn.)
    if (kind === 'ready') setTimeout(function () {
      stage.whole(el);
      fit(el);
    });
    // A widget that renders anew (state it could not hydrate) says "loading" first.
    if (kind === 'loading') el._nwQuiet = false;
    if (kind === 'ready' && el._nwQuiet) {
      el._nwQuiet = false;
      return el.setAttribute('state', kind);
    }
    if (kind !== 'review' && kind !== 'interactive') el.setAttribute('state', kind);
    if (kind === 'interactive') el.setAttribute('interactive', '');
    if (kind === 'loading') return;
    stage.event(el, kind, kind === 'ready' ? { headlines: a, briefs: b } : kind === 'error' ? { message: a } : kind === 'review' ? { id: a } : {});
  }

  // What a widget's wasm says: a stream to follow is for this stage; the rest is the
  // page's (`notify`).
  function told(el) {
    return function (kind, a, b) {
      if (kind === 'live') return follow(el, a, b);
      notify(el, kind, a, b);
    };
  }

  // The wasm, fetched and compiled once per page (streaming, where the browser can);
  // after a failure the next widget tries again.
  function compile() {
    if (!compiled) {
      compiled = fetch(wasmUrl, { credentials: 'omit', integrity: HASH[1] }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + wasmUrl);
        var streaming = WebAssembly.compileStreaming && /^application\/wasm/.test(r.headers.get('content-type'));
        return streaming ? WebAssembly.compileStreaming(r) : r.arrayBuffer().then(WebAssembly.compile);
      });
      compiled.catch(function () {
        compiled = null;
      });
    }
    return compiled;
  }

  // An instance for one widget: a spare one, or a new one from the compiled module. Each
  // instance needs its own copy of the glue module, so after the first the glue is
  // imported again under a fragment, which the browser's cache answers.
  function instance() {
    while (spare.length) {
      var free = spare.pop();
      if (!free.dead) return Promise.resolve(free);
    }
    var n = made++;
    // The glue, the wasm and the stylesheet all travel at once.
    var code = stage.load(glueUrl + (n ? '#' + n : ''), HASH[0]);
    return Promise.all([compile(), stage.stylesheet(), code]).then(function (done) {
      var inst = { glue: done[2], dead: false, host: null };
      if (inst.glue.__nwGuard) inst.glue.__nwGuard(guard(inst));
      // Instantiating (and the glue's start) is one task and hydrating another: the
      // browser paints and answers input in between, so neither grows into a long task.
      return inst.glue.default({ module_or_path: done[0] }).then(function () {
        return new Promise(function (resolve) {
          setTimeout(resolve, 0, inst);
        });
      });
    });
  }

  // Wraps the instance's exports: a trap (a Rust panic, say) stops this instance for
  // good, and no export of a stopped instance runs again. Its timers and listeners may
  // still fire; they reach a no-op that answers 0, so they neither run nor throw.
  function guard(inst) {
    return function (exports) {
      var safe = (inst.exports = {});
      Object.keys(exports).forEach(function (name) {
        var f = exports[name];
        safe[name] =
          typeof f !== 'function'
            ? f
            : function () {
                if (inst.dead) return 0;
                try {
                  return f.apply(null, arguments);
                } catch (err) {
                  if (!(err instanceof WebAssembly.RuntimeError)) throw err;
                  // Contained here: the host page never sees the trap as an error.
                  stop(inst, err);
                  return 0;
                }
              };
      });
      return safe;
    };
  }

  function noop() {
    return 0;
  }

  // Lets go of a stopped instance: its exports become no-ops over a page of scratch
  // memory, so the instance and its memory can be collected.
  function release(inst) {
    var safe = inst.exports;
    if (!safe) return;
    Object.keys(safe).forEach(function (name) {
      if (typeof safe[name] === 'function') safe[name] = noop;
    });
    safe.memory = new WebAssembly.Memory({ initial: 1 });
    if (inst.glue.__nwRelease) inst.glue.__nwRelease();
  }

  // The one report of a stopped widget; it then shows its fallback.
  function stop(inst, err) {
    if (inst.dead) return;
    inst.dead = true;
    // A Rust panic has reported itself already, in its own words.
    if (!nw.panicked && window.console) {
      console.error('Newswire: a widget stopped after an internal error and now links to the news.', err);
    }
    nw.panicked = false;
    var el = inst.host;
    // Once the trap has unwound, before anything else can call in.
    Promise.resolve().then(function () {
      release(inst);
    });
    if (el) leave(el);
    if (el && el.isConnected) {
      el._nwMounted = null;
      fallback(el, 'The news widget stopped unexpectedly.');
    }
  }

  // When the widget cannot run: the feed's title and a plain link to the publisher's
  // news, from `fallback-url`, else the feed's home_page_url, else the feed's origin. A
  // widget showing the server's HTML keeps its news instead (the first stage's `keep`).
  function fallback(el, why) {
    if (stage.keep(el, why)) return;
    why = why || 'The news widget cannot run here.';
    notify(el, 'error', why);
    var container = frame(el.shadowRoot);
    stage.message(container, 'Loading the latest news\u2026');
    var feed = httpUrl(el.getAttribute('feed'), el.baseURI);
    var chosen = httpUrl(el.getAttribute('fallback-url'), el.baseURI);
    var show = function (title, home) {
      var link = chosen || home || feed && new URL('/', feed);
      stage.message(container, why, title, link && link.href);
    };
    if (!feed) return show(null, null);
    var abort = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (abort) abort.abort();
    }, 8000);
    fetch(feed.href, { credentials: 'omit', signal: abort && abort.signal })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (text) {
        var json = text.length <= 2097152 ? JSON.parse(text) : null;
        var title = json && typeof json.title === 'string' ? json.title.trim().slice(0, 200) : null;
        show(title || null, json && httpUrl(json.home_page_url, feed.href));
      })
      .catch(function () {
        show(null, null);
      })
      .then(function () {
        clearTimeout(timer);
      });
  }

  // Starts the feed request while the wasm is still on its way, and hands its answer to
  // the widget (`_nwEarly`, which the wasm calls for the first plain GET of that URL), so a
  // feed costs one request even where it cannot be cached (no-store). It is aborted with
  // the widget (`unmount`) until the widget takes it, and with the widget's own request
  // after, so a widget taken away leaves no request open.
  function prefetch(el) {
    var feed = httpUrl(el.getAttribute('feed'), el.baseURI);
    if (!feed) return;
    var abort = window.AbortController ? new AbortController() : null;
    el._nwPrefetch = abort;
    var early = fetch(feed.href, { credentials: 'omit', signal: abort && abort.signal });
    early
      .catch(function () {})
      .then(function () {
        if (el._nwPrefetch === abort) el._nwPrefetch = null;
      });
    el._nwEarly = function (url, signal) {
      if (url !== feed.href || !early) return;
      var answer = early;
      early = null;
      el._nwPrefetch = null;
      if (signal && abort) {
        if (signal.aborted) abort.abort();
        else signal.addEventListener('abort', function () {
          abort.abort();
        });
      }
      return answer;
    };
  }

  // The browser's first date format loads its locale data (about 30 ms here). Done once,
  // in a task of its own while the wasm and the feed are on the wire, it is off the path
  // to the first render instead of on it.
  var warmed = false;
  function warm() {
    try {
      new Intl.DateTimeFormat(undefined, { month: 'long' }).format(0);
    } catch (e) {}
  }

  // The widget is the page's to use now: what waited for it runs. Yew renders (and
  // hydrates) in a microtask after the call that asked it to, so this waits for the next
  // task: by then every node is taken over and every listener in place, and until then a
  // trap still leaves the server's news where it is (`keep`).
  function ready(el, mounted, then) {
    el._nwMounted = mounted;
    setTimeout(function () {
      if (el._nwMounted !== mounted) return;
      el._nwShown = false;
      notify(el, 'interactive');
      (el._nwThen || []).splice(0).forEach(function (f) {
        f(mounted);
      });
      if (then) then();
    });
  }

  // Hydrates the server's HTML with an instance of the wasm, or, for HTML of another
  // release (or state that cannot be read), renders anew on the client. `then` runs once
  // the widget is interactive (an attribute change, an API call).
  function hydrate(el, then) {
    if (then) (el._nwThen = el._nwThen || []).push(then);
    if (el._nwMounted || el._nwHydrating || !el._nwShown) return;
    meet(el);
    el._nwHydrating = true;
    if (el._nwSeen) el._nwSeen.disconnect();
    // The HTML this hydration is for: a widget moved (or shown anew) meanwhile is not it.
    var shown = el._nwRoot;
    instance()
      .then(function (inst) {
        el._nwHydrating = false;
        if (inst.dead) return fallback(el);
        if (!el.isConnected || !el._nwShown || el._nwRoot !== shown) {
          spare.push(inst);
          // Moved and shown anew while this hydration waited for its instance: what asked
          // for it (a touch, the widget in view) still stands, and may have come and gone
          // meanwhile, so the new HTML is hydrated now.
          if (el.isConnected && el._nwShown && el._nwRoot && el._nwRoot !== shown) hydrate(el);
          return;
        }
        stage.style(el.shadowRoot, stage.sheetsFor(el, el._nwLaidOut));
        inst.host = el;
        el._nwInstance = inst;
        var tell = told(el);
        var same = !HASH[2] || el._nwCode === HASH[2];
        el._nwQuiet = same;
        var mounted = same
          ? inst.glue.hydrate(el, shown, el._nwState, el._nwRendered, tell)
          : inst.glue.mount(el, frame(el.shadowRoot), tell);
        el._nwState = null;
        // A trap before the hydration has put up what stands in for the widget.
        if (inst.dead) return;
        // Attributes changed since the render.
        mounted.update(el);
        ready(el, mounted, function () {
          // A form sent before now.
          var form = el._nwSubmit && el.shadowRoot.querySelector('form');
          el._nwSubmit = false;
          if (form && form.requestSubmit) form.requestSubmit();
        });
      })
      .catch(function (err) {
        el._nwHydrating = false;
        report(err);
        fallback(el);
      });
  }

  // Mounts one widget on the client: the feed request and an instance of the wasm, at once.
  function start(el) {
    var root = el.shadowRoot;
    el._nwPending = true;
    el._nwShown = false;
    meet(el);
    prefetch(el);
    if (!warmed) {
      warmed = true;
      setTimeout(warm);
    }
    if (typeof WebAssembly !== 'object') return fallback(el);
    instance()
      .then(function (inst) {
        el._nwPending = false;
        // An instance that trapped while starting up is never used.
        if (inst.dead) return fallback(el);
        if (!el.isConnected) return spare.push(inst);
        stage.style(root, stage.sheetsFor(el));
        inst.host = el;
        el._nwInstance = inst;
        // Interactive once it shows the news (or says why it cannot).
        var shown = false;
        var tell = told(el);
        var mounted = inst.glue.mount(el, frame(root), function (kind, a, b) {
          tell(kind, a, b);
          if (!shown && (kind === 'ready' || kind === 'error')) {
            shown = true;
            // (The first notices can come while `mount` itself runs.)
            Promise.resolve().then(function () {
              if (el._nwMounted) ready(el, el._nwMounted);
            });
          }
        });
        // A trap during mount has already put up the fallback.
        if (!inst.dead) el._nwMounted = mounted;
      })
      .catch(function (err) {
        el._nwPending = false;
        report(err);
        fallback(el);
      });
  }

  // Tears down a widget taken off the page; its instance waits for the next one.
  function unmount(el) {
    leave(el);
    var early = el._nwPrefetch;
    el._nwPrefetch = el._nwEarly = null;
    var mounted = el._nwMounted;
    var inst = el._nwInstance;
    el._nwMounted = el._nwInstance = null;
    // The early feed request goes after the widget's own: ended first, it would let the
    // widget's request (held behind it by the HTTP cache) reach the network before the
    // widget's cleanup, which Yew runs in its next scheduler turn, aborts it.
    if (early) setTimeout(function () {
      early.abort();
    });
    if (!mounted || !inst || inst.dead) return;
    try {
      mounted.unmount();
      mounted.free();
      inst.host = null;
      // A trap during unmount has been reported by stop().
      if (!inst.dead) spare.push(inst);
    } catch (err) {
      report(err);
    }
  }

  return { hydrate: hydrate, start: start, unmount: unmount, fallback: fallback, check: check };
}
