/* Newswire loader. One classic script tag on a partner page:
 *
 *   <script async src="https://HOST/newswire/embed.js" data-feed="https://HOST/feed.json"></script>
 *
 * It defines <newswire-widget>, puts one where the tag stands (the tag's data-* attributes
 * that the widget knows become the widget's attributes), and mounts every <newswire-widget>
 * on the page as it comes within 200 px of the viewport (loading="eager": at once). The wasm
 * is fetched and compiled once per page, the stylesheet fetched once. Each mounted widget
 * runs in its own instance of that module, so a widget that fails cannot take the others
 * down. The element is live: changed attributes update the widget in place, and removing it
 * unmounts it. Space is reserved in each widget's shadow root before the wasm arrives, so
 * nothing on the host page moves when the news appears. Nothing here throws into the host
 * page.
 *
 * Pages we do not own may let anyone post HTML, and an element's name or id shadows the
 * document's and the window's own properties (DOM clobbering). So this code reads the
 * document only through Document.prototype, trusts no window.Newswire but a plain object,
 * and takes the URLs and hashes of the glue, the wasm and the stylesheet from the release
 * itself (stamped into this file by scripts/release.mjs), never from the page.
 *
 * window.Newswire is the page's API: version, mount(element, options), refresh(element?),
 * and q, where calls made before this script ran wait ([name, ...arguments]).
 */
(function () {
  'use strict';

  // The release: where its glue, wasm and stylesheet are, relative to this script's own URL,
  // and their SRI hashes, each checked before the file is used. scripts/release.mjs writes
  // them over this placeholder; unstamped (the readable source in the dev loop), the files
  // are the loader's neighbours and go unchecked.
  var STAMP = '@@NEWSWIRE_RELEASE@@'.split(' ');
  var HASH = STAMP.length === 4 ? STAMP : ['', '', '', ''];

  // The document's own properties, past any element named after them.
  var doc = document;
  var DP = Document.prototype;
  function own(name) {
    var property = Object.getOwnPropertyDescriptor(DP, name);
    return property && property.get ? property.get.call(doc) : null;
  }
  function make(tag) {
    return DP.createElement.call(doc, tag);
  }

  // Read before anything asynchronous: currentScript is null once this turn is over. Only
  // a real script element counts; <img name="currentScript"> is not this script.
  var script = own('currentScript');
  if (!(script instanceof HTMLScriptElement)) script = null;
  var found = window.Newswire;
  var trusted = found && Object.prototype.toString.call(found) === '[object Object]';
  if (found && !trusted) warn('window.Newswire is an element of the page, not this API; it is ignored');
  var nw = trusted ? found : {};
  // An own property of the window, which no element of the page can shadow.
  window.Newswire = nw;
  var VERSION = '0.1.0';
  // Every attribute the widget reads; a change to any of them updates it in place.
  var ATTRIBUTES = [
    'feed', 'theme', 'accent', 'category', 'max-briefs', 'lang', 'review-endpoint', 'refresh',
    'fallback-url', 'show-rating', 'heading-level', 'title', 'sections', 'density', 'ticker',
    'loading',
  ];
  var SECTIONS = { headlines: '.nw-strip', briefs: '.nw-briefs', review: '.nw-review' };
  var CHOICES = { density: ['comfortable', 'compact'], ticker: ['scroll', 'static'], loading: ['lazy', 'eager'] };

  try {
    if (!script || !script.src) {
      // Without its own element it cannot know where its release lives, and it guesses
      // nothing from the page.
      report('embed.js must run from its own <script src> tag');
    } else {
      if (!customElements.get('newswire-widget')) define(new URL(HASH[0], script.src).href);
      if (script.getAttribute('data-feed')) place(script);
    }
  } catch (err) {
    report(err);
  }

  function report(err) {
    if (window.console) console.error('Newswire:', err);
  }

  function warn(message) {
    if (window.console) console.warn('Newswire: ' + message);
  }

  // An enumerated attribute's value, lower case; null when it is absent or not one.
  function choice(el, name) {
    var v = (el.getAttribute(name) || '').trim().toLowerCase();
    return CHOICES[name].indexOf(v) >= 0 ? v : null;
  }

  // The sections named: any of headlines, briefs, review, comma-separated; null for none.
  function sections(el) {
    var shown = null;
    (el.getAttribute('sections') || '').split(',').forEach(function (name) {
      name = name.trim().toLowerCase();
      if (SECTIONS[name]) (shown = shown || {})[name] = true;
    });
    return shown;
  }

  // One warning for each unusable value the loader reads, when it is set. (The wasm warns
  // about the attributes it reads.)
  function check(el, name) {
    var value = el.getAttribute(name);
    if (value === null) return;
    var expected = CHOICES[name] ? !choice(el, name) && CHOICES[name].join(' or ')
      : name === 'sections' && !sections(el) && 'any of headlines, briefs, review, comma-separated';
    if (expected) warn('ignoring `' + name + '`="' + value + '"; expected ' + expected);
  }

  // `base`: the folder of this release's files.
  function define(base) {
    var glueUrl = new URL('newswire.js', base).href;
    var wasmUrl = new URL('newswire_bg.wasm', base).href;
    var cssUrl = new URL('newswire.css', base).href;

    // Until the widget's own stylesheet arrives: the reserved box and the placeholder.
    // The height follows max-briefs; partners may set --newswire-height instead.
    var RESERVE =
      ':host{display:block!important;box-sizing:border-box!important;contain:content!important;' +
      'overflow:hidden!important;inline-size:auto;max-inline-size:100%;' +
      'block-size:var(--newswire-height,calc(var(--nw-rows,5) * var(--nw-row,118px) + var(--nw-fixed,400px)))!important}' +
      '.nw-root{block-size:100%}.nw-boot{box-sizing:border-box;block-size:100%;display:grid;place-content:center;' +
      'gap:8px;padding:16px;text-align:center;' +
      'font:15px/1.45 var(--newswire-font,inherit);color:var(--newswire-muted,#575b63);' +
      'border:1px solid #d5d8de;border-radius:var(--newswire-radius,10px)}' +
      '.nw-boot strong{font-size:18px;color:var(--newswire-fg,#1b1c1f)}.nw-boot a{color:inherit}';

    var shared = sheet(RESERVE);
    var main = null;
    var styled = null;
    var compiled = null;
    // Healthy instances that no widget uses right now, and how many were ever made.
    var spare = [];
    var made = 0;

    function sheet(text) {
      var s = new CSSStyleSheet();
      s.replaceSync(text);
      return s;
    }

    function style(root, sheets) {
      root.adoptedStyleSheets = sheets;
    }

    // The stylesheet, once per page. Like the wasm and the glue, it must arrive intact (a
    // release's files are checked against their hashes), else the widget shows its
    // fallback; after a failure the next widget tries again.
    function stylesheet() {
      if (!styled) {
        styled = fetch(cssUrl, { credentials: 'omit', integrity: HASH[3] })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + cssUrl);
            return r.text();
          })
          .then(function (text) {
            main = sheet(text);
          });
        styled.catch(function () {
          styled = null;
        });
      }
      return styled;
    }

    // The wasm, fetched and compiled once per page (streaming, where the browser can);
    // after a failure the next widget tries again.
    function compile() {
      if (!compiled) {
        compiled = fetch(wasmUrl, { credentials: 'omit', integrity: HASH[2] }).then(function (r) {
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

    // The glue module at `url`, checked like the wasm and the stylesheet. import() takes no
    // integrity, so a modulepreload link that carries one fetches and checks it first, and
    // import() then finds the checked module in the page's module map. A glue that fails its
    // check never runs.
    function glue(url) {
      if (!HASH[1]) return import(url);
      return new Promise(function (resolve, reject) {
        var link = make('link');
        link.rel = 'modulepreload';
        link.crossOrigin = 'anonymous';
        link.integrity = HASH[1];
        link.href = url;
        link.onload = function () {
          link.remove();
          resolve(import(url));
        };
        link.onerror = function () {
          link.remove();
          reject(new Error('not intact: ' + url));
        };
        (own('head') || doc.documentElement).appendChild(link);
      });
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
      var code = glue(glueUrl + (n ? '#' + n : ''));
      return Promise.all([compile(), stylesheet(), code]).then(function (done) {
        var inst = { glue: done[2], dead: false, host: null };
        if (inst.glue.__nwGuard) inst.glue.__nwGuard(guard(inst));
        return inst.glue.default({ module_or_path: done[0] }).then(function () {
          return inst;
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
      if (el && el.isConnected) {
        el._nwMounted = null;
        fallback(el, 'The news widget stopped unexpectedly.');
      }
    }

    // The same rule as the widget's own parsing: a whole number from 1 to 50, else 5.
    function rows(el) {
      var value = (el.getAttribute('max-briefs') || '').trim();
      var n = /^[0-9]+$/.test(value) ? parseInt(value, 10) : 0;
      return n >= 1 && n <= 50 ? n : 5;
    }

    // What the widget renders into, replacing any earlier one (and with it every listener
    // the widget had there). Styles live beside it, so they stay.
    function frame(root) {
      var old = root.querySelector('.nw-root');
      var div = make('div');
      div.className = 'nw-root';
      if (old) old.replaceWith(div);
      else root.appendChild(div);
      return div;
    }

    // The element's own sheet: the reserved height for the sections it shows (title 72 px,
    // strip 58, briefs 30 plus a row each, review 240), and the sections it hides. A brief
    // wraps to about 118 px in a narrow column and 90 px in a wide one (640 px and up).
    function sheetsFor(el) {
      var shown = sections(el) || { headlines: true, briefs: true, review: true };
      var css =
        ':host{--nw-row:' + (el.getBoundingClientRect().width >= 640 ? 90 : 118) + 'px;' +
        '--nw-rows:' + (shown.briefs ? rows(el) : 0) + ';--nw-fixed:' +
        (72 + (shown.headlines ? 58 : 0) + (shown.briefs ? 30 : 0) + (shown.review ? 240 : 0)) + 'px}';
      for (var name in SECTIONS) if (!shown[name]) css += SECTIONS[name] + '{display:none!important}';
      var own = sheet(css);
      return main ? [shared, main, own] : [shared, own];
    }

    // The loader is told what the widget does: it keeps the element's state attribute and
    // fires newswire:ready, newswire:error and newswire:review on it, after the wasm's turn.
    // "unset": the attributes allow no start yet (no usable feed): the words (a) and their
    // direction (b) go in the loader's message box, and it is an error to the page.
    function notify(el, kind, a, b) {
      if (kind === 'unset') {
        message(el.shadowRoot.querySelector('.nw-root'), a, null, null, b);
        kind = 'error';
      }
      if (kind !== 'review') el.setAttribute('state', kind);
      if (kind === 'loading') return;
      var detail = kind === 'ready' ? { headlines: a, briefs: b } : kind === 'error' ? { message: a } : { id: a };
      Promise.resolve().then(function () {
        el.dispatchEvent(new CustomEvent('newswire:' + kind, { bubbles: true, composed: true, detail: detail }));
      });
    }

    function message(container, text, title, href, dir) {
      var box = make('div');
      box.className = 'nw-boot';
      box.setAttribute('role', 'status');
      // The loader's own few words are English, whatever the page's language.
      if (!dir) box.lang = 'en';
      box.dir = dir || 'ltr';
      if (title) {
        var strong = make('strong');
        strong.textContent = title;
        box.appendChild(strong);
      }
      var p = make('p');
      p.textContent = text;
      box.appendChild(p);
      if (href) {
        var a = make('a');
        a.href = href;
        a.rel = 'noopener noreferrer';
        a.textContent = 'Read the latest news on the publisher\u2019s site';
        box.appendChild(a);
      }
      container.replaceChildren(box);
    }

    // `value` as an http(s) URL against `base` (an element's baseURI, which no element of
    // the page can shadow, unlike the document's); null for anything else, or for nothing.
    function httpUrl(value, base) {
      try {
        var url = new URL(String(value || '').trim(), base);
        return /^https?:$/.test(url.protocol) && url.href !== base ? url : null;
      } catch (e) {
        return null;
      }
    }

    // When the widget cannot run: the feed's title and a plain link to the publisher's
    // news, from `fallback-url`, else the feed's home_page_url, else the feed's origin.
    function fallback(el, why) {
      why = why || 'The news widget cannot run here.';
      notify(el, 'error', why);
      var container = frame(el.shadowRoot);
      message(container, 'Loading the latest news\u2026');
      var feed = httpUrl(el.getAttribute('feed'), el.baseURI);
      var chosen = httpUrl(el.getAttribute('fallback-url'), el.baseURI);
      var show = function (title, home) {
        var link = chosen || home || feed && new URL('/', feed);
        message(container, why, title, link && link.href);
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

    // Starts the feed request while the wasm is still on its way. The widget asks for the
    // same URL in the same way a moment later, and the browser's HTTP cache (which holds a
    // second request for a URL until the first is in) answers it: a cacheable feed then
    // costs one request and no wait. The answer itself is not read here.
    function prefetch(el) {
      var feed = httpUrl(el.getAttribute('feed'), el.baseURI);
      if (feed) fetch(feed.href, { credentials: 'omit' }).catch(function () {});
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

    // Mounts one widget: the feed request and an instance of the wasm, at once.
    function start(el) {
      var root = el.shadowRoot;
      el._nwPending = true;
      prefetch(el);
      if (!warmed) {
        warmed = true;
        setTimeout(warm);
      }
      instance()
        .then(function (inst) {
          el._nwPending = false;
          // An instance that trapped while starting up is never used.
          if (inst.dead) return fallback(el);
          if (!el.isConnected) return spare.push(inst);
          style(root, sheetsFor(el));
          inst.host = el;
          el._nwInstance = inst;
          var mounted = inst.glue.mount(el, frame(root), function (kind, a, b) {
            notify(el, kind, a, b);
          });
          // A trap during mount has already put up the fallback.
          el._nwMounted = inst.dead ? null : mounted;
        })
        .catch(function (err) {
          el._nwPending = false;
          report(err);
          fallback(el);
        });
    }

    // A hidden widget (in a closed tab, say) has no box: the observer decides for it.
    function near(el) {
      var box = el.getBoundingClientRect();
      return (
        (box.width > 0 || box.height > 0) &&
        box.top < innerHeight + 200 && box.bottom > -200 && box.left < innerWidth + 200 && box.right > -200
      );
    }

    // Lazy widgets start when they come within 200 px of the viewport.
    var nearby = null;
    function whenNear(el) {
      if (!nearby) {
        nearby = new IntersectionObserver(
          function (entries) {
            entries.forEach(function (entry) {
              if (entry.isIntersecting && entry.target._nwWaiting) {
                nearby.unobserve(entry.target);
                entry.target._nwWaiting = false;
                start(entry.target);
              }
            });
          },
          { rootMargin: '200px' }
        );
      }
      el._nwWaiting = true;
      nearby.observe(el);
    }

    class NewswireWidget extends HTMLElement {
      static get observedAttributes() {
        return ATTRIBUTES;
      }

      connectedCallback() {
        var el = this;
        if (el._nwMounted || el._nwPending || el._nwWaiting) return;
        var root = el.shadowRoot || el.attachShadow({ mode: 'open' });
        ['sections', 'density', 'ticker', 'loading'].forEach(function (name) {
          check(el, name);
        });
        // The reserve sheet first: the element is a block, so its width can be measured.
        style(root, [shared]);
        style(root, sheetsFor(el));
        el.setAttribute('state', 'loading');
        message(frame(root), 'Loading the latest news\u2026');
        if (typeof WebAssembly !== 'object') return fallback(el);
        // Lazy, unless it is near the viewport already: that one starts now rather than a
        // frame later, when the observer would first report.
        if (choice(el, 'loading') !== 'eager' && window.IntersectionObserver && !near(el)) return whenNear(el);
        start(el);
      }

      // Changed attributes, gathered for a turn, update the widget in place: the same
      // instance, no new download, and the news stays on screen.
      attributeChangedCallback(name, old, value) {
        var el = this;
        if (old === value || !el.shadowRoot) return;
        check(el, name);
        if (name === 'loading' && el._nwWaiting && choice(el, 'loading') === 'eager') {
          nearby.unobserve(el);
          el._nwWaiting = false;
          start(el);
        }
        if (el._nwChanged) return;
        el._nwChanged = true;
        Promise.resolve().then(function () {
          el._nwChanged = false;
          if (!el.shadowRoot) return;
          style(el.shadowRoot, sheetsFor(el));
          if (el._nwMounted) el._nwMounted.update(el);
        });
      }

      disconnectedCallback() {
        if (this._nwWaiting) {
          nearby.unobserve(this);
          this._nwWaiting = false;
        }
        var mounted = this._nwMounted;
        var inst = this._nwInstance;
        this._nwMounted = this._nwInstance = null;
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
    }

    // The page's API. Options are attributes by name: {feed: '…', theme: 'dark'}.
    nw.version = VERSION;
    nw.mount = function (target, options) {
      var given = target && target.localName === 'newswire-widget';
      var el = given ? target : make('newswire-widget');
      Object.keys(options || {}).forEach(function (name) {
        var value = options[name];
        if (value === false || value === null || value === undefined) el.removeAttribute(name);
        else el.setAttribute(name, value === true ? '' : String(value));
      });
      // Attributes first, so the new element starts with all of them.
      if (!given && target) target.appendChild(el);
      return el;
    };
    nw.refresh = function (el) {
      var all = el ? [el] : DP.querySelectorAll.call(doc, 'newswire-widget');
      for (var i = 0; i < all.length; i++) if (all[i]._nwMounted) all[i]._nwMounted.refresh();
    };

    if (!customElements.get('newswire-widget')) {
      customElements.define('newswire-widget', NewswireWidget);
    }

    // Calls the page queued before this script ran, then every later push runs at once.
    var queued = Array.isArray(nw.q) ? nw.q : [];
    nw.q = { push: call };
    for (var i = 0; i < queued.length; i++) call(queued[i]);
  }

  function call(args) {
    try {
      nw[args[0]].apply(nw, [].slice.call(args, 1));
    } catch (err) {
      report(err);
    }
  }

  // A widget right where the tag stands, carrying the tag's data-* attributes that name a
  // widget attribute (data-feed, data-theme…); any other data-* stays on the tag.
  function place(tag) {
    var el = make('newswire-widget');
    ATTRIBUTES.forEach(function (name) {
      var value = tag.getAttribute('data-' + name);
      if (value !== null) el.setAttribute(name, value);
    });
    var parent = tag.parentNode;
    if (parent && parent !== own('head')) {
      parent.insertBefore(el, tag.nextSibling);
    } else if (own('body')) {
      own('body').appendChild(el);
    } else {
      // On the window, which no element can shadow; the event bubbles there.
      addEventListener('DOMContentLoaded', function () {
        own('body').appendChild(el);
      });
    }
  }
})();
