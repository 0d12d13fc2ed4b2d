// TypeScript declarations for Newswire: the <newswire-widget> element's attributes, the
// window.Newswire API and the details of the events the element fires. Served beside the
// loader as /newswire/newswire.d.ts.

/** Every attribute of `<newswire-widget>`; `data-` + the same name on the script tag. */
export interface NewswireAttributes {
  /** The JSON Feed URL. Required; relative URLs resolve against the page. */
  feed: string;
  /** `auto` (default) follows the reader's `prefers-color-scheme`, live. */
  theme?: 'auto' | 'light' | 'dark';
  /** A CSS colour for the brand accent; text on it stays readable. */
  accent?: string;
  /** The tag whose items become briefs (default `Politics`). */
  category?: string;
  /** How many briefs, 1–50 (default 5). */
  'max-briefs'?: number | `${number}`;
  /** The reader's language (BCP 47); else the feed's, the page's, the browser's, English. */
  lang?: string;
  /** Where reviews are posted (default `/api/reviews` on the feed's origin). */
  'review-endpoint'?: string;
  /** Seconds between polls, 10–86400, or 0 for none (default 300); a live widget also gets each story from its stream. */
  refresh?: number | `${number}`;
  /** `on` (default): follow the feed's live stream when its server offers one; `off`: only poll. */
  live?: 'on' | 'off';
  /** Where the fallback link points when the widget cannot run. */
  'fallback-url'?: string;
  /** Shows the public review summary by the prompt. */
  'show-rating'?: boolean | '' | 'false';
  /** The level of the widget's heading, 1–6 (default 2). */
  'heading-level'?: 1 | 2 | 3 | 4 | 5 | 6 | `${1 | 2 | 3 | 4 | 5 | 6}`;
  /** The heading text instead of the feed's title. */
  title?: string;
  /** Any of `headlines`, `briefs`, `review`, comma-separated (default all three). */
  sections?: string;
  density?: 'comfortable' | 'compact';
  ticker?: 'scroll' | 'static';
  /** `lazy` (default) mounts within 200 px of the viewport; `eager` at once. */
  loading?: 'lazy' | 'eager';
}

/** `newswire:ready`: the news is on screen. */
export interface NewswireReadyDetail {
  headlines: number;
  briefs: number;
}

/** `newswire:error`: the widget cannot show the news; the reader sees `message`. */
export interface NewswireErrorDetail {
  message: string;
}

/** `newswire:review`: a review was stored under `id`. */
export interface NewswireReviewDetail {
  id: number;
}

/** `newswire:interactive`: the widget's wasm has taken over; it carries no detail. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NewswireInteractiveDetail {}

/**
 * The element. Its `state` attribute is `loading`, `ready` (the news is on screen: for the
 * publisher's own feed, the server's HTML, before any wasm) or `error`; the boolean
 * `interactive` attribute is set once the wasm runs it (hydrated, or rendered on the client).
 */
export interface NewswireWidgetElement extends HTMLElement {
  addEventListener<K extends keyof NewswireEventMap>(
    type: K,
    listener: (this: NewswireWidgetElement, event: NewswireEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

export interface NewswireEventMap extends HTMLElementEventMap {
  'newswire:ready': CustomEvent<NewswireReadyDetail>;
  'newswire:error': CustomEvent<NewswireErrorDetail>;
  'newswire:review': CustomEvent<NewswireReviewDetail>;
  'newswire:interactive': CustomEvent<NewswireInteractiveDetail>;
}

/** A call queued before the loader ran: `['mount', element, options]` or `['refresh']`. */
export type NewswireCall =
  | ['mount', Element | null, Partial<NewswireAttributes>]
  | ['refresh', NewswireWidgetElement?];

/** `window.Newswire`. */
export interface NewswireApi {
  /** The widget's version. */
  readonly version: string;
  /**
   * Makes `target` a widget (or appends one to it) with `options` as attributes, and
   * returns the element. `true` sets a boolean attribute; `false` or `null` removes one.
   */
  mount(target: Element | null, options: Partial<NewswireAttributes>): NewswireWidgetElement;
  /** Fetches the feed again now: one widget, or every widget on the page. */
  refresh(element?: NewswireWidgetElement): void;
  /** Calls made before the loader ran wait here; after it, `push` runs them at once. */
  q: NewswireCall[] | { push(call: NewswireCall): void };
}

declare global {
  interface Window {
    Newswire?: NewswireApi | { q: NewswireCall[] };
  }
  interface HTMLElementTagNameMap {
    'newswire-widget': NewswireWidgetElement;
  }
  interface DocumentEventMap {
    'newswire:ready': CustomEvent<NewswireReadyDetail>;
    'newswire:error': CustomEvent<NewswireErrorDetail>;
    'newswire:review': CustomEvent<NewswireReviewDetail>;
    'newswire:interactive': CustomEvent<NewswireInteractiveDetail>;
  }
}
