import { copyText } from './clipboard.js';
import { h } from './dom.js';
import { notify } from './notify.js';

/** A Copy button whose accessible name says what it copies. */
export function copyButton(what: string, text: () => string): HTMLButtonElement {
  return h('button', {
    class: 'copy',
    type: 'button',
    text: 'Copy',
    attrs: { 'aria-label': `Copy ${what}` },
    on: {
      click: () => {
        void copyText(text()).then((ok) => notify(ok ? `Copied ${what}.` : `Could not copy ${what}; select it and copy by hand.`, ok ? 'info' : 'error'));
      },
    },
  });
}
