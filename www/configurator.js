// The configurator: every form control is a widget attribute. The preview is the real
// <newswire-widget>, updated in place as attributes change. It writes two snippets:
// - the element with its height reserved, and the loader beside it (nothing on the page
//   moves when the news arrives), pointing at this release's immutable loader URL with its
//   Subresource Integrity hash;
// - the server-side include: the URL a partner's own server fetches and puts in its page
//   (Declarative Shadow DOM: the news shows with no script), and the same loader tag.
(function () {
  'use strict';
  var form = document.getElementById('options');
  var preview = document.getElementById('preview');
  var snippet = document.getElementById('snippet');
  var include = document.getElementById('include');
  var feed = document.getElementById('feed');
  var release = null;
  // The widget's defaults: attributes equal to these stay out of the snippet.
  var DEFAULTS = {
    theme: 'auto', category: 'Politics', density: 'comfortable', ticker: 'scroll', 'max-briefs': '5',
    'heading-level': '2', refresh: '300', live: 'on', loading: 'lazy',
  };
  // Set on the snippet, not the preview, which stays mounted at once.
  var SNIPPET_ONLY = ['loading'];

  feed.value = new URL('/feed.json', location.href).href;

  // The attributes the form describes, in a stable order, defaults left out.
  function attributes() {
    var url;
    try {
      url = new URL(feed.value || '/feed.json', location.href).href;
    } catch (e) {
      url = new URL('/feed.json', location.href).href;
    }
    var out = [['feed', url]];
    ['theme', 'category', 'density', 'ticker', 'lang', 'title', 'max-briefs', 'heading-level', 'refresh', 'live',
      'review-endpoint', 'fallback-url', 'loading'].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value && value !== DEFAULTS[name]) out.push([name, value]);
    });
    if (document.getElementById('use-accent').checked) out.push(['accent', form.elements.accent.value]);
    var sections = [].filter
      .call(form.querySelectorAll('[name=sections]'), function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    if (sections.length && sections.length < 3) out.push(['sections', sections.join(',')]);
    if (form.elements['show-rating'].checked) out.push(['show-rating', '']);
    return out;
  }

  function escape(value) {
    return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  }

  // Every attribute the form can set; those it leaves out are removed from the preview.
  var NAMES = ['feed', 'theme', 'accent', 'category', 'density', 'ticker', 'lang', 'title', 'max-briefs', 'sections',
    'show-rating', 'heading-level', 'refresh', 'live', 'review-endpoint', 'fallback-url', 'loading'];

  function update() {
    var attrs = attributes();
    // The preview is the same element a partner page gets, changed in place through the
    // partner API (queued until the loader has run): null removes an attribute.
    var options = {};
    NAMES.forEach(function (name) { if (SNIPPET_ONLY.indexOf(name) < 0) options[name] = null; });
    attrs.forEach(function (pair) { if (SNIPPET_ONLY.indexOf(pair[0]) < 0) options[pair[0]] = pair[1]; });
    (window.Newswire = window.Newswire || { q: [] }).q.push(['mount', preview, options]);
    document.getElementById('frame').style.width = document.getElementById('width').value + 'px';
    var src = release ? new URL(release.embed, location.href).href : new URL('/newswire/embed.js', location.href).href;
    // crossorigin: the loader is fetched without the reader's cookies for this server.
    var tag = '<script async src="' + src + '"';
    if (release) tag += '\n  integrity="' + release.integrity + '"';
    tag += ' crossorigin="anonymous"></' + 'script>';
    var element = '<newswire-widget';
    attrs.forEach(function (pair) {
      element += '\n  ' + pair[0] + (pair[1] === '' ? '' : '="' + escape(pair[1]) + '"');
    });
    var height = reserve(attrs) + 'px';
    element += '\n  style="display:block;block-size:' + height + ';--newswire-height:' + height + '"></newswire-widget>';
    snippet.textContent = element + '\n' + tag;
    // The include renders the publisher's own feed only.
    var query = new URLSearchParams();
    attrs.forEach(function (pair) {
      if (pair[0] !== 'feed' && pair[0] !== 'accent' && pair[0] !== 'density' && pair[0] !== 'ticker') query.set(pair[0], pair[1]);
    });
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) query.set('tz', zone);
    var url = new URL('/newswire/include', location.href).href + (query.toString() ? '?' + query : '');
    include.textContent =
      '<!-- Your server fetches ' + url + '\n     and puts the HTML it answers here (cache it for a minute). -->\n' + tag;
  }

  // The height the loader reserves for these attributes at the preview's width, read from
  // the loader itself (its heights are written once, in its CSS): an element with the same
  // attributes but no feed, so it never starts, out of sight at that width.
  function reserve(attrs) {
    var probe = document.createElement('newswire-widget');
    attrs.forEach(function (pair) {
      if (pair[0] !== 'feed') probe.setAttribute(pair[0], pair[1]);
    });
    probe.setAttribute('loading', 'lazy');
    var box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:-10000px;top:0;visibility:hidden;width:' +
      parseInt(document.getElementById('width').value, 10) + 'px';
    box.appendChild(probe);
    document.body.appendChild(box);
    var height = Math.round(probe.getBoundingClientRect().height);
    box.remove();
    return height;
  }

  // The feed URL applies when it is complete (on change), not at every keystroke.
  form.addEventListener('input', function (event) {
    if (event.target !== feed) update();
  });
  form.addEventListener('change', update);
  document.getElementById('width').addEventListener('change', update);
  [['copy', snippet, 'copied'], ['copy-include', include, 'copied-include']].forEach(function (parts) {
    var code = parts[1];
    document.getElementById(parts[0]).addEventListener('click', function () {
      var done = function () {
        document.getElementById(parts[2]).textContent = 'Copied.';
      };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(code.textContent).then(done, function () {
          getSelection().selectAllChildren(code);
        });
      } else {
        getSelection().selectAllChildren(code);
      }
    });
  });

  update();
  // The reserve is read from the loader, once it has defined the element.
  if (window.customElements) customElements.whenDefined('newswire-widget').then(update);
  fetch('/newswire/release.json')
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (json) {
      release = json;
      update();
    })
    .catch(function () {});
})();
