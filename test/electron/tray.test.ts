// The tray as data: status line, tooltip, icon per state and the menu, computed from app states
// in plain Node; and what each menu entry does, against a recording core.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { AppSettings, AppState } from '../../main/shared/contract.js';
import { CoreError } from '../../main/core/core-error.js';
import { runTrayAction, type TrayActionDeps } from '../../main/electron/tray-actions.js';
import { formatBytes } from '../../main/shared/format.js';
import { trayIconFile, trayIconState, trayMenu, trayStatusLine, trayTooltip, type TrayMenuItem } from '../../main/electron/tray-menu.js';
import { failedState, sampleState, stoppedState } from '../support/app-state.js';

const trayIcons = fileURLToPath(new URL('../../../build/icons/tray/', import.meta.url));

function item(menu: TrayMenuItem[], label: string): TrayMenuItem {
  const found = menu.find((entry) => entry.label === label);
  assert.ok(found, `the menu has "${label}"`);
  return found;
}

test('serving: the status line names the LAN address, the cache size and the pulls saved', () => {
  const state = sampleState();
  assert.equal(trayStatusLine(state), 'Serving 192.168.1.20:5000 · 12.3 GB cached · 87 pulls saved');
  state.mirror.counters = { ...state.mirror.counters, pullsServed: 14, upstreamPulls: 13 };
  state.mirror.cache.bytes = 999;
  assert.equal(trayStatusLine(state), 'Serving 192.168.1.20:5000 · 999 B cached · 1 pull saved');
  // More upstream pulls than served (revalidations) never shows a negative saving.
  state.mirror.counters = { ...state.mirror.counters, pullsServed: 3, upstreamPulls: 9 };
  assert.match(trayStatusLine(state), /· 0 pulls saved$/);
  state.addresses = [state.addresses[0]!];
  assert.match(trayStatusLine(state), /^Serving \[fd00::20\]:5000 ·/);
});

test('sizes read as the window and the engine write them: one formatter, whole from 100 up, one decimal below', () => {
  assert.deepEqual([0, 999, 1000, 12_345_678, 123_456_789_012, 5e15].map(formatBytes), ['0 B', '999 B', '1.0 kB', '12.3 MB', '123 GB', '5000 TB']);
  // A value that would round to 1000 of a unit is written in the next one.
  assert.deepEqual([99_960, 999_600, 999_960_000].map(formatBytes), ['100 kB', '1.0 MB', '1.0 GB']);
  assert.deepEqual([-1, Number.NaN, 1.5].map(formatBytes), ['—', '—', '2 B']);
});

test('stopped and failed states pick their icon and status line', () => {
  assert.equal(trayIconState(sampleState()), 'serving');
  assert.equal(trayIconState(stoppedState()), 'stopped');
  const taken = failedState('port-in-use', 'Port 5000 is in use; 5001 is free.');
  assert.equal(trayIconState(taken), 'error');
  assert.equal(trayStatusLine(taken), 'Not serving: Port 5000 is in use; 5001 is free.');
  assert.equal(trayIconState(failedState('start-failed', 'x')), 'error');
  assert.equal(trayStatusLine(stoppedState()), 'Stopped · 12.3 GB cached');
  // A problem while serving (Docker Hub down) does not turn the icon red: cached pulls still work.
  const degraded = sampleState();
  degraded.problems = [{ code: 'upstream-unreachable', message: 'Docker Hub cannot be reached.', since: '2026-01-01T00:00:00Z' }];
  assert.equal(trayIconState(degraded), 'serving');
});

test('the tooltip gives the address and the Docker Hub pulls left', () => {
  assert.equal(trayTooltip(sampleState()), 'Dockmirror\nMirror at http://192.168.1.20:5000\nDocker Hub pulls left: 76 of 100');
  const unknown = stoppedState();
  unknown.mirror.rateLimit = null;
  assert.equal(trayTooltip(unknown), 'Dockmirror\nMirror stopped\nDocker Hub pulls left: not known yet');
  assert.match(trayTooltip(failedState('start-failed', 'x')), /not serving/);
});

test('the menu, in order, while serving', () => {
  const menu = trayMenu(sampleState());
  assert.deepEqual(
    menu.map((entry) => [entry.type, entry.label, entry.enabled, entry.action ?? null]),
    [
      ['normal', 'Serving 192.168.1.20:5000 · 12.3 GB cached · 87 pulls saved', false, null],
      ['separator', '', true, null],
      ['normal', 'Stop mirror', true, 'stop-mirror'],
      ['normal', 'Open Dockmirror', true, 'open-window'],
      ['separator', '', true, null],
      ['normal', 'Copy daemon.json snippet', true, 'copy-daemon-json'],
      ['normal', 'Copy mirror address', true, 'copy-mirror-address'],
      ['normal', 'Open cache folder', true, 'open-cache-folder'],
      ['normal', 'Refresh kept images now', false, 'refresh-kept-images'],
      ['separator', '', true, null],
      ['checkbox', 'Launch at login', true, 'toggle-launch-at-login'],
      ['separator', '', true, null],
      ['normal', 'Quit', true, 'quit'],
    ],
  );
  assert.equal(item(menu, 'Launch at login').checked, false);
});

test('a problem that leaves the mirror serving (a failed cache move) shows under the status line; a stop reason only once', () => {
  const state = sampleState();
  const long = `The cache could not be moved to /mnt/small: the disk filled after 3 of 9 files; ${'x'.repeat(100)}`;
  state.problems = [{ code: 'cache-move-failed', message: long, since: '2026-01-02T03:04:05.000Z' }];
  const menu = trayMenu(state);
  assert.equal(menu[0]!.label, 'Serving 192.168.1.20:5000 · 12.3 GB cached · 87 pulls saved');
  assert.equal(menu[1]!.type, 'normal');
  assert.equal(menu[1]!.enabled, false);
  assert.ok(menu[1]!.label.startsWith('⚠ The cache could not be moved to /mnt/small'), menu[1]!.label);
  assert.ok(menu[1]!.label.length <= 92 && menu[1]!.label.endsWith('…'), menu[1]!.label);
  assert.equal(menu[2]!.type, 'separator');
  // A failure that stopped the mirror is the status line itself, not a second line.
  const failed = trayMenu(failedState('port-in-use', 'Port 5000 is in use by another program.'));
  assert.equal(failed.filter((entry) => entry.label.includes('Port 5000 is in use')).length, 1);
});

test('the menu follows the state: Start when stopped, the checkbox, copies without an address', () => {
  const stopped = stoppedState();
  stopped.settings.launchAtLogin = true;
  const menu = trayMenu(stopped);
  assert.equal(item(menu, 'Start mirror').action, 'start-mirror');
  assert.equal(menu.some((entry) => entry.label === 'Stop mirror'), false);
  assert.equal(item(menu, 'Launch at login').checked, true);
  assert.equal(item(menu, 'Copy mirror address').enabled, true);
  stopped.addresses = [];
  const bare = trayMenu(stopped);
  assert.equal(item(bare, 'Copy mirror address').enabled, false);
  assert.equal(item(bare, 'Copy daemon.json snippet').enabled, false);
});

test('every state has its tray icon on every platform: .ico on Windows, @2x beside every PNG', () => {
  const states: AppState[] = [sampleState(), stoppedState(), failedState('port-in-use', 'x')];
  const files = states.flatMap((state) => (['darwin', 'win32', 'linux'] as const).map((platform) => trayIconFile(state, platform)));
  assert.deepEqual(files, [
    'servingTemplate.png', 'serving.ico', 'serving-32.png',
    'stoppedTemplate.png', 'stopped.ico', 'stopped-32.png',
    'errorTemplate.png', 'error.ico', 'error-32.png',
  ]);
  for (const file of files) {
    assert.ok(existsSync(join(trayIcons, file)), file);
    // An .ico carries its own sizes; PNGs need their @2x beside them.
    if (file.endsWith('.png')) assert.ok(existsSync(join(trayIcons, file.replace('.png', '@2x.png'))), `${file} @2x`);
  }
});

function recordingDeps(state: AppState, failWith?: Error) {
  const calls: string[] = [];
  const deps: TrayActionDeps = {
    core: {
      currentState: () => state,
      startMirror: async () => {
        calls.push('startMirror');
        if (failWith) throw failWith;
        return state;
      },
      stopMirror: async () => (calls.push('stopMirror'), state),
      openCacheFolder: async () => void calls.push('openCacheFolder'),
      updateSettings: async (patch: Partial<AppSettings>) => (calls.push(`updateSettings ${JSON.stringify(patch)}`), state),
      refreshKeptImages: async () => (calls.push('refreshKeptImages'), []),
    },
    writeClipboard: (text) => void calls.push(`clipboard ${text}`),
    showWindow: () => void calls.push('showWindow'),
    quit: () => void calls.push('quit'),
    report: (message) => void calls.push(`report ${message}`),
  };
  return { calls, deps };
}

test('each menu action does what its label says', async () => {
  const { calls, deps } = recordingDeps(sampleState());
  for (const entry of trayMenu(sampleState())) if (entry.action) await runTrayAction(entry.action, deps);
  await runTrayAction('start-mirror', deps);
  assert.deepEqual(calls, [
    'stopMirror',
    'showWindow',
    `clipboard {\n  "registry-mirrors": [\n    "http://192.168.1.20:5000"\n  ]\n}`,
    'clipboard http://192.168.1.20:5000',
    'openCacheFolder',
    'refreshKeptImages',
    'updateSettings {"launchAtLogin":true}',
    'quit',
    'startMirror',
  ]);
});

test('a failing action is reported in the core\'s words instead of throwing', async () => {
  const { calls, deps } = recordingDeps(stoppedState(), new CoreError('start-failed', 'Port 5000 on 0.0.0.0 is already in use.'));
  await runTrayAction('start-mirror', deps);
  assert.deepEqual(calls, ['startMirror', 'report Port 5000 on 0.0.0.0 is already in use.']);
});
