// <NewswireWidget> for Vue 3: the element, its attributes passed through, and the
// `newswire:*` events emitted as `ready`, `error`, `review` and `interactive` with the detail.
import { defineComponent, h, onMounted, ref, watch } from 'vue';
import { attributes, defineOn, EVENTS } from './index.js';

export const NewswireWidget = defineComponent({
  name: 'NewswireWidget',
  inheritAttrs: false,
  props: {
    origin: { type: String, required: true },
  },
  emits: ['ready', 'error', 'review', 'interactive'],
  setup(props, { attrs, emit }) {
    const element = ref(null);
    // A loader that fails to load is emitted as `error`, with `{message}`, like the widget's own.
    onMounted(() => defineOn(element.value, { origin: props.origin }));
    watch(() => props.origin, (origin) => defineOn(element.value, { origin }));
    const on = {};
    for (const [name, type] of Object.entries(EVENTS)) {
      // Vue adds `on` + the event's name as a listener for exactly that name.
      on['on' + type[0].toUpperCase() + type.slice(1)] = (event) => emit(name, event.detail);
    }
    return () => {
      const { class: cls, style, ...rest } = attrs;
      return h('newswire-widget', { ref: element, class: cls, style, ...attributes(rest), ...on });
    };
  },
});

export default NewswireWidget;
