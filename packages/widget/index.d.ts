export * from './newswire.js';

/** What `define` needs: the publisher's server. */
export interface DefineOptions {
  /** The origin of the publisher's `newswire-server`, e.g. `https://news.example`. */
  origin: string;
  /** How long to wait for the element to be defined, in ms (default 15000). */
  timeout?: number;
}

/** How long `define()` waits by default, in ms. */
export declare const DEFINE_TIMEOUT: number;

/**
 * Loads the pinned loader from `origin` once, and resolves when the element is defined.
 * Rejects, saying why, when the loader cannot load or does not define the element in time;
 * a later call tries again.
 */
export declare function define(options: DefineOptions): Promise<CustomElementConstructor | undefined>;

/** `define()`, reporting a failure as a `newswire:error` event with `{message}` on `element`. */
export declare function defineOn(element: Element | null, options: DefineOptions): Promise<CustomElementConstructor | undefined>;

/** The release this package pins. */
export declare const release: {
  readonly version: string;
  readonly release: string;
  readonly embed: string;
  readonly integrity: string;
};

/** The `newswire:*` event names, by the wrappers' callback names. */
export declare const EVENTS: {
  readonly ready: 'newswire:ready';
  readonly error: 'newswire:error';
  readonly review: 'newswire:review';
  readonly interactive: 'newswire:interactive';
};

/** Attribute values as the element reads them. */
export declare function attributes(values: Record<string, unknown>): Record<string, string>;
