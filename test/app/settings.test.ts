// Settings in plain Node with `conf`, the store electron-store wraps: migrations from the 0.1
// layout, the schema on disk, and validation of changes from the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { defaultSettings, readSettings, settingsMigrations, settingsSchema, settingsVersion, validateSettings } from '../../main/core/settings.js';

test('an 0.1 settings file is migrated and read over the defaults', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dm-settings-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({ __internal__: { migrations: { version: '0.1.0' } }, listen: '[::]:5055', tagTtlMs: 120000, maxSizeGb: 2, logLevel: 'debug' }),
  );
  const conf = new Conf<Record<string, unknown>>({
    cwd: dir,
    projectVersion: settingsVersion,
    migrations: settingsMigrations,
    schema: settingsSchema as never,
  });
  const settings = readSettings(conf, dir);
  assert.equal(settings.listenHost, '::');
  assert.equal(settings.port, 5055);
  assert.equal(settings.tagTtlSeconds, 120);
  assert.equal(settings.maxSizeBytes, 2_000_000_000);
  assert.equal(settings.logLevel, 'debug');
  assert.equal(settings.cachePath, join(dir, 'cache'));
  assert.equal(conf.store['listen'], undefined);
  assert.throws(() => conf.set({ port: 70000 }));
});

test('invalid changes are refused with a plain sentence, valid ones applied', () => {
  const current = defaultSettings('/var/lib/dockmirror');
  assert.throws(() => validateSettings({ port: 0 }, current), /port must be a number from 1 to 65535/);
  assert.throws(() => validateSettings({ cachePath: 'relative' }, current), /full path/);
  assert.throws(() => validateSettings({ allowlist: ['10.0.0.0/33'] }, current), /is not a network/);
  assert.throws(() => validateSettings({ upstream: 'ftp://x' }, current), /upstream/);
  assert.throws(() => validateSettings({ listenHost: 'example.com' }, current), /listen address/);
  const next = validateSettings({ port: 5001, allowlist: ['192.168.1.0/24', 'fd00::/8'] }, current);
  assert.equal(next.port, 5001);
  assert.deepEqual(next.allowlist, ['192.168.1.0/24', 'fd00::/8']);
});
