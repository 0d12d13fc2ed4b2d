export * from './newswire.js';

/** What `define` needs: the publisher's server. */
export interface DefineOptions {
  /** The origin of the publisher's `newswire-server`, e.g. `https://news.example`. */
  origin: string;
}

/** Loads the pinned loader from `origin` once, and resolves when the element is defined. */
export declare function define(options: DefineOptions): Promise<CustomElementConstructor | undefined>;

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
