// The configurator: every form control is a widget attribute. The preview is the real
// <newswire-widget>, updated in place as attributes change; the snippet points at this
// release's immutable loader URL with its Subresource Integrity hash.
(function () {
  'use strict';
  var form = document.getElementById('options');
  var preview = document.getElementById('preview');
  var snippet = document.getElementById('snippet');
  var feed = document.getElementById('feed');
  var release = null;
  // The widget's defaults: attributes equal to these stay out of the snippet.
  var DEFAULTS = { theme: 'auto', category: 'Politics', density: 'comfortable', ticker: 'scroll', 'max-briefs': '5' };

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
    ['theme', 'category', 'density', 'ticker', 'lang', 'title', 'max-briefs'].forEach(function (name) {
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
  var NAMES = ['feed', 'theme', 'accent', 'category', 'density', 'ticker', 'lang', 'title', 'max-briefs', 'sections', 'show-rating'];

  function update() {
    var attrs = attributes();
    // The preview is the same element a partner page gets, changed in place through the
    // partner API (queued until the loader has run): null removes an attribute.
    var options = {};
    NAMES.forEach(function (name) { options[name] = null; });
    attrs.forEach(function (pair) { options[pair[0]] = pair[1]; });
    (window.Newswire = window.Newswire || { q: [] }).q.push(['mount', preview, options]);
    document.getElementById('frame').style.width = document.getElementById('width').value + 'px';
    var src = release ? new URL(release.embed, location.href).href : new URL('/newswire/embed.js', location.href).href;
    var tag = '<script async src="' + src + '"';
    if (release) tag += '\n  integrity="' + release.integrity + '" crossorigin="anonymous"';
    attrs.forEach(function (pair) {
      tag += '\n  data-' + pair[0] + (pair[1] === '' ? '' : '="' + escape(pair[1]) + '"');
    });
    snippet.textContent = tag + '></' + 'script>';
  }

  // The feed URL applies when it is complete (on change), not at every keystroke.
  form.addEventListener('input', function (event) {
    if (event.target !== feed) update();
  });
  form.addEventListener('change', update);
  document.getElementById('width').addEventListener('change', update);
  document.getElementById('copy').addEventListener('click', function () {
    var done = function () {
      document.getElementById('copied').textContent = 'Copied.';
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(snippet.textContent).then(done, function () {
        getSelection().selectAllChildren(snippet);
      });
    } else {
      getSelection().selectAllChildren(snippet);
    }
  });

  update();
  fetch('/newswire/release.json')
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (json) {
      release = json;
      update();
    })
    .catch(function () {});
})();
