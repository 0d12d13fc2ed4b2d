// Defines <newswire-widget> on the page from the publisher's server. The package carries no
// widget code of its own: the loader, the wasm, the glue and the stylesheet all come from
// the publisher's server at the release this package was built against, the loader checked
// by Subresource Integrity and the rest by the hashes stamped into it. A partner's build can
// therefore never ship a stale copy of the widget.
import { RELEASE } from './release.js';

/** The release this package pins: its folder, its loader and the loader's SRI hash. */
export const release = RELEASE;

/** How long `define()` waits for the loader to define the element, by default. */
export const DEFINE_TIMEOUT = 15000;

// The load in progress, shared by every call until it settles.
let pending = null;

/**
 * Loads the pinned loader from `origin` (the publisher's server, e.g. `https://news.example`)
 * once per page, and resolves when `<newswire-widget>` is defined. Safe to call from every
 * component that renders a widget, and a no-op where there is no document (server rendering).
 *
 * It rejects, with a message that says why, when the loader cannot load (offline, refused by
 * the page's Content-Security-Policy, or a file that is not the pinned release, whose
 * integrity check fails) or has not defined the element within `timeout` ms. The failed
 * script is taken out of the page, so a later call tries again; a loader that arrives after
 * all defines the element once, as a loader always does.
 */
export function define({ origin, timeout = DEFINE_TIMEOUT } = {}) {
  if (typeof document === 'undefined' || typeof customElements === 'undefined') {
    return Promise.resolve(undefined);
  }
  if (!origin) return Promise.reject(new Error('newswire-widget: define() needs { origin }'));
  const defined = customElements.get('newswire-widget');
  if (defined) return Promise.resolve(defined);
  if (pending) return pending;
  let src;
  try {
    src = new URL(RELEASE.embed, origin).href;
  } catch {
    return Promise.reject(new Error(`newswire-widget: define() needs an origin such as https://news.example, not ${JSON.stringify(String(origin))}`));
  }
  const attempt = new Promise((resolve, reject) => {
    const script = document.createElement('script');
    let timer;
    let settled = false;
    const settle = (error, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A later attempt may be under way by now: only this one's own place is cleared.
      if (pending === attempt) pending = null;
      if (error) {
        script.remove();
        reject(new Error(`newswire-widget: the widget's loader ${src} ${error}`));
      } else resolve(value);
    };
    script.addEventListener('error', () =>
      settle('did not load: the server is unreachable, the page\'s Content-Security-Policy refuses it, or it is not the release this package pins (its integrity check failed)'),
    );
    // A deadline a timer can keep (an infinite one, or one past 24 days, is none).
    if (Number.isFinite(timeout) && timeout >= 0 && timeout < 2 ** 31) {
      timer = setTimeout(() => settle(`did not define <newswire-widget> within ${timeout / 1000} s`), timeout);
    }
    customElements.whenDefined('newswire-widget').then((ctor) => settle(null, ctor));
    script.src = src;
    script.integrity = RELEASE.integrity;
    script.crossOrigin = 'anonymous';
    script.async = true;
    script.dataset.newswirePackage = RELEASE.release;
    document.head.appendChild(script);
  });
  pending = attempt;
  return pending;
}

/**
 * `define()` for the element `element`, as the wrappers use it: a failure is reported the way
 * the widget reports its own, a `newswire:error` event on the element with `{message}`, so
 * that it reaches the wrapper's error callback or event. Resolves either way.
 */
export function defineOn(element, options) {
  return define(options).catch((err) => {
    if (element && element.isConnected) {
      element.dispatchEvent(new CustomEvent(EVENTS.error, { detail: { message: err.message } }));
    }
    return undefined;
  });
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
