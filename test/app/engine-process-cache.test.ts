// The cache controls across the engine process the desktop and headless apps use (a real child
// process): a keep-warm list set from the settings reaches the child's engine without a restart,
// refresh now of one image answers from there, the window's prefetch reports its per-image
// progress through the pushed status, and the expiry dry run answers.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import { pushImage } from '../support/images.js';
import { findFreePort } from '../support/ports.js';
import { nightlyWindowAwayFromNow } from '../support/nightly-window.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
});

after(async () => {
  await upstream?.close();
});

async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('keep warm, refresh now, prefetch progress and the expiry dry run cross the engine process', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-engine-cache-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const image = await pushImage(upstream.registry.url, { repository: 'dockmirror/process-kept', tag: '7', layers: [[{ path: '/etc/process.txt', content: 'process\n' }]] });
  const engines = new EngineProcess();
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), engines, tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  await core.open();
  t.after(() => core.shutdown());
  await core.updateSettings({ listenHost: '127.0.0.1', port: await findFreePort(), upstream: upstream.url, expireAfterDays: 10, keepWarm: { images: [], everyHours: 6, nightly: nightlyWindowAwayFromNow() } });
  await core.startMirror();
  const pid = engines.pid;

  await core.keepImageWarm(`${image.repository}:7`, true);
  const waiting = await waitFor(async () => (await core.getState()).mirror.keepWarm, (kept) => kept?.length === 1, 'the kept image in the status');
  assert.equal(waiting![0]!.image, `docker.io/${image.repository}:7`);
  assert.equal(engines.pid, pid, 'the engine process was restarted for a keep-warm change');
  const [refreshed] = await core.refreshKeptImages(`docker.io/${image.repository}:7`);
  assert.equal(refreshed!.result, 'updated', JSON.stringify(refreshed));

  const alpine = upstream.images.alpine;
  await core.startPrefetch(`${alpine.repository}:${alpine.tag}\n`);
  const done = await waitFor(async () => (await core.getState()).mirror.prefetch, (p) => p?.running === false, 'the prefetch in the pushed status');
  assert.deepEqual(done!.images.map((i) => [i.image, i.state, i.layersDone === i.layersTotal && i.layersTotal > 0]), [[`docker.io/${alpine.repository}:${alpine.tag}`, 'done', true]]);
  assert.deepEqual(await core.expiryPreview(), { expireAfterMs: 10 * 86_400_000, images: 0, bytes: 0 });
});
