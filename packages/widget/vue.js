// <NewswireWidget> for Vue 3: the element, its attributes passed through, and the
// `newswire:*` events emitted as `ready`, `error`, `review` and `interactive` with the detail.
import { defineComponent, h, onMounted, watch } from 'vue';
import { attributes, define, EVENTS } from './index.js';

export const NewswireWidget = defineComponent({
  name: 'NewswireWidget',
  inheritAttrs: false,
  props: {
    origin: { type: String, required: true },
  },
  emits: ['ready', 'error', 'review', 'interactive'],
  setup(props, { attrs, emit }) {
    onMounted(() => define({ origin: props.origin }));
    watch(() => props.origin, (origin) => define({ origin }));
    const on = {};
    for (const [name, type] of Object.entries(EVENTS)) {
      // Vue adds `on` + the event's name as a listener for exactly that name.
      on['on' + type[0].toUpperCase() + type.slice(1)] = (event) => emit(name, event.detail);
    }
    return () => {
      const { class: cls, style, ...rest } = attrs;
      return h('newswire-widget', { class: cls, style, ...attributes(rest), ...on });
    };
  },
});

export default NewswireWidget;
