// main/electron-main.ts itself, the one file that imports Electron: the compiled ESM main runs
// in a child process with `electron` resolved to a recording stand-in (the real one cannot run
// here), over the real electron-store, core, mirror and IPC. It must start the mirror, open a
// hardened window on the built renderer, build the tray, answer only its own window, hide on
// close, come back on a second launch, and on Quit stop the mirror before the app goes.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { apiMethodNames } from '../../main/core/api-validation.js';
import { invokeChannel } from '../../main/electron/channels.js';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import { runElectronMain } from '../support/electron-main-run.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));


test('the Electron main process wires core, window, IPC and tray, and quits gracefully', async (t) => {
  const { seen, home, dataDir, port } = await runElectronMain(t);

  assert.equal(seen['userData'], dataDir);
  assert.deepEqual(seen['errors'], []);
  assert.equal(seen['exitCode'], null);
  assert.equal(seen['windowCount'], 1);
  assert.deepEqual(
    [seen['preloadExists'], seen['loaded'], seen['loadedExists']],
    [true, join(root, 'dist', 'renderer', 'index.html'), true],
  );
  const prefs = seen['webPreferences'] as Record<string, unknown>;
  assert.deepEqual([prefs['contextIsolation'], prefs['sandbox'], prefs['nodeIntegration']], [true, true, false]);
  assert.equal(seen['navigationGuarded'], true);
  assert.deepEqual(seen['openHandler'], { action: 'deny' });
  assert.deepEqual(seen['sessionHardened'], ['check', 'device', 'network', 'request']);

  // One invoke channel per call of the contract (apiCalls is typed against DockmirrorApi, so a
  // method added there without a channel fails to compile), and no other.
  assert.deepEqual(seen['channels'], apiMethodNames.map(invokeChannel).sort());
  assert.deepEqual(seen['state'], { ok: true, port });
  assert.deepEqual(seen['stranger'], { ok: false, error: { code: 'forbidden', message: 'Only the Dockmirror window may do that.' } });
  // The settings change pushed a state, the /v2/ probe an event.
  assert.deepEqual((seen['pushedToWindow'] as string[]).sort(), ['dockmirror:push:event', 'dockmirror:push:state']);

  assert.equal((seen['initialMenu'] as string[])[0], `Serving 127.0.0.1:${port} · 0 B cached · 0 pulls saved`);
  assert.match(String(seen['initialTooltip']), new RegExp(`Mirror at http://127\\.0\\.0\\.1:${port}`));
  assert.match(String((seen['trayImage'] as { path: string }).path), /build\/icons\/tray\/serving-(16|32)\.png$|servingTemplate\.png$/);
  assert.deepEqual(seen['clipboard'], [`http://127.0.0.1:${port}`]);

  // Close hides to the tray; a second launch shows and focuses; Quit closes it for real.
  assert.deepEqual(seen['windowCalls'], ['show', 'hide', 'close refused', 'show', 'focus']);
  assert.equal(seen['closedAtQuit'], 'closed');
  assert.equal(seen['trayDestroyed'], true);
  assert.equal(typeof seen['servedBeforeQuit'], 'number');
  assert.equal(seen['servedAfterQuit'], 'refused');
  // The mirror served from a utility process started with the engine's flags.
  assert.deepEqual(seen['utilityForks'], [{ modulePath: join(root, 'dist', 'main', 'engine-process', 'engine-child.js'), execArgv: [...engineNodeFlags] }]);

  const stored = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as { __internal__: { migrations: { version: string } }; tagTtlSeconds: number; cachePath: string };
  assert.equal(stored.__internal__.migrations.version, '0.2.0');
  assert.equal(stored.tagTtlSeconds, 90);
  // A new install caches in the OS cache folder, not in userData.
  assert.equal(stored.cachePath, join(home, 'xdg-cache', 'dockmirror'));
  const logs = await readdir(join(dataDir, 'logs'));
  const log = (await Promise.all(logs.map((file) => readFile(join(dataDir, 'logs', file), 'utf8')))).join('');
  assert.match(log, /Dockmirror stopped/);
});
