// The app's cache controls against the real engine and the Docker Hub stand-in: an image put on
// the keep-warm list through the core reaches the serving engine without a restart and "refresh
// now" fetches it; hosts per image are counted from two real client addresses and survive a
// restart; the window's prefetch reads a compose file and reports per image and layer; the
// expiry dry run follows the setting. Bad arguments get a sentence, before the core.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { apiCalls } from '../../main/core/api-validation.js';
import { createAppCore } from '../../main/core/app-core.js';
import { sessionKeychain } from '../../main/core/memory-stores.js';
import type { DockmirrorApi } from '../../main/shared/contract.js';
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

async function openCore(t: TestContext, dataDir: string) {
  const core = createAppCore({ dataDir, keychain: sessionKeychain(), tuning: { registryName: 'docker.io', minFreeBytes: 0 } });
  t.after(() => core.shutdown());
  await core.open();
  return core;
}

/** A manifest GET by tag from a chosen loopback address: a second host without a second machine. */
function pullManifestFrom(localAddress: string, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('keep warm through the core: the serving engine takes the list without a restart, and refresh now fetches the image', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-keep-core-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const image = await pushImage(upstream.registry.url, { repository: 'dockmirror/core-kept', tag: '3', layers: [[{ path: '/etc/core-kept.txt', content: 'kept\n' }]] });
  const core = await openCore(t, dataDir);
  const port = await findFreePort();
  await core.updateSettings({ listenHost: '127.0.0.1', port, upstream: upstream.url, keepWarm: { images: [], everyHours: 6, nightly: nightlyWindowAwayFromNow() } });
  await core.startMirror();
  const servingSince = (await core.getState()).mirror.listen;

  const state = await core.keepImageWarm(`${image.repository}:3`, true);
  assert.deepEqual(state.settings.keepWarm.images, [{ registry: 'docker.io', repository: image.repository, tag: '3', platforms: null }]);
  assert.deepEqual(state.mirror.listen, servingSince);
  const [waiting] = state.mirror.keepWarm!;
  assert.equal(waiting!.image, `docker.io/${image.repository}:3`);
  assert.equal(waiting!.result, 'waiting', 'a nightly schedule waits for the night');

  const [refreshed] = await core.refreshKeptImages(`${image.repository}:3`);
  assert.equal(refreshed!.result, 'updated', JSON.stringify(refreshed));
  const listed = (await core.listCache()).find((repo) => repo.repository === image.repository)!;
  assert.equal(listed.images[0]!.keptWarm, true, 'a kept image is pinned by its list');
  assert.equal((await core.getState()).mirror.keepWarm![0]!.result, 'updated', 'the result reaches the state the window shows');

  const off = await core.keepImageWarm(`docker.io/${image.repository}:3`, false);
  assert.deepEqual(off.settings.keepWarm.images, []);
  await assert.rejects(core.refreshKeptImages(), /No image is kept warm yet/);
});

test('hosts per image: two client addresses counted once each, kept across a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-hosts-core-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const image = upstream.images.alpine;
  const first = await openCore(t, dataDir);
  const port = await findFreePort();
  await first.updateSettings({ listenHost: '127.0.0.1', port, upstream: upstream.url });
  await first.startMirror();
  for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.2']) assert.equal(await pullManifestFrom(from, port, `/v2/${image.repository}/manifests/${image.tag}`), 200);
  const hostsOf = async (core: DockmirrorApi) => (await core.listCache()).find((repo) => repo.repository === image.repository)?.images.find((i) => i.reference === image.tag)?.pulledByHosts;
  assert.equal(await until(() => hostsOf(first), (count) => count === 2, 'two hosts'), 2);
  await first.shutdown();

  const second = await openCore(t, dataDir);
  assert.equal(await hostsOf(second), 2, 'the count did not survive a restart');
});

test("the window's prefetch reads a compose file and shows each image until done; expiry's dry run follows the setting", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-prefetch-core-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const image = await pushImage(upstream.registry.url, { repository: 'dockmirror/core-prefetch', tag: '1', layers: [[{ path: '/etc/a.txt', content: 'a\n' }], [{ path: '/etc/b.txt', content: 'b\n' }]] });
  const core = await openCore(t, dataDir);
  await core.updateSettings({ upstream: upstream.url });
  const compose = `services:\n  app:\n    image: "${image.repository}:1"\n  db:\n    image: ${upstream.images.alpine.repository}:${upstream.images.alpine.tag}\n`;
  const started = await core.startPrefetch(compose, 'docker-compose.yml');
  assert.equal(started.running, true);
  const done = await until(async () => (await core.getState()).mirror.prefetch!, (p) => p !== undefined && !p.running, 'the prefetch');
  assert.deepEqual(done.images.map((i) => [i.image, i.state]), [[`docker.io/${image.repository}:1`, 'done'], [`docker.io/${upstream.images.alpine.repository}:${upstream.images.alpine.tag}`, 'done']]);
  assert.equal(done.images[0]!.layersTotal, 3, 'two layers and the config');
  assert.equal(done.images[0]!.layersDone, 3);
  await assert.rejects(core.startPrefetch('# only a comment\n'), /names no image/);

  assert.deepEqual(await core.expiryPreview(), { expireAfterMs: null, images: 0, bytes: 0 }, 'expiry off: nothing would go');
  await core.updateSettings({ expireAfterDays: 30 });
  assert.deepEqual(await core.expiryPreview(), { expireAfterMs: 30 * 86_400_000, images: 0, bytes: 0 }, 'just fetched: nothing is old');
});

test('bad keep-warm, refresh and prefetch arguments get a sentence before the core', async () => {
  const api = new Proxy({}, { get: () => async () => 'reached the core' }) as DockmirrorApi;
  const refused: Array<[keyof typeof apiCalls, unknown[], RegExp]> = [
    ['keepImageWarm', ['Nginx:1', true], /is not an image name/],
    ['keepImageWarm', ['nginx:1', 'yes'], /Say whether to keep the image warm/],
    ['keepImageWarm', ['nginx:1', true, ['linux']], /is not a platform/],
    ['keepImageWarm', ['nginx:1', true, []], /Choose all platforms/],
    ['refreshKeptImages', ['../../etc:1'], /is not an image name/],
    ['startPrefetch', ['   '], /Paste one image a line/],
    ['startPrefetch', ['x'.repeat(1_000_001)], /over 1 MB/],
    ['startPrefetch', ['nginx', '../docker-compose.yml'], /plain name/],
    ['updateSettings', [{ keepWarmList: [] }], /no setting called "keepWarmList"/],
  ];
  for (const [method, args, message] of refused) await assert.rejects(async () => apiCalls[method](api, args), message, `${method} ${JSON.stringify(args).slice(0, 80)}`);
  assert.equal(await apiCalls.keepImageWarm(api, ['ghcr.io/acme/api:2', true, ['linux/arm64/v8']]), 'reached the core');
  assert.equal(await apiCalls.startPrefetch(api, ['nginx\n', 'Dockerfile']), 'reached the core');
});

test('the keep-warm setting is checked like every other setting', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-keep-settings-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const core = await openCore(t, dataDir);
  const keepWarm = (await core.getState()).settings.keepWarm;
  const image = { registry: 'docker.io', repository: 'library/nginx', tag: '1.27', platforms: null };
  const refused: Array<[unknown, RegExp]> = [
    [{ ...keepWarm, everyHours: 0 }, /every 1 to 168 hours/],
    [{ ...keepWarm, nightly: { start: '25:00', end: '05:00' } }, /not a time of day; write it as HH:MM/],
    [{ ...keepWarm, nightly: { start: '02:00', end: '02:00' } }, /starts and ends at the same time/],
    [{ ...keepWarm, images: [{ ...image, registry: 'registry.example.com' }] }, /not a registry in the registry list/],
    [{ ...keepWarm, images: [{ ...image, repository: '../x' }] }, /is not an image name with a tag/],
    [{ ...keepWarm, images: [image, image] }, /on the keep-warm list twice/],
  ];
  for (const [value, message] of refused) await assert.rejects(core.updateSettings({ keepWarm: value as never }), message);
  await assert.rejects(core.updateSettings({ expireAfterDays: 0 }), /whole number of days from 1 to 3650/);
  await assert.rejects(core.keepImageWarm('nginx@sha256:' + 'a'.repeat(64), true), /names a digest/);
  const saved = await core.updateSettings({ keepWarm: { images: [image], everyHours: 12, nightly: null } });
  assert.deepEqual(saved.settings.keepWarm, { images: [image], everyHours: 12, nightly: null });
});
