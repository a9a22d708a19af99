// Connect hosts: a snippet per container runtime (with its file and restart command), a
// daemon.json merge that keeps the user's other settings, and which hosts already pull through
// (one list: the connected hosts from the app state, hosts-table.ts).
import type { AppState } from '../../main/shared/contract.js';
import { hostSnippets, mergeDaemonJson } from '../../main/shared/snippets.js';
import { copyButton } from '../copy-button.js';
import { clear, field, h } from '../dom.js';
import { errorText } from '../notify.js';
import type { Context, View } from '../view.js';
import { renderHostsTable } from './hosts-table.js';
import { setupCard } from './setup-card.js';

export function connectView(ctx: Context): View {
  const addressSelect = h('select', { id: 'connect-address' });
  const snippetsBox = h('div', { class: 'snippets' });
  const existing = h('textarea', {
    id: 'daemon-existing',
    attrs: { rows: '8', spellcheck: 'false', placeholder: '{\n  "log-driver": "json-file"\n}' },
  });
  const fileInput = h('input', { type: 'file', id: 'daemon-file', attrs: { accept: '.json,application/json,text/plain' } });
  const merge = h('button', { type: 'button', class: 'primary', text: 'Merge' });
  const mergeError = h('p', { class: 'error', role: 'alert', hidden: true });
  const mergedText = h('pre', { class: 'snippet', id: 'daemon-merged', attrs: { 'aria-label': 'Merged daemon.json' } });
  const mergedNote = h('p', { class: 'muted' });
  const mergedBox = h('div', { hidden: true }, h('div', { class: 'row' }, h('h4', { text: 'Merged /etc/docker/daemon.json' }), copyButton('the merged daemon.json', () => mergedText.textContent ?? '')), mergedNote, mergedText);
  const setup = setupCard();
  const hostsTable = h('table', { class: 'hosts', id: 'connected-hosts' });
  let lastState: AppState | null = null;
  let urls: string[] = [];
  let registries: string[] = ['docker.io'];
  let shownFor = '';

  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (file) existing.value = await file.text();
  });
  merge.addEventListener('click', () => {
    const result = mergeDaemonJson(existing.value, selectedUrls());
    mergeError.hidden = result.ok;
    mergedBox.hidden = !result.ok;
    if (!result.ok) {
      mergeError.textContent = result.error.message;
      selectPosition(result.error.line, result.error.column);
      return;
    }
    mergedText.textContent = result.text;
    mergedNote.textContent = !result.changed
      ? 'The mirror is already set up in this file; nothing to change.'
      : result.alreadyPresent.length
        ? `Added ${result.added.join(', ')}; ${result.alreadyPresent.join(', ')} was already listed. Your other settings are kept.`
        : `Added ${result.added.join(', ')}. Your other settings are kept.`;
  });
  addressSelect.addEventListener('change', () => {
    renderSnippets();
    if (lastState) setup.show(selectedUrls()[0], lastState);
  });

  function selectPosition(line: number, column: number): void {
    const lines = existing.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
    offset += column - 1;
    existing.focus();
    existing.setSelectionRange(offset, Math.min(existing.value.length, offset + 1));
  }

  function selectedUrls(): string[] {
    return addressSelect.value ? [addressSelect.value] : urls.slice(0, 1);
  }

  function renderSnippets(): void {
    clear(snippetsBox);
    const chosen = selectedUrls();
    if (chosen.length === 0) {
      snippetsBox.append(h('p', { class: 'muted', text: 'This machine has no LAN address yet; connect it to a network first.' }));
      return;
    }
    let snippets;
    try {
      snippets = hostSnippets(chosen, registries);
    } catch (error) {
      snippetsBox.append(h('p', { class: 'error', text: errorText(error) }));
      return;
    }
    for (const snippet of snippets) {
      const headingId = `snippet-${snippet.id}`;
      snippetsBox.append(
        h(
          'section',
          { class: 'card snippet-card', attrs: { 'aria-labelledby': headingId } },
          h('div', { class: 'row' }, h('h3', { id: headingId, text: snippet.title }), copyButton(`the ${snippet.title} snippet`, () => snippet.text)),
          h('p', {}, 'File: ', h('code', { text: snippet.filePath })),
          h('pre', { class: 'snippet', text: snippet.text, tabIndex: 0, attrs: { 'aria-label': `${snippet.title} configuration` } }),
          h('div', { class: 'row' }, h('span', {}, 'Then run: ', h('code', { text: snippet.restartCommand })), copyButton(`the ${snippet.title} restart command`, () => snippet.restartCommand)),
          h('p', { class: 'hint', text: snippet.note }),
        ),
      );
    }
  }

  const element = h(
    'div',
    { class: 'view connect' },
    h('header', { class: 'view-head' }, h('h2', { text: 'Connect hosts' })),
    h('section', { class: 'card' }, field('Address the hosts use', addressSelect, 'Pick the address on the network your Docker hosts are on.')),
    setup.element,
    h('section', { class: 'card' }, h('h3', { text: 'Connected hosts' }), hostsTable),
    snippetsBox,
    h(
      'section',
      { class: 'card merge' },
      h('h3', { text: 'Already have a daemon.json?' }),
      h('p', { class: 'hint', text: 'Paste it (or load it) and get it back with the mirror added; every other setting stays as it is.' }),
      field('Your current /etc/docker/daemon.json', existing),
      h('div', { class: 'row' }, field('Or load the file', fileInput), merge),
      mergeError,
      mergedBox,
    ),
  );

  return {
    id: 'connect',
    title: 'Connect hosts',
    element,
    update(state: AppState) {
      lastState = state;
      renderHostsTable(hostsTable, state.connectedHosts ?? []);
      urls = state.addresses.map((a) => a.mirrorUrl);
      setup.show(selectedUrls()[0], state);
      registries = state.settings.registries.filter((r) => r.enabled).map((r) => r.name);
      const key = `${urls.join(' ')}|${registries.join(' ')}`;
      if (key === shownFor) return;
      shownFor = key;
      const previous = addressSelect.value;
      clear(addressSelect);
      for (const a of state.addresses) addressSelect.append(h('option', { value: a.mirrorUrl, text: `${a.mirrorUrl} (${a.interfaceName})` }));
      if (urls.includes(previous)) addressSelect.value = previous;
      renderSnippets();
    },
  };
}
