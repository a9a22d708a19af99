// The browser's stand-in for a native folder picker: a path field checked by the server and a
// list of sub-folders to walk. Returns the chosen folder, or null when cancelled.
import type { DockmirrorApi } from '../main/shared/contract.js';
import { clear, field, h } from './dom.js';
import { errorText } from './notify.js';

export function browseForFolder(api: DockmirrorApi, start: string): Promise<string | null> {
  return new Promise((resolve) => {
    const pathInput = h('input', { type: 'text', id: 'folder-path', value: start, attrs: { spellcheck: 'false', autocomplete: 'off' } });
    const message = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
    const entries = h('ul', { class: 'folder-list', attrs: { 'aria-label': 'Folders' } });
    const up = h('button', { type: 'button', text: 'Up one folder' });
    const go = h('button', { type: 'button', text: 'Open' });
    const choose = h('button', { type: 'button', class: 'primary', text: 'Choose this folder' });
    const cancel = h('button', { type: 'button', text: 'Cancel' });
    let parent: string | null = null;
    /** Counts listings asked for: only the newest may fill the dialog, whatever order they return in. */
    let latest = 0;

    const dialog = h(
      'dialog',
      { class: 'folder-dialog', attrs: { 'aria-labelledby': 'folder-title' } },
      h('h2', { id: 'folder-title', text: 'Choose a folder' }),
      h('div', { class: 'row' }, field('Folder', pathInput), go),
      message,
      h('div', { class: 'row' }, up),
      entries,
      h('div', { class: 'row end' }, cancel, choose),
    );

    async function open(path: string): Promise<void> {
      const request = ++latest;
      const typed = pathInput.value;
      try {
        const listing = await api.listDirectory(path);
        if (request !== latest) return;
        // What the person typed while the listing was on its way stays in the field.
        if (pathInput.value === typed) pathInput.value = listing.path;
        parent = listing.parent;
        up.disabled = parent === null;
        clear(entries);
        for (const entry of listing.entries) {
          const button = h('button', { type: 'button', class: 'link', text: entry.name });
          button.addEventListener('click', () => void open(entry.path));
          entries.append(h('li', {}, button));
        }
        if (listing.entries.length === 0) entries.append(h('li', { class: 'muted', text: 'No sub-folders.' }));
        message.textContent = '';
      } catch (error) {
        if (request === latest) message.textContent = errorText(error);
      }
    }

    function finish(value: string | null): void {
      dialog.close();
      dialog.remove();
      resolve(value);
    }

    go.addEventListener('click', () => void open(pathInput.value));
    pathInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') void open(pathInput.value);
    });
    up.addEventListener('click', () => parent !== null && void open(parent));
    cancel.addEventListener('click', () => finish(null));
    choose.addEventListener('click', () => finish(pathInput.value.trim() || null));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    pathInput.focus();
    void open(start);
  });
}

/** A yes/no question in a modal dialog; window.confirm is not available everywhere. */
export function confirmDialog(question: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: 'danger', text: yes });
    const no = h('button', { type: 'button', text: 'Cancel' });
    const dialog = h('dialog', { class: 'confirm-dialog', role: 'alertdialog', attrs: { 'aria-label': question } }, h('p', { text: question }), h('div', { class: 'row end' }, no, ok));
    const finish = (value: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    ok.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
