import type { DetailedHTMLProps, HTMLAttributes, CSSProperties, JSX } from 'react';
import type {
  NewswireAttributes,
  NewswireErrorDetail,
  NewswireReadyDetail,
  NewswireReviewDetail,
  NewswireWidgetElement,
} from './newswire.js';

/** The props of `<NewswireWidget>`: the element's attributes, the server, and callbacks. */
export interface NewswireWidgetProps extends NewswireAttributes {
  /** The origin of the publisher's `newswire-server`. */
  origin: string;
  onReady?: (detail: NewswireReadyDetail, event: CustomEvent<NewswireReadyDetail>) => void;
  onError?: (detail: NewswireErrorDetail, event: CustomEvent<NewswireErrorDetail>) => void;
  onReview?: (detail: NewswireReviewDetail, event: CustomEvent<NewswireReviewDetail>) => void;
  onInteractive?: (detail: Record<string, never> | null, event: CustomEvent) => void;
  className?: string;
  style?: CSSProperties;
  id?: string;
}

export declare function NewswireWidget(props: NewswireWidgetProps): JSX.Element;

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'newswire-widget': DetailedHTMLProps<HTMLAttributes<NewswireWidgetElement>, NewswireWidgetElement> &
        Omit<NewswireAttributes, 'title' | 'lang'>;
    }
  }
}
