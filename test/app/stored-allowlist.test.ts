// An allowlist entry older versions accepted but the strict CIDR rules refuse ("fd00::/", which
// they read as ::/0) must not lock the owner out of the app: it opens from a real settings file,
// rewrites nothing, keeps the mirror stopped, names the entry and where to fix it, and starts
// the mirror once a corrected list is saved.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { settingsVersion } from '../../main/core/settings.js';
import { findFreePort } from '../support/ports.js';

test('a stored allowlist entry the rules now refuse: the app opens, the mirror waits, the window says where to fix it', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'dm-stored-allowlist-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const dataDir = join(home, 'data');
  await mkdir(dataDir, { recursive: true });
  const port = await findFreePort();
  const file = join(dataDir, 'config.json');
  const stored = {
    cachePath: join(home, 'cache'),
    listenHost: '127.0.0.1',
    port,
    // Nothing here may reach Docker Hub.
    upstream: 'http://127.0.0.1:1',
    allowlist: ['fd00::/', '127.0.0.0/8'],
    tagTtlSeconds: 45,
    __internal__: { migrations: { version: settingsVersion } },
  };
  const original = `${JSON.stringify(stored, null, '\t')}\n`;
  await writeFile(file, original);

  const core = createAppCore({ dataDir, keychain: sessionKeychain() });
  t.after(() => core.shutdown());
  await core.open();
  const state = await core.ready();

  assert.equal(state.mirror.serving, false);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/`), 'nothing listens on the mirror port');
  const problem = state.problems.find((p) => p.code === 'settings-invalid');
  assert.ok(problem, JSON.stringify(state.problems));
  assert.match(problem.message, /"fd00::\/"/);
  assert.match(problem.message, /Settings → "Allowed networks"/);
  assert.ok(problem.message.includes(dataDir), problem.message);
  // The window shows the list as stored, so the owner edits what is there.
  assert.deepEqual(state.settings.allowlist, ['fd00::/', '127.0.0.0/8']);
  assert.equal(state.settings.tagTtlSeconds, 45);

  await assert.rejects(core.startMirror(), (error: { code?: string; message?: string }) => error.code === 'invalid-setting' && /fd00::\//.test(error.message ?? ''));
  await assert.rejects(core.updateSettings({ tagTtlSeconds: 30 }), /fd00::\//);
  assert.equal(await readFile(file, 'utf8'), original, 'nothing stored was rewritten');

  const fixed = await core.updateSettings({ allowlist: ['fd00::/8', '127.0.0.0/8'] });
  assert.equal(fixed.mirror.serving, true);
  assert.equal(fixed.problems.find((p) => p.code === 'settings-invalid'), undefined);
  assert.equal((await fetch(`http://127.0.0.1:${port}/v2/`)).status, 200);
  const saved = JSON.parse(await readFile(file, 'utf8')) as typeof stored;
  assert.deepEqual(saved.allowlist, ['fd00::/8', '127.0.0.0/8']);
  assert.equal(saved.tagTtlSeconds, 45);
});
