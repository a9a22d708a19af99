// The connected hosts, from the app state: each host that ran a setup script or pulled, with
// its runtime, when it was set up, its last pull and the bytes it was served; a refused host
// with the allowlist entry that fixes it.
import type { ConnectedHost } from '../../main/shared/contract.js';
import { clear, h } from '../dom.js';
import { formatBytes, formatWhen } from '../format.js';

function pullText(host: ConnectedHost): string {
  if (host.refused) return `Refused by the allowlist. ${host.fix ?? ''}`;
  if (!host.lastPullAt) return host.setUpAt ? 'Set up; no pull since' : '—';
  // A setup after the last pull means the host has not pulled since it was (re)configured.
  if (host.setUpAt && host.setUpAt > host.lastPullAt) return `No pull since setup (last ${formatWhen(host.lastPullAt)})`;
  return formatWhen(host.lastPullAt);
}

export function renderHostsTable(table: HTMLTableElement, hosts: readonly ConnectedHost[]): void {
  clear(table);
  if (hosts.length === 0) {
    table.append(h('caption', { text: 'No host has run a setup script or pulled through the mirror yet.' }));
    return;
  }
  table.append(
    h('caption', { class: 'offscreen', text: 'Connected hosts' }),
    h('thead', {}, h('tr', {}, ...['Host', 'Runtime', 'Set up', 'Last pull', 'Served'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
    h(
      'tbody',
      {},
      ...hosts.map((host) =>
        h(
          'tr',
          { class: host.refused ? 'refused' : '' },
          h('td', { text: host.hostname ? `${host.hostname} (${host.address})` : host.address }),
          h('td', { text: host.runtime ? `${host.runtime} ${host.version}`.trim() : '—' }),
          h('td', { text: host.setUpAt ? formatWhen(host.setUpAt) : '—' }),
          h('td', { text: pullText(host) }),
          h('td', { class: 'num', text: formatBytes(host.bytesServed) }),
        ),
      ),
    ),
  );
}
