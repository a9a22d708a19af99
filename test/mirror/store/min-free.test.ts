// `--min-free SIZE` and the app's minFreeBytes setting, on a real small disk (a 32 MiB tmpfs):
// with the fixed 1 GB floor such a disk never caches; with a small floor it does. Bad values are
// refused with a sentence.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAppCore } from '../../../main/core/app-core.js';
import { memorySettingsStore, sessionKeychain } from '../../../main/core/memory-stores.js';
import { startServeCli, spawnCli } from '../../support/cli-process.js';
import { runChecked, unmountUnder } from '../../support/clients/process.js';
import { pushRandomImage, sha256, type PushedImageManifest } from '../../support/images.js';
import { findFreePort } from '../../support/ports.js';
import { blobFiles } from '../../support/store-files.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';

let upstream: TestUpstream;
let workDir: string;
let disk: string;
let image: PushedImageManifest;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dockmirror-min-free-'));
  upstream = await startTestUpstream();
  image = await pushRandomImage(upstream.registry.url, { repository: 'dockmirror/min-free', tag: '1', sizeBytes: 1024 * 1024 });
  disk = join(workDir, 'disk');
  await mkdir(disk);
  await runChecked('/usr/bin/mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0755', 'tmpfs', disk]);
});

after(async () => {
  if (workDir) {
    await unmountUnder(workDir);
    await rm(workDir, { recursive: true, force: true });
  }
  await upstream?.close();
});

async function pullLayer(base: string): Promise<void> {
  const digest = image.layers[0]!.digest;
  const response = await fetch(`${base}/v2/${image.repository}/blobs/${digest}`);
  assert.equal(response.status, 200);
  assert.equal(sha256(Buffer.from(await response.arrayBuffer())), digest);
}

const cached = async (cacheDir: string) => (await blobFiles(cacheDir)).some((f) => f.digest === image.layers[0]!.digest);

test('serve --min-free lets a small disk cache; the default floor does not', async () => {
  for (const [name, extra, expected] of [
    ['default', [], false],
    ['small-floor', ['--min-free', '8MB'], true],
  ] as const) {
    const cacheDir = join(disk, name);
    const cli = await startServeCli(['--cache', cacheDir, '--upstream', upstream.url, ...extra]);
    try {
      await pullLayer(cli.base);
      assert.equal(await cached(cacheDir), expected, `${name}: cached`);
    } finally {
      cli.kill('SIGTERM');
      await cli.exited;
    }
  }
});

test('a --min-free that is not a size is refused with a sentence', async () => {
  for (const value of ['lots', '-1GB', '1e9', '5 XB']) {
    const exit = await spawnCli(['serve', '--listen', '127.0.0.1:0', '--cache', join(workDir, 'refused'), `--min-free=${value}`]).exited;
    assert.equal(exit.code, 1, value);
    assert.match(exit.stderr, new RegExp(`^dockmirror: "${value.replace(/[.+]/g, '\\$&')}" is not a size`), value);
  }
});

test('the app\'s minFreeBytes setting reaches the engine: a small floor caches on the small disk', async () => {
  const dataDir = join(workDir, 'app');
  const cacheDir = join(disk, 'app-cache');
  const port = await findFreePort();
  const settingsStore = memorySettingsStore({ cachePath: cacheDir, listenHost: '127.0.0.1', port, startMirrorOnLaunch: true, upstream: upstream.url });
  const core = createAppCore({ dataDir, settingsStore, keychain: sessionKeychain(), tuning: { registryName: 'docker.io' } });
  await core.open();
  try {
    const state = await core.ready();
    assert.equal(state.settings.minFreeBytes, 1_000_000_000, 'the default floor is 1 GB');
    await pullLayer(`http://127.0.0.1:${port}`);
    assert.equal(await cached(cacheDir), false, 'not cached under the default floor');
    await assert.rejects(core.updateSettings({ minFreeBytes: -1 }), /free-space floor must be a whole number/);
    const next = await core.updateSettings({ minFreeBytes: 8_000_000 });
    assert.equal(next.settings.minFreeBytes, 8_000_000);
    await pullLayer(`http://127.0.0.1:${port}`);
    assert.equal(await cached(cacheDir), true, 'cached with the small floor');
  } finally {
    await core.shutdown();
  }
});
