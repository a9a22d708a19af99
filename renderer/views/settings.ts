// Settings: how the mirror listens, who may use it, how long tags live, the size cap, Docker Hub
// credentials (kept in the keychain; the window only ever sees "saved for alice") and login start.
import type { AppSettings, AppState } from '../../main/shared/contract.js';
import { clear, field, h } from '../dom.js';
import { notify, run } from '../notify.js';
import type { Context, View } from '../view.js';
import { registriesTable } from './registries-table.js';

const gb = 1_000_000_000;

export function settingsView(ctx: Context): View {
  const port = h('input', { type: 'number', id: 'set-port', attrs: { min: '1', max: '65535' } });
  const listen = h('select', { id: 'set-listen' });
  const allowlist = h('textarea', { id: 'set-allowlist', attrs: { rows: '4', spellcheck: 'false' } });
  const ttl = h('input', { type: 'number', id: 'set-ttl', attrs: { min: '0' } });
  const cap = h('input', { type: 'number', id: 'set-cap', attrs: { min: '0', step: '0.5' } });
  const floor = h('input', { type: 'number', id: 'set-min-free', attrs: { min: '0', step: '0.1' } });
  const authOn = h('input', { type: 'checkbox', id: 'set-auth' });
  const authUser = h('input', { type: 'text', id: 'set-auth-user', attrs: { autocomplete: 'off' } });
  const authPassword = h('input', { type: 'password', id: 'set-auth-password', attrs: { autocomplete: 'new-password' } });
  const authSave = h('button', { type: 'button', text: 'Set password' });
  const launch = h('input', { type: 'checkbox', id: 'set-launch' });
  const startOnLaunch = h('input', { type: 'checkbox', id: 'set-start' });
  const save = h('button', { type: 'button', class: 'primary', text: 'Save settings' });
  const registries = registriesTable(ctx);

  const hubUser = h('input', { type: 'text', id: 'hub-user', attrs: { autocomplete: 'off' } });
  const hubToken = h('input', { type: 'password', id: 'hub-token', attrs: { autocomplete: 'off' } });
  const hubSave = h('button', { type: 'button', text: 'Save to keychain' });
  const hubTest = h('button', { type: 'button', text: 'Test' });
  const hubDelete = h('button', { type: 'button', class: 'danger', text: 'Delete' });
  const hubStatus = h('p', { class: 'muted', attrs: { 'aria-live': 'polite' } });

  save.addEventListener('click', () => {
    const patch = readForm();
    if (typeof patch === 'string') return notify(patch, 'error');
    void run(save, () => ctx.api.updateSettings(patch), 'Settings saved.').then((s) => s && ctx.apply(s));
  });
  authSave.addEventListener('click', () => {
    if (!authPassword.value) return notify('Type the password LAN hosts will log in with.', 'error');
    void run(authSave, () => ctx.api.setClientPassword(authPassword.value), 'Password saved to the keychain.').then((s) => {
      authPassword.value = '';
      if (s) ctx.apply(s);
    });
  });
  hubSave.addEventListener('click', () => {
    if (!hubUser.value.trim() || !hubToken.value) return notify('Enter the Docker Hub user name and an access token.', 'error');
    void run(hubSave, () => ctx.api.saveCredentials(hubUser.value.trim(), hubToken.value), 'Saved to the keychain.').then((status) => {
      hubToken.value = '';
      if (status) ctx.apply({ ...ctx.state(), credentials: status });
    });
  });
  hubTest.addEventListener('click', () => {
    void run(hubTest, () => ctx.api.testCredentials()).then((result) => result && notify(result.message, result.ok ? 'info' : 'error'));
  });
  hubDelete.addEventListener('click', () => {
    void run(hubDelete, () => ctx.api.deleteCredentials(), 'Credentials deleted.').then((status) => status && ctx.apply({ ...ctx.state(), credentials: status }));
  });

  function readForm(): Partial<AppSettings> | string {
    const portValue = Number(port.value);
    if (!Number.isInteger(portValue) || portValue < 1 || portValue > 65535) return 'The port must be a whole number from 1 to 65535.';
    const ttlValue = Number(ttl.value);
    if (!Number.isFinite(ttlValue) || ttlValue < 0) return 'The tag lifetime must be zero or more seconds.';
    const capValue = cap.value.trim() === '' ? null : Math.round(Number(cap.value) * gb);
    if (capValue !== null && !(capValue >= 0)) return 'The size cap must be a number of GB, or empty for none.';
    const floorValue = Math.round(Number(floor.value.trim() || '0') * gb);
    if (!(floorValue >= 0)) return 'The free space to keep must be a number of GB, 0 or more.';
    return {
      port: portValue,
      listenHost: listen.value,
      allowlist: allowlist.value.split(/[\s,]+/).filter(Boolean),
      tagTtlSeconds: ttlValue,
      maxSizeBytes: capValue === 0 ? null : capValue,
      minFreeBytes: floorValue,
      clientAuth: { enabled: authOn.checked, username: authUser.value.trim() },
      launchAtLogin: launch.checked,
      startMirrorOnLaunch: startOnLaunch.checked,
    };
  }

  const element = h(
    'div',
    { class: 'view settings' },
    h('header', { class: 'view-head' }, h('h2', { text: 'Settings' }), save),
    h(
      'section',
      { class: 'card grid' },
      h('h3', { text: 'Network' }),
      field('Port', port),
      field('Listen on', listen, 'All interfaces lets LAN hosts reach the mirror; 127.0.0.1 keeps it to this machine.'),
      field('Allowed networks (one CIDR per line)', allowlist, 'Hosts outside these networks are refused. Empty uses the private ranges.'),
    ),
    h(
      'section',
      { class: 'card grid' },
      h('h3', { text: 'Mirror login' }),
      h('div', { class: 'check' }, authOn, h('label', { for: authOn.id, text: 'LAN hosts must log in (docker login) to use the mirror' })),
      field('User name', authUser),
      h('div', { class: 'row' }, field('Password', authPassword), authSave),
    ),
    h('section', { class: 'card grid' }, h('h3', { text: 'Cache' }), field('Tag lifetime (seconds)', ttl, 'How long a tag is answered from the cache before Docker Hub is asked again.'), field('Size cap (GB, empty for none)', cap), field('Keep free on the cache disk (GB)', floor, 'Below this much free space the mirror stops caching and streams pulls straight through.')),
    h(
      'section',
      { class: 'card grid' },
      h('h3', { text: 'Docker Hub account' }),
      hubStatus,
      field('User name', hubUser),
      field('Access token', hubToken, 'Create one at hub.docker.com under Account settings, Personal access tokens; read-only is enough.'),
      h('div', { class: 'row' }, hubSave, hubTest, hubDelete),
    ),
    registries.element,
    h(
      'section',
      { class: 'card grid' },
      h('h3', { text: 'Startup' }),
      h('div', { class: 'check' }, launch, h('label', { for: launch.id, text: 'Start Dockmirror when I log in' })),
      h('div', { class: 'check' }, startOnLaunch, h('label', { for: startOnLaunch.id, text: 'Start the mirror when Dockmirror starts' })),
    ),
  );

  let lastSettings = '';
  return {
    id: 'settings',
    title: 'Settings',
    element,
    update(state: AppState) {
      registries.update(state);
      const c = state.credentials;
      hubStatus.textContent = !c.keychainAvailable
        ? (c.message ?? 'No keychain is available on this desktop, so credentials cannot be saved.')
        : c.savedFor
          ? `Saved for ${c.savedFor}.`
          : 'No credentials saved: pulls count against this network’s anonymous limit.';
      hubSave.disabled = !c.keychainAvailable;
      hubTest.disabled = !c.savedFor;
      hubDelete.disabled = !c.savedFor;
      // Only refill the form when the settings really changed, so typing is not overwritten.
      const s = state.settings;
      const key = JSON.stringify([s, state.addresses]);
      if (key === lastSettings) return;
      lastSettings = key;
      port.value = String(s.port);
      clear(listen);
      const choices = new Map<string, string>([
        ['0.0.0.0', 'All IPv4 interfaces (0.0.0.0)'],
        ['::', 'All interfaces, IPv4 and IPv6 (::)'],
        ['127.0.0.1', 'This machine only (127.0.0.1)'],
      ]);
      for (const a of state.addresses) choices.set(a.address, `${a.address} (${a.interfaceName})`);
      if (!choices.has(s.listenHost)) choices.set(s.listenHost, s.listenHost);
      for (const [value, text] of choices) listen.append(h('option', { value, text }));
      listen.value = s.listenHost;
      allowlist.value = s.allowlist.join('\n');
      ttl.value = String(s.tagTtlSeconds);
      cap.value = s.maxSizeBytes ? String(s.maxSizeBytes / gb) : '';
      floor.value = String(s.minFreeBytes / gb);
      authOn.checked = s.clientAuth.enabled;
      authUser.value = s.clientAuth.username;
      launch.checked = s.launchAtLogin;
      startOnLaunch.checked = s.startMirrorOnLaunch;
    },
  };
}
