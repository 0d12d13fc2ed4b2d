import type { DefineComponent } from 'vue';
import type { NewswireErrorDetail, NewswireReadyDetail, NewswireReviewDetail } from './newswire.js';

/** `<NewswireWidget origin="…" feed="…" @ready="…">`: every other attribute is passed through. */
export declare const NewswireWidget: DefineComponent<
  { origin: string },
  object,
  object,
  object,
  object,
  object,
  object,
  {
    ready: (detail: NewswireReadyDetail) => void;
    error: (detail: NewswireErrorDetail) => void;
    review: (detail: NewswireReviewDetail) => void;
    interactive: (detail: unknown) => void;
  }
>;
export default NewswireWidget;
