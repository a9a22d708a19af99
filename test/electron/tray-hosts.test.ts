// The tray's one line for connected hosts (issue 14): counted under the status line, refused
// hosts apart since they need a fix, and no line at all before any host connected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectedHost } from '../../main/shared/contract.js';
import { trayHostsLine, trayMenu } from '../../main/electron/tray-menu.js';
import { sampleState } from '../support/app-state.js';

function host(address: string, refused = false): ConnectedHost {
  const at = '2026-01-02T03:04:05.000Z';
  return { address, hostname: `h-${address}`, runtime: 'docker', version: '20.10.24', setUpAt: at, lastPullAt: null, pulls: 0, bytesServed: 0, refused, fix: null, lastSeenAt: at };
}

test('the tray counts connected hosts in one line under the status, refused ones apart', () => {
  const state = sampleState();
  assert.equal(trayHostsLine(state), null);
  const before = trayMenu(state).length;
  state.connectedHosts = [host('192.168.1.30'), host('192.168.1.31'), host('198.51.100.7', true)];
  assert.equal(trayHostsLine(state), '2 hosts connected · 1 refused by the allowlist');
  const menu = trayMenu(state);
  assert.equal(menu.length, before + 1);
  assert.deepEqual(menu[1], { type: 'normal', label: '2 hosts connected · 1 refused by the allowlist', enabled: false });
  state.connectedHosts = [host('192.168.1.30')];
  assert.equal(trayHostsLine(state), '1 host connected');
});
