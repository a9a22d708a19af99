// Settings → Registries: which registries the mirror serves (add, remove, turn on or off, point
// at another upstream) and each one's account in the keychain (save, test, delete). The window
// only ever learns "saved for alice", never a token.
import type { AppState, RegistrySetting } from '../../main/shared/contract.js';
import { clear, h } from '../dom.js';
import { notify, run } from '../notify.js';
import type { Context } from '../view.js';

export function registriesTable(ctx: Context): { element: HTMLElement; update(state: AppState): void } {
  const table = h('table', { class: 'registries-settings', attrs: { 'aria-label': 'Registries the mirror serves' } });
  const newName = h('input', { type: 'text', id: 'registry-new-name', attrs: { placeholder: 'nvcr.io', autocomplete: 'off', 'aria-label': 'New registry name' } });
  const newUpstream = h('input', { type: 'text', id: 'registry-new-upstream', attrs: { placeholder: 'https://nvcr.io (default)', autocomplete: 'off', 'aria-label': 'New registry upstream' } });
  const add = h('button', { type: 'button', text: 'Add registry' });
  const save = h('button', { type: 'button', class: 'primary', text: 'Save registries' });
  let rows: RegistrySetting[] = [];
  let shown = '';

  const saveList = (): void => {
    void run(save, () => ctx.api.updateSettings({ registries: rows }), 'Registries saved.').then((s) => s && ctx.apply(s));
  };
  add.addEventListener('click', () => {
    const name = newName.value.trim().toLowerCase();
    if (!name) return notify('Type the registry name clients use, such as nvcr.io.', 'error');
    if (rows.some((r) => r.name === name)) return notify(`${name} is already listed.`, 'error');
    rows = [...rows, { name, upstream: newUpstream.value.trim() || null, enabled: true }];
    newName.value = '';
    newUpstream.value = '';
    render(ctx.state());
  });
  save.addEventListener('click', saveList);

  function credentialCells(registry: string, state: AppState): HTMLElement {
    const saved = registry === 'docker.io' ? state.credentials.savedFor : (state.credentials.registries?.[registry] ?? null);
    const label = (what: string) => ({ 'aria-label': `${what} for ${registry}` });
    const user = h('input', { type: 'text', attrs: { autocomplete: 'off', placeholder: saved ?? 'user', ...label('User name') } });
    const token = h('input', { type: 'password', attrs: { autocomplete: 'off', placeholder: 'token', ...label('Token') } });
    const store = h('button', { type: 'button', text: 'Save', attrs: label('Save credentials') });
    const test = h('button', { type: 'button', text: 'Test', attrs: label('Test credentials') });
    const remove = h('button', { type: 'button', class: 'danger', text: 'Delete', attrs: label('Delete credentials') });
    test.disabled = remove.disabled = saved === null;
    store.disabled = !state.credentials.keychainAvailable;
    store.addEventListener('click', () => {
      if (!user.value.trim() || !token.value) return notify(`Enter a user name and a token for ${registry}.`, 'error');
      void run(store, () => ctx.api.saveCredentials(user.value.trim(), token.value, registry), 'Saved to the keychain.').then((status) => {
        token.value = '';
        if (status) ctx.apply({ ...ctx.state(), credentials: status });
      });
    });
    test.addEventListener('click', () => void run(test, () => ctx.api.testCredentials(registry)).then((result) => result && notify(result.message, result.ok ? 'info' : 'error')));
    remove.addEventListener('click', () => void run(remove, () => ctx.api.deleteCredentials(registry), 'Credentials deleted.').then((status) => status && ctx.apply({ ...ctx.state(), credentials: status })));
    return h('td', {}, h('span', { class: 'muted', text: saved ? `saved for ${saved} ` : 'anonymous ' }), user, token, store, test, remove);
  }

  function render(state: AppState): void {
    clear(table);
    table.append(h('thead', {}, h('tr', {}, ...['Registry', 'On', 'Upstream', 'Account', ''].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))));
    const body = h('tbody');
    for (const [index, registry] of rows.entries()) {
      const on = h('input', { type: 'checkbox', attrs: { 'aria-label': `Serve ${registry.name}` } });
      on.checked = registry.enabled;
      on.addEventListener('change', () => (rows[index] = { ...registry, enabled: on.checked }));
      const dockerHub = registry.name === 'docker.io';
      const upstream = h('input', { type: 'text', attrs: { 'aria-label': `Upstream of ${registry.name}`, placeholder: dockerHub ? 'the Upstream setting' : `https://${registry.name}` } });
      upstream.value = registry.upstream ?? '';
      upstream.disabled = dockerHub;
      upstream.addEventListener('change', () => (rows[index] = { ...rows[index]!, upstream: upstream.value.trim() || null }));
      const drop = h('button', { type: 'button', class: 'small', text: 'Remove', attrs: { 'aria-label': `Remove ${registry.name}` } });
      drop.disabled = dockerHub;
      drop.addEventListener('click', () => {
        rows = rows.filter((r) => r.name !== registry.name);
        render(ctx.state());
      });
      body.append(h('tr', { class: 'registry-setting' }, h('th', { text: registry.name, attrs: { scope: 'row' } }), h('td', {}, on), h('td', {}, upstream), credentialCells(registry.name, state), h('td', {}, drop)));
    }
    table.append(body);
  }

  const element = h('section', { class: 'card' }, h('h3', { text: 'Registries' }), table, h('div', { class: 'row' }, newName, newUpstream, add), h('div', { class: 'row' }, save));
  return {
    element,
    update(state: AppState) {
      // Refilled only when the stored list or the accounts changed, so edits in progress stay.
      const key = JSON.stringify([state.settings.registries, state.credentials]);
      if (key === shown) return;
      shown = key;
      rows = state.settings.registries.map((r) => ({ ...r }));
      render(state);
    },
  };
}
