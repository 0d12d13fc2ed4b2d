// <NewswireWidget> for React: the element, its attributes as props, and the `newswire:*`
// events as callbacks (onReady, onError, onReview, onInteractive) with the event's detail;
// a loader that fails to load reaches onError too, with `{message}`.
import { createElement, useEffect, useRef } from 'react';
import { attributes, defineOn, EVENTS } from './index.js';

const CALLBACKS = { onReady: EVENTS.ready, onError: EVENTS.error, onReview: EVENTS.review, onInteractive: EVENTS.interactive };

export function NewswireWidget(props) {
  const { origin, onReady, onError, onReview, onInteractive, className, style, id, ...rest } = props;
  const ref = useRef(null);
  // The latest callbacks, read when an event comes: listeners are added once.
  const latest = useRef({});
  latest.current = { onReady, onError, onReview, onInteractive };
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const off = Object.entries(CALLBACKS).map(([callback, type]) => {
      const listener = (event) => {
        const f = latest.current[callback];
        if (f) f(event.detail, event);
      };
      el.addEventListener(type, listener);
      return () => el.removeEventListener(type, listener);
    });
    return () => off.forEach((remove) => remove());
  }, []);
  // After the listeners, so that a loader that fails reaches onError.
  useEffect(() => {
    defineOn(ref.current, { origin });
  }, [origin]);
  return createElement('newswire-widget', { ref, className, style, id, ...attributes(rest) });
}
