// Defines <newswire-widget> on the page from the publisher's server. The package carries no
// widget code of its own: the loader, the wasm, the glue and the stylesheet all come from
// the publisher's server at the release this package was built against, the loader checked
// by Subresource Integrity and the rest by the hashes stamped into it. A partner's build can
// therefore never ship a stale copy of the widget.
import { RELEASE } from './release.js';

/** The release this package pins: its folder, its loader and the loader's SRI hash. */
export const release = RELEASE;

/**
 * Loads the pinned loader from `origin` (the publisher's server, e.g. `https://news.example`)
 * once per page, and resolves when `<newswire-widget>` is defined. Safe to call from every
 * component that renders a widget, and a no-op where there is no document (server rendering).
 */
export function define({ origin } = {}) {
  if (typeof document === 'undefined' || typeof customElements === 'undefined') {
    return Promise.resolve(undefined);
  }
  if (!origin) return Promise.reject(new Error('newswire-widget: define() needs { origin }'));
  if (!customElements.get('newswire-widget') && !document.querySelector('script[data-newswire-package]')) {
    const script = document.createElement('script');
    script.src = new URL(RELEASE.embed, origin).href;
    script.integrity = RELEASE.integrity;
    script.crossOrigin = 'anonymous';
    script.async = true;
    script.dataset.newswirePackage = RELEASE.release;
    document.head.appendChild(script);
  }
  return customElements.whenDefined('newswire-widget');
}

/** The `newswire:*` events, by the name the wrappers give their callbacks. */
export const EVENTS = {
  ready: 'newswire:ready',
  error: 'newswire:error',
  review: 'newswire:review',
  interactive: 'newswire:interactive',
};

/** Attribute values as the element reads them: strings; `true` as present, `false` and null as absent. */
export function attributes(values) {
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === false || value === null || value === undefined) continue;
    out[name] = value === true ? '' : String(value);
  }
  return out;
}
