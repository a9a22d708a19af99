// "Refresh kept images now" from the tray, on the stand-in Tray and Menu with the real app core
// and engine against the Docker Hub stand-in: greyed out while nothing is kept, enabled once an
// image is, and its click refreshes the kept image (fetched into the cache, result in the state).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { createTray, type TrayElectron } from '../../main/electron/tray.js';
import { runTrayAction } from '../../main/electron/tray-actions.js';
import type { TrayAction } from '../../main/electron/tray-menu.js';
import { pushImage } from '../support/images.js';
import { nightlyWindowAwayFromNow } from '../support/nightly-window.js';
import { FakeTray, Menu, nativeImage, record } from '../support/electron-stub.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

test('the tray refreshes kept images at a click', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-tray-keep-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const image = await pushImage(upstream.registry.url, { repository: 'dockmirror/tray-kept', tag: '5', layers: [[{ path: '/etc/tray.txt', content: 'tray\n' }]] });
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  t.after(() => core.shutdown());
  await core.open();
  // Nightly, so nothing but the click refreshes during the test.
  await core.updateSettings({ upstream: upstream.url, keepWarm: { images: [], everyHours: 6, nightly: nightlyWindowAwayFromNow() } });

  const reports: string[] = [];
  const actions: Promise<void>[] = [];
  const onAction = (action: TrayAction) => {
    actions.push(runTrayAction(action, { core, writeClipboard: () => {}, showWindow: () => {}, quit: () => {}, report: (message) => void reports.push(message) }));
  };
  const electron = { Tray: FakeTray, Menu, nativeImage } as unknown as TrayElectron;
  const handle = createTray(electron, core.currentState(), { iconsDir: '/icons', platform: 'linux', onAction, menuIntervalMs: 0 });
  t.after(() => handle.destroy());
  const fake = record.trays.at(-1)!;
  const menuItem = (trayObject: FakeTray) => trayObject.menu.find((item) => item.label === 'Refresh kept images now') as { label: string; enabled?: boolean; click?: () => void } | undefined;
  assert.equal(menuItem(fake)?.enabled, false, 'greyed out while nothing is kept');

  handle.update(await core.keepImageWarm(`${image.repository}:5`, true));
  const item = menuItem(fake)!;
  assert.equal(item.enabled, true);
  item.click!();
  await Promise.all(actions);
  assert.deepEqual(reports, []);
  const [kept] = (await core.getState()).mirror.keepWarm!;
  assert.equal(kept!.result, 'updated', JSON.stringify(kept));
  const cached = (await core.listCache()).find((repo) => repo.repository === image.repository);
  assert.equal(cached?.images[0]?.digest, image.digest, 'the click fetched the kept image into the cache');
});
