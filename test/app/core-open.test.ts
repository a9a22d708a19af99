// Building the app core touches nothing: its host opens it, and sees a failure to open there.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { memorySettingsStore, sessionKeychain } from '../../main/core/memory-stores.js';

test('createAppCore does no I/O; open() creates the data folder and its log, and calls before it are refused', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'dm-core-open-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const dataDir = join(home, 'data');
  const core = createAppCore({ dataDir, settingsStore: memorySettingsStore({ cachePath: join(home, 'cache') }), keychain: sessionKeychain() });
  t.after(() => core.shutdown());
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(stat(dataDir), { code: 'ENOENT' });
  await assert.rejects(core.getState(), { code: 'not-open' });

  await core.open();
  assert.ok((await stat(dataDir)).isDirectory());
  assert.ok((await readdir(join(dataDir, 'logs'))).length > 0, 'the log is opened by open()');
  assert.equal((await core.getState()).settings.cachePath, join(home, 'cache'));
});
