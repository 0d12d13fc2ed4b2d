// A partner's TypeScript, checked against www/newswire.d.ts by `tsc --noEmit --strict`
// (tests/e2e/types.test.mjs). The lines marked @ts-expect-error must stay errors.
import type { NewswireApi, NewswireAttributes, NewswireCall } from '../../www/newswire';

const el = document.createElement('newswire-widget');
el.addEventListener('newswire:ready', (event) => {
  const total: number = event.detail.headlines + event.detail.briefs;
  console.log(total);
});
el.addEventListener('newswire:error', (event) => console.warn(event.detail.message.trim()));
document.addEventListener('newswire:review', (event) => console.log(event.detail.id.toFixed(0)));
el.addEventListener('newswire:interactive', () => console.log(el.hasAttribute('interactive')));

const options: Partial<NewswireAttributes> = { feed: '/feed.json', theme: 'dark', 'max-briefs': 3, 'show-rating': true };
const queued: NewswireCall[] = [['mount', document.body, options], ['refresh']];
window.Newswire = window.Newswire || { q: queued };

const api = window.Newswire as NewswireApi;
const mounted = api.mount(document.getElementById('news'), { feed: 'https://agency.example/feed.json', loading: 'eager' });
api.refresh(mounted);
api.refresh();
const version: string = api.version;
console.log(version);

// @ts-expect-error: not a theme
const wrong: Partial<NewswireAttributes> = { theme: 'neon' };
// @ts-expect-error: a ready event has no message
el.addEventListener('newswire:ready', (event) => event.detail.message);
// @ts-expect-error: the interactive event carries nothing
el.addEventListener('newswire:interactive', (event) => event.detail.headlines);
console.log(wrong);
