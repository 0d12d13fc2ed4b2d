/* Newswire loader. One classic script tag on a partner page:
 *
 *   <script async src="https://HOST/newswire/embed.js" data-feed="https://HOST/feed.json"></script>
 *
 * It defines <newswire-widget>, puts one where the tag stands (its data-* attributes become
 * the widget's attributes), and mounts every <newswire-widget> on the page. The wasm glue,
 * the wasm and the stylesheet are fetched once per page however many tags or widgets there
 * are. Space is reserved in each widget's shadow root before the wasm arrives, so nothing
 * on the host page moves when the news appears. Nothing here throws into the host page.
 */
(function () {
  'use strict';

  // Read before anything asynchronous: currentScript is null once this turn is over.
  var script = document.currentScript;
  var nw = (window.Newswire = window.Newswire || {});

  try {
    if (!nw.loaded) {
      nw.loaded = true;
      define(script && script.src ? script.src : document.baseURI);
    }
    if (script && script.getAttribute('data-feed')) place(script);
  } catch (err) {
    report(err);
  }

  function report(err) {
    if (window.console) console.error('Newswire:', err);
  }

  function define(src) {
    var glueUrl = new URL('newswire.js', src).href;
    var wasmUrl = new URL('newswire_bg.wasm', src).href;
    var cssUrl = new URL('newswire.css', src).href;
    var canAdopt = 'adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype;

    // Until the widget's own stylesheet arrives: the reserved box and the placeholder.
    // The height follows max-briefs; partners may set --newswire-height instead.
    var RESERVE =
      ':host{display:block!important;box-sizing:border-box!important;contain:content!important;' +
      'overflow:hidden!important;inline-size:auto;max-inline-size:100%;' +
      'block-size:var(--newswire-height,calc(var(--nw-rows,5) * 118px + 400px))!important}' +
      '.nw-root{block-size:100%}.nw-boot{box-sizing:border-box;block-size:100%;display:grid;place-items:center;padding:16px;' +
      'font:15px/1.45 var(--newswire-font,inherit);color:var(--newswire-muted,#575b63);' +
      'border:1px solid #d5d8de;border-radius:var(--newswire-radius,10px)}' +
      '.nw-boot a{color:inherit}';

    var shared = sheet(RESERVE);
    var main = null;
    var loading = null;

    function sheet(text) {
      if (!canAdopt) return text;
      var s = new CSSStyleSheet();
      s.replaceSync(text);
      return s;
    }

    function style(root, sheets) {
      if (canAdopt) {
        root.adoptedStyleSheets = sheets;
        return;
      }
      // Old engines: a <style> per sheet, still inside the shadow root only.
      var old = root.querySelectorAll('style[data-nw]');
      for (var i = 0; i < old.length; i++) old[i].remove();
      for (var j = 0; j < sheets.length; j++) {
        var el = document.createElement('style');
        el.setAttribute('data-nw', '');
        el.textContent = sheets[j];
        root.insertBefore(el, root.firstChild);
      }
    }

    // The glue, the wasm and the stylesheet, fetched in parallel, once per page; after a
    // failure the next widget tries again.
    function load() {
      if (!loading) {
        var css = fetch(cssUrl, { credentials: 'omit' })
          .then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.text();
          })
          .then(function (text) {
            main = sheet(text);
          })
          .catch(function (err) {
            // The widget still works, unstyled, in its reserved space.
            if (window.console) console.warn('Newswire: the stylesheet could not be loaded:', err);
          });
        var wasm = import(glueUrl).then(function (glue) {
          return glue.default({ module_or_path: wasmUrl }).then(function () {
            return glue;
          });
        });
        loading = Promise.all([wasm, css]).then(
          function (done) {
            return done[0];
          },
          function (err) {
            loading = null;
            throw err;
          }
        );
      }
      return loading;
    }

    // The same rule as the widget's own parsing: a whole number from 1 to 50, else 5.
    function rows(el) {
      var value = (el.getAttribute('max-briefs') || '').trim();
      var n = /^[0-9]+$/.test(value) ? parseInt(value, 10) : 0;
      return n >= 1 && n <= 50 ? n : 5;
    }

    // What the widget renders into. Styles (adopted, or <style> elements in old engines)
    // live beside it, so replacing its children never drops them.
    function frame(root) {
      for (var i = 0; i < root.children.length; i++) {
        if (root.children[i].classList.contains('nw-root')) return root.children[i];
      }
      var div = document.createElement('div');
      div.className = 'nw-root';
      root.appendChild(div);
      return div;
    }

    function sheetsFor(el) {
      var own = sheet(':host{--nw-rows:' + rows(el) + '}');
      return main ? [shared, own, main] : [shared, own];
    }

    function message(container, text, href) {
      var box = document.createElement('div');
      box.className = 'nw-boot';
      box.setAttribute('role', 'status');
      box.textContent = text;
      if (href) {
        var a = document.createElement('a');
        a.href = href;
        a.textContent = ' Read the news on the publisher\u2019s site.';
        box.appendChild(a);
      }
      container.replaceChildren(box);
    }

    function home(el) {
      try {
        var url = new URL(el.getAttribute('feed') || '', document.baseURI);
        return /^https?:$/.test(url.protocol) ? url.origin + '/' : null;
      } catch (e) {
        return null;
      }
    }

    class NewswireWidget extends HTMLElement {
      connectedCallback() {
        var el = this;
        if (el._nwMounted || el._nwPending) return;
        var root = el.shadowRoot || el.attachShadow({ mode: 'open' });
        style(root, sheetsFor(el));
        el.setAttribute('state', 'loading');
        var container = frame(root);
        message(container, 'Loading the latest news\u2026');
        el._nwPending = true;
        load()
          .then(function (glue) {
            el._nwPending = false;
            if (!el.isConnected) return;
            style(root, sheetsFor(el));
            el._nwMounted = glue.mount(el, container);
          })
          .catch(function (err) {
            el._nwPending = false;
            report(err);
            el.setAttribute('state', 'error');
            message(container, 'The news could not be loaded here.', home(el));
          });
      }

      disconnectedCallback() {
        var mounted = this._nwMounted;
        this._nwMounted = null;
        if (!mounted) return;
        try {
          mounted.unmount();
          mounted.free();
        } catch (err) {
          report(err);
        }
      }
    }

    if (!customElements.get('newswire-widget')) {
      customElements.define('newswire-widget', NewswireWidget);
    }
  }

  // A widget right where the tag stands, carrying the tag's data-* attributes.
  function place(tag) {
    var el = document.createElement('newswire-widget');
    for (var i = 0; i < tag.attributes.length; i++) {
      var attr = tag.attributes[i];
      if (attr.name.indexOf('data-') === 0) el.setAttribute(attr.name.slice(5), attr.value);
    }
    var parent = tag.parentNode;
    if (parent && parent !== document.head) {
      parent.insertBefore(el, tag.nextSibling);
    } else if (document.body) {
      document.body.appendChild(el);
    } else {
      document.addEventListener('DOMContentLoaded', function () {
        document.body.appendChild(el);
      });
    }
  }
})();
