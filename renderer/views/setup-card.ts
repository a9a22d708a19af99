// The one-liner that sets up a LAN host, with the sha256 of the very script the mirror serves at
// that address (built here from the same generator), the form that checks it before running, and
// where Docker Desktop takes the JSON instead. Plain HTTP on a LAN can be tampered with; the hash
// lets a careful person check what they run.
import type { AppState } from '../../main/shared/contract.js';
import { checkedOneLiner, oneLiner, runtimeScript, setupRuntimes, type SetupRuntime } from '../../main/shared/setup/runtime-scripts.js';
import { scriptInputs, type ScriptInputs } from '../../main/shared/setup/script-inputs.js';
import { daemonJsonSnippet } from '../../main/shared/snippets.js';
import { copyButton } from '../copy-button.js';
import { clear, field, h } from '../dom.js';

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface SetupCard {
  element: HTMLElement;
  show(mirrorUrl: string | undefined, state: AppState): void;
}

export function setupCard(): SetupCard {
  const runtimeSelect = h('select', { id: 'setup-runtime' });
  for (const runtime of setupRuntimes) runtimeSelect.append(h('option', { value: runtime, text: runtime }));
  const lines = h('div', { class: 'setup-lines' });
  let shown: ({ url: string } & ScriptInputs) | null = null;
  let generation = 0;

  async function render(): Promise<void> {
    const current = ++generation;
    clear(lines);
    if (!shown) {
      lines.append(h('p', { class: 'muted', text: 'This machine has no LAN address yet; connect it to a network first.' }));
      return;
    }
    const runtime = runtimeSelect.value as SetupRuntime;
    const script = runtimeScript(runtime, { mirrorUrl: shown.url, registries: shown.registries, loginRequired: shown.loginRequired });
    const hash = await sha256Hex(script);
    if (current !== generation) return;
    const plain = oneLiner(runtime, shown.url);
    const checked = checkedOneLiner(runtime, shown.url, hash);
    lines.append(
      h('div', { class: 'row' }, h('h4', { text: 'Run on the host' }), copyButton('the setup line', () => plain)),
      h('pre', { class: 'snippet', id: 'setup-one-liner', text: plain }),
      h('p', {}, 'Script sha256: ', h('code', { id: 'setup-sha256', text: hash })),
      h('div', { class: 'row' }, h('h4', { text: 'Or check the script before it runs' }), copyButton('the checked setup line', () => checked)),
      h('pre', { class: 'snippet', id: 'setup-checked', text: checked }),
      h('p', { class: 'hint', text: 'Add --restart after "sh s" (or "sudo sh -s -- --restart" for the short line) to restart the runtime; --root DIR writes under DIR, for image builds. Running it again changes nothing.' }),
    );
  }

  runtimeSelect.addEventListener('change', () => void render());

  const desktopJson = h('pre', { class: 'snippet', id: 'setup-desktop-json' });
  const element = h(
    'section',
    { class: 'card setup-card', attrs: { 'aria-labelledby': 'setup-heading' } },
    h('h3', { id: 'setup-heading', text: 'Set up a host with one line' }),
    field('Runtime on the host', runtimeSelect),
    lines,
    h('h4', { text: 'Docker Desktop on Windows or macOS' }),
    h('p', { class: 'hint', text: 'There is no script: open Docker Desktop, Settings → Docker Engine, add the "registry-mirrors" line below to the JSON there (keep what it already holds), then Apply & restart.' }),
    desktopJson,
  );

  return {
    element,
    show(mirrorUrl, state) {
      // The same inputs the mirror's /setup routes use (script-inputs.ts), so the hash is the served script's.
      const next = mirrorUrl ? { url: mirrorUrl, ...scriptInputs(state.mirror, state.settings.clientAuth.enabled) } : null;
      desktopJson.textContent = mirrorUrl ? daemonJsonSnippet([mirrorUrl]) : '';
      if (JSON.stringify(next) === JSON.stringify(shown)) return;
      shown = next;
      void render();
    },
  };
}
