// The page we run on, read the way both stages read it. Pages we do not own may let anyone
// post HTML, and an element's name or id shadows the document's and the window's own
// properties (DOM clobbering): so the document is read only through Document.prototype.
import { BRIEFS, CHOICES, SECTIONS } from './facts.js';

export var doc = document;
export var DP = Document.prototype;

// The document's own property `name`, past any element named after it.
export function own(name) {
  var property = Object.getOwnPropertyDescriptor(DP, name);
  return property && property.get ? property.get.call(doc) : null;
}

export function make(tag) {
  return DP.createElement.call(doc, tag);
}

export function report(err) {
  if (window.console) console.error('Newswire:', err);
}

export function warn(message) {
  if (window.console) console.warn('Newswire: ' + message);
}

// An enumerated attribute's value, lower case; null when it is absent or not one.
export function choice(el, name) {
  var v = (el.getAttribute(name) || '').trim().toLowerCase();
  return CHOICES[name].indexOf(v) >= 0 ? v : null;
}

// `value` as an http(s) URL against `base` (an element's baseURI, which no element of the
// page can shadow, unlike the document's); null for anything else, or for nothing.
export function httpUrl(value, base) {
  try {
    var url = new URL(String(value || '').trim(), base);
    return /^https?:$/.test(url.protocol) && url.href !== base ? url : null;
  } catch (e) {
    return null;
  }
}

// The sections named: any of SECTIONS, comma-separated; null for none.
export function sections(el) {
  var shown = null;
  (el.getAttribute('sections') || '').split(',').forEach(function (name) {
    name = name.trim().toLowerCase();
    if (SECTIONS[name]) (shown = shown || {})[name] = true;
  });
  return shown;
}

// The same rule as the widget's own parsing: a whole number in BRIEFS' range, else its
// default.
export function rows(el) {
  var value = (el.getAttribute('max-briefs') || '').trim();
  var n = /^[0-9]+$/.test(value) ? parseInt(value, 10) : 0;
  return n >= BRIEFS[0] && n <= BRIEFS[1] ? n : BRIEFS[2];
}
