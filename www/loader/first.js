/* Newswire loader, first stage. One classic script tag on a partner page:
 *
 *   <script async src="https://HOST/newswire/embed.js" data-feed="https://HOST/feed.json" crossorigin="anonymous"></script>
 *
 * It defines <newswire-widget>, puts one where the tag stands (the tag's data-* attributes
 * that the widget knows become the widget's attributes), and starts every <newswire-widget>
 * on the page as it comes within 200 px of the viewport (loading="eager": at once). The
 * element is live: changed attributes update the widget in place, and removing it unmounts
 * it. Space is reserved in each widget's shadow root before anything arrives, so nothing on
 * the host page moves when the news appears. Nothing here throws into the host page.
 *
 * This stage only paints; it is what every reader downloads before the news is on screen,
 * so whatever can wait is in the second stage (second.js: the wasm, live news, the checks
 * and warnings about attributes, fitting the box to the news). scripts/bundle-loader.mjs
 * bundles this module and what it imports into one classic script.
 *
 * Content first. A widget of the publisher's own feed (HOST/feed.json) shows the widget as
 * the server rendered it (/newswire/render: the same Yew components, a few kilobytes of
 * HTML), with its dates and numbers written by the browser's Intl in the reader's locale,
 * before any wasm is fetched. The wasm comes later, when the page is idle and the widget
 * visible, or at the reader's first pointer, focus or key on it, or when the page changes an
 * attribute or calls the API; it then hydrates those very nodes (the `interactive`
 * attribute and a newswire:interactive event say so). A star or a comment given before
 * that is kept and sent. A widget the server rendered into the page itself (Declarative
 * Shadow DOM, /newswire/include) is adopted the same way. Any other feed renders on the
 * client: the wasm and the feed are fetched at once.
 *
 * The wasm is fetched and compiled once per page, the stylesheet fetched once. Each widget
 * runs in its own instance of that module, so a widget that fails cannot take the others
 * down.
 *
 * Pages we do not own may let anyone post HTML (page.js). This code trusts no
 * window.Newswire but a plain object, and takes the URLs and hashes of the glue, the wasm,
 * the stylesheet and the second stage from the release itself (stamped into the bundles by
 * scripts/release.mjs), never from the page.
 *
 * window.Newswire is the page's API: version, mount(element, options), refresh(element?),
 * and q, where calls made before this script ran wait ([name, ...arguments]).
 */
import { ATTRIBUTES, RENDERED, SECTIONS } from './facts.js';
import { choice, doc, DP, httpUrl, make, own, report, rows, sections, warn } from './page.js';

// The release: where its files are, relative to this script's own URL, and the SRI hashes
// of the stylesheet and the loader's second stage, each checked before the file is used
// (the second stage carries the glue's and the wasm's, and the code they were built from).
// scripts/release.mjs writes them over this placeholder; unstamped (the readable source in
// the dev loop), the files are the loader's neighbours and go unchecked.
var STAMP = '@@NEWSWIRE_RELEASE@@'.split(' ');
var HASH = STAMP.length === 3 ? STAMP : ['', '', ''];

// Read before anything asynchronous: currentScript is null once this turn is over. Only
// a real script element counts; <img name="currentScript"> is not this script.
var script = own('currentScript');
if (!(script instanceof HTMLScriptElement)) script = null;
var found = window.Newswire;
var trusted = found && Object.prototype.toString.call(found) === '[object Object]';
var nw = trusted ? found : {};
// An own property of the window, which no element of the page can shadow.
window.Newswire = nw;
// Stamped from Cargo.toml by scripts/release.mjs, as the release's hashes are.
var VERSION = '@@NEWSWIRE_VERSION@@';

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

// `base`: the folder of this release's files. This first stage shows the news; the second
// (newswire-live.js, a module fetched when a widget needs the wasm) runs it.
function define(base) {
  var cssUrl = new URL('newswire.css', base).href;
  var liveUrl = new URL('newswire-live.js', base).href;
  // The publisher's own feed, which its server renders.
  var ownFeed = new URL('/feed.json', script.src).href;

  // Until the widget's own stylesheet arrives: the reserved box and the placeholder. The
  // heights are here, in CSS: the title 72 px, the strip 58, the briefs 30 plus a row each
  // (--nw-row: about 118 px in a narrow column, 90 from 640 px wide), the review prompt 244,
  // and 24 more for its rating line; the element's own sheet says which are shown (--nw-h,
  // --nw-b, --nw-r and --nw-s, each 0 or 1) and how many rows (`sheetsFor`). Partners may
  // set --newswire-height instead, which holds at least the sections' minimum (one brief,
  // the rest whole). Once the news is in, --nw-fit is its own height, where taking the
  // spare space away moves nothing a reader can see (`fit`).
  var RESERVE =
    ':host{display:block!important;box-sizing:border-box!important;contain:content!important;' +
    'overflow:hidden!important;inline-size:auto;max-inline-size:100%;' +
    '--nw-fixed:calc(72px + var(--nw-h,1) * 58px + var(--nw-r,1) * (244px + var(--nw-s,0) * 24px));' +
    '--nw-list:calc(var(--nw-b,1) * (30px + var(--nw-row,118px) * var(--nw-rows,5)));' +
    '--nw-least:calc(var(--nw-fixed) + var(--nw-b,1) * (30px + var(--nw-row,118px)));' +
    'block-size:var(--nw-fit,max(var(--newswire-height,calc(var(--nw-fixed) + var(--nw-list))),var(--nw-least)))!important}' +
    '.nw-root{block-size:100%}.nw-boot{box-sizing:border-box;block-size:100%;display:grid;place-content:center;' +
    'gap:8px;padding:16px;text-align:center;' +
    'font:15px/1.45 var(--newswire-font,inherit);color:var(--newswire-muted,#575b63);' +
    'border:1px solid #d5d8de;border-radius:var(--newswire-radius,10px)}' +
    '.nw-boot strong{font-size:18px;color:var(--newswire-fg,#1b1c1f)}.nw-boot a{color:inherit}';

  var shared = sheet(RESERVE);
  var main = null;
  var styled = null;
  // The second stage, once asked for, and what it gave back.
  var asked = null;
  var live = null;

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
      styled = fetch(cssUrl, { credentials: 'omit', integrity: HASH[1] })
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

  // The module at `url`, checked like the wasm and the stylesheet against `integrity`.
  // import() takes no integrity, so a modulepreload link that carries one fetches and
  // checks it first, and import() then finds the checked module in the page's module map.
  // A module that fails its check never runs.
  function load(url, integrity) {
    if (!integrity) return import(url);
    return new Promise(function (resolve, reject) {
      var link = make('link');
      link.rel = 'modulepreload';
      link.crossOrigin = 'anonymous';
      link.integrity = integrity;
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

  // Runs `f(stage)` with the second stage, fetching it the first time. Without it (a
  // blocked or altered file), the widget says it cannot run.
  function later(el, f) {
    if (!asked) {
      asked = load(liveUrl, HASH[2]).then(function (module) {
        return (live = module.run(context));
      });
      asked.catch(function () {
        asked = null;
      });
    }
    asked.then(f, function (err) {
      report(err);
      broken(el);
    });
  }

  // What the second stage is given of this one.
  var context = {
    base: base,
    nw: nw,
    load: load,
    stylesheet: stylesheet,
    style: style,
    sheetsFor: sheetsFor,
    frame: frame,
    message: message,
    keep: keep,
    whole: whole,
    event: event,
    // (The second stage says so: a warning is not worth its bytes before the news.)
    clobbered: found && !trusted,
  };

  // A widget showing the server's HTML that cannot run: the news stays, and its review
  // prompt gives way to the server's own words that reviews cannot be sent from here.
  // `true` when that is so.
  function keep(el, why) {
    var note = el._nwShown && el.shadowRoot.querySelector('.nw-offline');
    if (!note) return false;
    warn((why || 'The news widget cannot run here.') + ' The news stays on the page; reviews cannot be sent.');
    el._nwShown = false;
    note.removeAttribute('hidden');
    return true;
  }

  // A widget that cannot run: the news it shows stays; else the second stage's fallback,
  // or without it a plain link to the publisher's news.
  function broken(el, why) {
    if (keep(el, why)) return;
    if (live) return live.fallback(el, why);
    el.setAttribute('state', 'error');
    event(el, 'error', { message: why || 'The news widget cannot run here.' });
    var link = httpUrl(el.getAttribute('fallback-url'), el.baseURI) || httpUrl(el.getAttribute('feed'), el.baseURI);
    message(frame(el.shadowRoot), why || 'The news widget cannot run here.', null, link && new URL('/', link).href);
  }

  // What the widget renders into, replacing any earlier one (and with it every listener
  // the widget had there). Styles live beside it, so they stay.
  function frame(root, div) {
    var old = root.querySelector('.nw-root');
    div = div || make('div');
    div.className = 'nw-root';
    if (old) old.replaceWith(div);
    else root.appendChild(div);
    return div;
  }

  // The element's own sheet: which sections the reserve (RESERVE's heights) is for, the
  // rows of briefs and their height at this width, and the accent. A widget the page
  // already holds (Declarative Shadow DOM) is laid out by its content, not reserved.
  function sheetsFor(el, laidOut) {
    var shown = sections(el) || SECTIONS;
    // (The wasm's rule for a boolean attribute: present, and not "false".)
    var rated = el.getAttribute('show-rating');
    rated = rated !== null && rated.trim().toLowerCase() !== 'false';
    var own = sheet(
      ':host{--nw-row:' + (el.getBoundingClientRect().width >= 640 ? 90 : 118) + 'px;--nw-rows:' + rows(el) +
        ';--nw-h:' + +!!shown.headlines + ';--nw-b:' + +!!shown.briefs + ';--nw-r:' + +!!shown.review +
        ';--nw-s:' + +rated + (el._nwFit ? ';--nw-fit:' + el._nwFit + 'px' : '') + '}'
    );
    // Through the CSSOM, so no value can break out of its declaration; the wasm sets the
    // same property on its section.
    var accent = (el.getAttribute('accent') || '').trim();
    if (accent && CSS.supports('color', accent)) own.cssRules[0].style.setProperty('--nw-accent', accent);
    var sheets = main ? [main, own] : [own];
    return laidOut ? sheets : [shared].concat(sheets);
  }

  // newswire:`kind` on the element, after this turn: this stage's first ready or error, and
  // what the wasm tells the second stage (newswire:review, newswire:interactive…).
  function event(el, kind, detail) {
    Promise.resolve().then(function () {
      el.dispatchEvent(new CustomEvent('newswire:' + kind, { bubbles: true, composed: true, detail: detail }));
    });
  }

  // The briefs end on a whole brief. Where the box holds fewer briefs than the widget has
  // (a narrow column, a partner's --newswire-height), the briefs scroll, and the edge
  // where they are clipped falls on a brief's end, never through its lines; the space that
  // frees goes below the review prompt, as any spare space does, and the stylesheet's
  // shadow at the clipped edge says there is more. Again whenever the widget's size or its
  // news changes (`watch`).
  function whole(el) {
    var root = el.shadowRoot;
    var box = root && root.querySelector('.nw-briefs');
    watch(el, root);
    if (!box) return;
    box.style.removeProperty('max-block-size');
    var height = box.clientHeight;
    if (box.scrollHeight <= height + 1) return;
    var top = box.getBoundingClientRect().top - box.scrollTop;
    var end = 0;
    box.querySelectorAll('.nw-brief').forEach(function (brief) {
      var bottom = brief.getBoundingClientRect().bottom - top;
      if (bottom <= height + 0.5) end = bottom;
    });
    if (end) box.style.setProperty('max-block-size', Math.round(end) + 'px');
  }

  var resized = typeof window.ResizeObserver === 'function' && new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      whole(entry.target.getRootNode().host || entry.target);
    });
  });

  // What `whole` watches: the widget's size, and each part's own, since the briefs' lines
  // rewrap (a font, the dates in the reader's words) and a part beside them grows or
  // shrinks inside a widget whose size stays. The parts as they are now: a render anew
  // replaces them. Nothing, once the widget has left the page.
  function watch(el, root) {
    var parts = [];
    if (resized && el.isConnected && root) parts = [el].concat([].slice.call(root.querySelectorAll('.nw-root > *, .nw-brief-list')));
    var had = el._nwSized || [];
    var same = had.length === parts.length && had.every(function (part, i) {
      return part === parts[i];
    });
    if (same) return;
    had.forEach(function (part) {
      resized.unobserve(part);
    });
    parts.forEach(function (part) {
      resized.observe(part);
    });
    el._nwSized = parts;
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

  // ---------------------------------------------------------------- the server's HTML

  // Whether the server renders this widget: its feed is the publisher's own.
  function rendered(el) {
    var feed = httpUrl(el.getAttribute('feed'), el.baseURI);
    return feed && feed.href === ownFeed;
  }

  // The attributes as they are now, for the wasm to hydrate with what was rendered.
  function snapshot(el) {
    var all = {};
    ATTRIBUTES.forEach(function (name) {
      var value = el.getAttribute(name);
      if (value !== null) all[name] = value;
    });
    return all;
  }

  // `new Intl[kind](lang, options).format(value)`, as the wasm calls it; null if it throws.
  function intl(kind, lang, options, value) {
    try {
      return new Intl[kind](lang, options).format(value);
    } catch (e) {
      return null;
    }
  }

  // Dates and numbers in the reader's locale, written exactly as the wasm writes them
  // (`platform::format_datetime` and `format_number`), so that nothing a reader sees
  // changes when it takes over.
  function localize(node) {
    var section = node.querySelector('.nw');
    var lang = section && section.getAttribute('lang');
    node.querySelectorAll('time[datetime]').forEach(function (time) {
      var value = time.getAttribute('datetime');
      var date = new Date(Date.parse(value));
      if (isNaN(date)) return;
      // A date alone (`2023-12-16`) is that day everywhere: written in UTC, without a time.
      var alone = value.length === 10;
      var part = function (options) {
        if (alone) options.timeZone = 'UTC';
        return intl('DateTimeFormat', lang, options, date);
      };
      // A browser without month names for the language writes "2026 M11 27": numbers
      // read better.
      var day = part({ day: 'numeric', month: 'long', year: 'numeric' });
      if (day === null || /M\d/.test(day)) day = part({ day: '2-digit', month: '2-digit', year: 'numeric' });
      var hour = alone ? '' : part({ hour: '2-digit', minute: '2-digit' });
      time.textContent = day !== null && hour !== null ? (alone ? day : day + ' ' + hour) : date.toISOString();
    });
    node.querySelectorAll('data[value]').forEach(function (data) {
      var value = data.getAttribute('value');
      var digits = (value.split('.')[1] || '').length;
      data.textContent = intl('NumberFormat', lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }, +value) || '';
    });
  }

  // The browser loads a locale's date and number data on its first format (about 30 ms
  // on a slow machine): done once, in a task of its own while the render is on the wire,
  // it is off the path to first content.
  var warmed = false;
  function warm(lang) {
    if (warmed) return;
    warmed = true;
    setTimeout(function () {
      intl('DateTimeFormat', lang, { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }, 0);
      intl('NumberFormat', lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }, 0);
    }, 0);
  }

  // Shows the server's HTML (`html`, rendered for the attributes `rendered`; or what the
  // page already holds), then waits for the moment to hydrate it.
  function show(el, html, rendered) {
    var root = el.shadowRoot;
    var shown = root;
    if (html !== undefined) {
      var template = make('template');
      template.innerHTML = html;
      shown = template.content;
    }
    var state = shown.querySelector('script.nw-state[type="application/json"]');
    var div = shown.querySelector('.nw-root');
    if (!state || !div) throw new Error('not a rendered widget');
    var parsed = JSON.parse(state.textContent);
    localize(shown);
    var track = shown.querySelector('.nw-track');
    if (track && parsed.ticker) track.style.animationDuration = parsed.ticker + 's';
    // Script is here, so reviews can be sent: the note that says otherwise goes.
    var note = shown.querySelector('.nw-offline');
    if (note) note.setAttribute('hidden', '');
    el._nwState = state.textContent;
    el._nwCode = div.getAttribute('data-release');
    // The wasm's first render must be the server's: with the attributes it rendered.
    el._nwRendered = rendered || snapshot(el);
    el._nwRoot = div;
    el._nwShown = true;
    state.remove();
    if (html !== undefined) frame(root, div);
    el.setAttribute('state', 'ready');
    // The headlines a reader meets once (the ticker's second copy is not counted).
    event(el, 'ready', {
      headlines: root.querySelectorAll('.nw-run:not(.nw-copy) .nw-headline').length,
      briefs: root.querySelectorAll('.nw-brief').length,
    });
    whole(el);
    arm(el);
  }

  // Asks the server for this widget and shows it; if that fails, renders on the client.
  function serve(el) {
    el._nwPending = true;
    var rendered = snapshot(el);
    var url = new URL('/newswire/render', script.src);
    RENDERED.forEach(function (name) {
      var value = el.getAttribute(name);
      if (value !== null) url.searchParams.set(name, value);
    });
    var page = own('documentElement').getAttribute('lang');
    if (page) url.searchParams.set('hl', page.trim());
    if (navigator.language) url.searchParams.set('rl', navigator.language);
    var asked = Promise.all([
      fetch(url.href, { credentials: 'omit' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + url.href);
        return r.text();
      }),
      stylesheet(),
    ]);
    warm(page || navigator.language);
    asked
      .then(function (done) {
        el._nwPending = false;
        if (!el.isConnected || el._nwMounted) return;
        style(el.shadowRoot, sheetsFor(el));
        show(el, done[0], rendered);
      })
      .catch(function (err) {
        el._nwPending = false;
        report(err);
        if (el.isConnected && !el._nwMounted) start(el);
      });
  }

  // The moment to hydrate: the page idle with the widget in view, or the reader's first
  // touch of it, whichever comes first. A form sent before then is sent once it has.
  function arm(el) {
    var root = el.shadowRoot;
    var go = function () {
      later(el, function (stage) {
        stage.hydrate(el);
      });
    };
    ['pointerdown', 'focusin', 'keydown'].forEach(function (type) {
      root.addEventListener(type, go, { capture: true, once: true });
    });
    root.addEventListener(
      'submit',
      function (event) {
        if (el._nwMounted) return;
        event.preventDefault();
        el._nwSubmit = true;
        go();
      },
      true
    );
    if (typeof window.IntersectionObserver === 'function') {
      var seen = (el._nwSeen = new IntersectionObserver(function (entries) {
        if (!entries[entries.length - 1].isIntersecting) return;
        seen.disconnect();
        // (typeof: an element with that id is a window property where the browser has none)
        if (typeof window.requestIdleCallback === 'function') requestIdleCallback(go, { timeout: 2000 });
        else setTimeout(go, 300);
      }));
      seen.observe(el);
    } else {
      setTimeout(go, 300);
    }
  }

  // On the client: the second stage, the wasm and the feed, at once.
  function start(el) {
    el._nwPending = true;
    later(el, function (stage) {
      stage.start(el);
    });
  }

  // The server's HTML when the feed is the publisher's own, else the client.
  function begin(el) {
    if (rendered(el)) serve(el);
    else start(el);
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
              begin(entry.target);
            }
          });
        },
        { rootMargin: '200px' }
      );
    }
    el._nwWaiting = true;
    nearby.observe(el);
  }

  // Runs `f(mounted)` once the widget is interactive, hydrating it now if it shows the
  // server's HTML.
  function interactive(el, f) {
    if (el._nwMounted) return f(el._nwMounted);
    if (el._nwShown) {
      later(el, function (stage) {
        stage.hydrate(el, f);
      });
    }
  }

  // Whether the parser has read past the element's end tag: the parser appends nodes in
  // document order, so the element, or an ancestor, then has a next sibling.
  function passed(el) {
    for (var node = el; node; node = node.parentNode) if (node.nextSibling) return true;
    return false;
  }

  class NewswireWidget extends HTMLElement {
    static get observedAttributes() {
      return ATTRIBUTES;
    }

    connectedCallback() {
      var el = this;
      if (el._nwMounted || el._nwPending || el._nwWaiting || el._nwShown) return;
      // An element the parser is still reading may carry a shadow root declared in its
      // HTML (the server's include): one made now would keep it from being attached. So
      // such an element waits for the document to be read; ours, and any the parser has
      // gone past, start at once (on a long page that is still arriving, the reader
      // should not wait for its end).
      if (!el.shadowRoot && !el._nwOurs && own('readyState') === 'loading' && !passed(el)) {
        if (!el._nwDeferred) {
          el._nwDeferred = true;
          addEventListener('DOMContentLoaded', function () {
            el._nwDeferred = false;
            if (el.isConnected) el.connectedCallback();
          });
        }
        return;
      }
      // The server put the widget in the page (Declarative Shadow DOM): adopt it.
      var root = el.shadowRoot;
      if (root && root.querySelector('script.nw-state[type="application/json"]')) {
        el._nwLaidOut = true;
        style(root, sheetsFor(el, true));
        stylesheet().then(function () {
          style(root, sheetsFor(el, true));
        }, report);
        try {
          return show(el);
        } catch (err) {
          report(err);
        }
      }
      root = root || el.attachShadow({ mode: 'open' });
      // The reserve sheet first: the element is a block, so its width can be measured.
      style(root, [shared]);
      style(root, sheetsFor(el));
      el.setAttribute('state', 'loading');
      message(frame(root), 'Loading the latest news\u2026');
      // Lazy, unless it is near the viewport already: that one starts now rather than a
      // frame later, when the observer would first report.
      if (choice(el, 'loading') !== 'eager' && window.IntersectionObserver && !near(el)) return whenNear(el);
      begin(el);
    }

    // Changed attributes, gathered for a turn, update the widget in place: the same
    // instance, no new download, and the news stays on screen. A widget showing the
    // server's HTML is hydrated first, with the attributes it was rendered with.
    attributeChangedCallback(name, old, value) {
      var el = this;
      if (old === value || !el.shadowRoot) return;
      // (Its warning, when the value is unusable, comes from the second stage.)
      if (live) live.check(el, name);
      if (name === 'loading' && el._nwWaiting && choice(el, 'loading') === 'eager') {
        nearby.unobserve(el);
        el._nwWaiting = false;
        begin(el);
      }
      if (el._nwChanged) return;
      el._nwChanged = true;
      Promise.resolve().then(function () {
        el._nwChanged = false;
        if (!el.shadowRoot) return;
        style(el.shadowRoot, sheetsFor(el, el._nwLaidOut));
        interactive(el, function (mounted) {
          mounted.update(el);
        });
      });
    }

    disconnectedCallback() {
      if (this._nwWaiting) {
        nearby.unobserve(this);
        this._nwWaiting = false;
      }
      if (this._nwSeen) this._nwSeen.disconnect();
      this._nwShown = false;
      watch(this);
      // Only a widget the second stage started has anything to unmount.
      if (live) live.unmount(this);
    }
  }

  // The page's API. Options are attributes by name: {feed: '…', theme: 'dark'}.
  nw.version = VERSION;
  nw.mount = function (target, options) {
    var given = target && target.localName === 'newswire-widget';
    var el = given ? target : make('newswire-widget');
    el._nwOurs = true;
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
    for (var i = 0; i < all.length; i++) {
      interactive(all[i], function (mounted) {
        mounted.refresh();
      });
    }
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
  el._nwOurs = true;
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
