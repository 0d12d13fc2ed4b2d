/* The plain-JS baseline for `make bench`: a hand-written widget with no framework and no
 * wasm, showing the same feed in the same three sections (the headline strip, the politics
 * briefs, the review prompt) with the same parts, classes and stylesheet, in a shadow root.
 * It is what the content-first path is measured against: the figure to match is its time to
 * first content. It does only what first content needs (no refresh, no languages but the
 * reader's Intl, no reviews sent), so it is the fastest a widget of this shape can be.
 *
 *   <newswire-widget style="display:block;block-size:994px"></newswire-widget>
 *   <script async src="https://HOST/newswire/baseline.js" data-feed="https://HOST/feed.json"></script>
 *
 * Like the widget's default snippet, the element is in the page with its height reserved;
 * without one, the script makes it where it stands.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var feed = script.getAttribute('data-feed');
  var el = document.querySelector('newswire-widget');
  if (!el) {
    el = document.createElement('newswire-widget');
    script.parentNode.insertBefore(el, script.nextSibling);
  }
  var root = el.attachShadow({ mode: 'open' });
  // The same reserve as the loader's, so both paths hold the same box.
  var reserve = new CSSStyleSheet();
  reserve.replaceSync(':host{display:block;box-sizing:border-box;contain:content;overflow:hidden;block-size:994px}');
  root.adoptedStyleSheets = [reserve];

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function when(iso, lang) {
    var date = new Date(iso);
    var day = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric' }).format(date);
    return day + ' ' + new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(date);
  }

  function render(json, css) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [reserve, sheet];
    var items = (json.items || []).slice().sort(function (a, b) {
      return (Date.parse(b.date_published) || 0) - (Date.parse(a.date_published) || 0);
    });
    var flagged = items.filter(function (i) { return i._newswire && i._newswire.headline; });
    var headlines = (flagged.length ? flagged : items.slice(0, 5)).filter(function (i) { return i.title; });
    var briefs = items
      .filter(function (i) { return !(i._newswire && i._newswire.headline); })
      .filter(function (i) { return (i.tags || []).some(function (t) { return String(t).toLowerCase() === 'politics'; }); })
      .slice(0, 5);
    var lang = document.documentElement.lang || navigator.language;

    var section = make('section', 'nw theme-auto');
    section.lang = lang;
    section.setAttribute('aria-label', json.title || 'Latest news');
    var title = make('h2', 'nw-title', json.title || 'Latest news');
    title.setAttribute('part', 'title');
    section.appendChild(title);

    var strip = make('div', 'nw-strip');
    strip.setAttribute('part', 'headlines');
    var ticker = make('div', 'nw-ticker');
    var track = make('div', 'nw-track');
    [false, true].forEach(function (copy) {
      var run = make('ul', copy ? 'nw-run nw-copy' : 'nw-run');
      if (copy) run.setAttribute('aria-hidden', 'true');
      headlines.forEach(function (item) {
        var li = make('li', 'nw-headline');
        if (!copy) li.setAttribute('part', 'headline');
        var a = make('a', null, item.title);
        a.href = item.url;
        li.appendChild(a);
        run.appendChild(li);
      });
      track.appendChild(run);
    });
    ticker.appendChild(track);
    strip.appendChild(ticker);
    section.appendChild(strip);

    var list = make('section', 'nw-briefs');
    list.setAttribute('part', 'briefs');
    list.appendChild(make('h3', 'nw-section-title', 'Latest in Politics'));
    var ol = make('ol', 'nw-brief-list');
    briefs.forEach(function (item) {
      var li = make('li', 'nw-brief');
      li.setAttribute('part', 'brief');
      var h = make('h4', 'nw-brief-title');
      var a = make('a', null, item.title);
      a.href = item.url;
      h.appendChild(a);
      li.appendChild(h);
      if (item.summary) li.appendChild(make('p', 'nw-brief-text', item.summary));
      if (item.date_published) {
        var time = make('time', 'nw-brief-date', when(item.date_published, lang));
        time.dateTime = item.date_published;
        li.appendChild(time);
      }
      ol.appendChild(li);
    });
    list.appendChild(ol);
    section.appendChild(list);

    var review = make('section', 'nw-review');
    review.setAttribute('part', 'review');
    review.appendChild(make('h3', 'nw-section-title', 'Leave a review'));
    var form = make('form', 'nw-form');
    var stars = make('fieldset', 'nw-stars');
    for (var n = 1; n <= 5; n++) {
      var label = make('label', 'nw-star');
      var input = make('input');
      input.type = 'radio';
      input.name = 'rating';
      input.value = String(n);
      label.appendChild(input);
      label.appendChild(make('span', null, '\u2605'));
      stars.appendChild(label);
    }
    form.appendChild(stars);
    form.appendChild(make('textarea', 'nw-comment'));
    var button = make('button', 'nw-submit', 'Send review');
    button.type = 'submit';
    form.appendChild(button);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
    });
    review.appendChild(form);
    section.appendChild(review);

    root.appendChild(section);
    el.setAttribute('state', 'ready');
    el.setAttribute('interactive', '');
    el.dispatchEvent(new CustomEvent('newswire:interactive', { bubbles: true, composed: true }));
  }

  var css = new URL('newswire.css', script.src).href;
  Promise.all([
    fetch(feed, { credentials: 'omit' }).then(function (r) { return r.json(); }),
    fetch(css, { credentials: 'omit' }).then(function (r) { return r.text(); }),
  ]).then(function (done) {
    render(done[0], done[1]);
  });
})();
