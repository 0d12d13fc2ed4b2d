// Hostile feed text: script and event-handler markup, SVG and MathML mutation payloads,
// template-injection strings, and javascript: URLs with every trick a URL parser forgives
// (whitespace, tabs and newlines inside the scheme, mixed case, entities, control
// characters), plus data:, vbscript: and protocol-relative URLs. Every payload bumps
// `window.__xss` if it ever runs. Written for our tests; see the reliability tests.

const MARKUP = [
  '<script>__xss++</script>',
  '<img src=x onerror=__xss++>',
  '<img src=x onerror="parent.__xss++">',
  '"><img src=x onerror=__xss++>',
  "'><svg/onload=__xss++>",
  '<svg onload=__xss++>',
  '<svg><script>__xss++</script></svg>',
  '<svg><animate onbegin=__xss++ attributeName=x dur=1s>',
  '<svg><a xlink:href="javascript:__xss++"><text x=20 y=20>x</text></a></svg>',
  '<svg><foreignObject><img src=x onerror=__xss++></foreignObject></svg>',
  '<svg><style><img src=x onerror=__xss++></style></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=__xss++>',
  '<math href="javascript:__xss++">x</math>',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=__xss++>',
  '<noscript><p title="</noscript><img src=x onerror=__xss++>">',
  '<iframe srcdoc="<script>parent.__xss++</script>"></iframe>',
  '<iframe src="javascript:parent.__xss++"></iframe>',
  '<body onload=__xss++>',
  '<details open ontoggle=__xss++>',
  '<input autofocus onfocus=__xss++>',
  '<video><source onerror=__xss++></video>',
  '<audio src=x onerror=__xss++>',
  '<object data="javascript:__xss++"></object>',
  '<embed src="javascript:__xss++">',
  '<marquee onstart=__xss++>x</marquee>',
  '<xss onpointerover=__xss++ style="display:block;width:999px;height:999px">x</xss>',
  '<div popover id=p onbeforetoggle=__xss++></div>',
  '<style>@import "javascript:__xss++";</style>',
  '<link rel=stylesheet href="javascript:__xss++">',
  '<meta http-equiv="refresh" content="0;url=javascript:__xss++">',
  '<base href="javascript:__xss++//">',
  '<template><img src=x onerror=__xss++></template>',
  '<div><template shadowrootmode="open"><img src=x onerror=__xss++></template></div>',
  '<scr<script>ipt>__xss++</scr</script>ipt>',
  '<a href="javascript:__xss++">click</a>',
  '&lt;img src=x onerror=__xss++&gt;',
  '&#60;script&#62;__xss++&#60;/script&#62;',
  '\u003cimg src=x onerror=__xss++\u003e',
  '{{constructor.constructor("__xss++")()}}',
  '{{$on.constructor("__xss++")()}}',
  '${__xss++}',
  '#{__xss++}',
  '<%= __xss++ %>',
  '[[${__xss++}]]',
  '{{7*7}}',
  '<div v-html="\'<img src=x onerror=__xss++>\'"></div>',
];

const URLS = [
  'javascript:__xss++',
  'JaVaScRiPt:__xss++',
  ' javascript:__xss++',
  '\tjavascript:__xss++',
  'java\tscript:__xss++',
  'java\nscript:__xss++',
  'java\rscript:__xss++',
  '\u0001javascript:__xss++',
  'javascript&colon;__xss++',
  '&#106;avascript:__xss++',
  '&#x6A;avascript:__xss++',
  'jav&#x09;ascript:__xss++',
  'javascript://%0a__xss++',
  'data:text/html,<script>__xss++</script>',
  'data:text/html;base64,PHNjcmlwdD5fX3hzcysrPC9zY3JpcHQ+',
  'vbscript:msgbox(1)',
  '//evil.example/x',
  'https://ok.example/"onmouseover="__xss++',
];

export const XSS_CORPUS = [...MARKUP, ...URLS];

/** A JSON Feed with a payload in every field that the widget might show or link. */
export function xssFeed() {
  const n = XSS_CORPUS.length;
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: '<img src=x onerror=__xss++> Hostile Wire',
    home_page_url: 'javascript:__xss++',
    authors: [{ name: '<script>__xss++</script>', url: 'javascript:__xss++' }],
    items: XSS_CORPUS.map((payload, i) => {
      const other = XSS_CORPUS[(i + 7) % n];
      const item = {
        id: `x${i} ${payload}`,
        url: payload,
        external_url: XSS_CORPUS[(i + 1) % n],
        title: payload,
        content_html: other,
        date_published: `2024-03-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
        tags: ['Politics', payload],
        authors: [{ name: payload, url: payload }],
        _newswire: { headline: i % 9 === 0 },
      };
      // Odd items carry their text only as HTML, so that path is exercised too.
      if (i % 2 === 0) {
        item.summary = payload;
        item.content_text = other;
      }
      if (i % 5 === 0) delete item.title;
      return item;
    }),
  };
}
